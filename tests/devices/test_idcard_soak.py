"""Fault storms: random cards of all four types, random faults and unplugs, read by the real driver.
Every read returns exactly the card on the reader or a typed error, never a wrong card. A short storm
runs in `make test`; `make soak` runs the long one."""

import random
from collections import Counter

import pytest

from kiosk.devices.idcard import IdCardReader
from kiosk.errors import IdCardError
from kiosk.sim import people
from kiosk.sim.idcard import IdCardSimulator, encode_text

FAULTS = [
    "moved",
    "moved 2",
    "lift-mid-read",
    "garble find",
    "garble select",
    "garble read",
    "drop select",
    "drop read",
    "split 9 0.001",
    "card 47",
    "card 31",
    "card 40",
    "sw12 6A 82",
    "unplug",
]


def storm(tmp_path, reads: int, seed: int) -> Counter:
    rng = random.Random(seed)
    outcomes: Counter = Counter()
    with (
        IdCardSimulator(link=tmp_path / "idcard", seed=seed) as sim,
        IdCardReader(sim.path, command_timeout=0.3, read_timeout=0.8) as reader,
    ):
        for _ in range(reads):
            card = people.random_card(rng)
            sim.lift()
            sim.script("ok")
            sim.plug()
            for fault in rng.sample(FAULTS, k=rng.choice((0, 0, 1, 2))):
                sim.script(fault)
            sim.place(card)
            try:
                read = reader.read_card(fingerprints=rng.random() < 0.5)
            except IdCardError as e:
                outcomes[e.code] += 1
                continue
            outcomes["read"] += 1
            assert read.raw_text == encode_text(card)
            assert (read.card_type, read.name, read.name_en, read.id_number) == (
                card.card_type,
                card.name,
                card.name_en,
                card.id_number,
            )
            assert read.extra == card.extra
    return outcomes


def test_a_short_fault_storm_never_yields_a_wrong_card(tmp_path):
    outcomes = storm(tmp_path, reads=24, seed=4)
    assert outcomes["read"] >= 12, outcomes


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(5))
def test_a_long_fault_storm_never_yields_a_wrong_card(tmp_path, seed):
    outcomes = storm(tmp_path, reads=300, seed=seed)
    assert outcomes["read"] >= 150, outcomes
    assert set(outcomes) <= {
        "read",
        "IDCARD_CARD_MOVED",
        "IDCARD_BAD_FRAME",
        "IDCARD_TIMEOUT",
        "IDCARD_CARD_REJECTED",
        "IDCARD_UNKNOWN_CARD",
        "IDCARD_NO_READER",
    }, outcomes

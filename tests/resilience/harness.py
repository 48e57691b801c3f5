"""The fault harness: a kiosk process killed or frozen at random instants, a loopback proxy that
misbehaves, and the checks that every bundle a resident was told about arrives exactly once."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from kiosk import bundle
from kiosk.backoffice.blobs import bundle_key
from kiosk.outbox import Outbox
from kiosk.sim.township import Township

WORKER = Path(__file__).with_name("kiosk_worker.py")


class KioskProcess:
    """One run of kiosk_worker.py; collects the SUBMITTED lines it prints."""

    def __init__(self, data: Path, world: Township, url: str, count: int, size: int, number: int) -> None:
        (world.root / "kiosk_id").write_text(world.kiosk_id)
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(WORKER),
                str(data),
                str(world.root),
                url,
                str(count),
                str(size),
                str(number),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        self.submitted: list[str] = []
        self.done = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            if line.startswith("SUBMITTED "):
                self.submitted.append(line.split()[1])
            elif line.strip() == "DONE":
                self.done.set()

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.finish()

    def finish(self, timeout: float = 120) -> int:
        code = self.process.wait(timeout=timeout)
        self.reader.join(timeout=10)
        return code

    def freeze(self) -> list[str]:
        """SIGSTOP, then everything it printed before stopping: what the resident has been told."""
        self.process.send_signal(signal.SIGSTOP)
        time.sleep(0.05)  # let the reader drain the pipe
        return list(self.submitted)

    def thaw(self) -> None:
        self.process.send_signal(signal.SIGCONT)


def run_to_completion(data: Path, world: Township, url: str, count: int, size: int, number: int) -> list[str]:
    kiosk = KioskProcess(data, world, url, count, size, number)
    assert kiosk.finish() == 0 and kiosk.done.is_set(), "the kiosk did not finish its deliveries"
    return kiosk.submitted


def kill_at_random(
    data: Path, world: Township, url: str, count: int, size: int, number: int, rng: random.Random, span: float
) -> list[str]:
    """Start the kiosk and SIGKILL it after a random time (it may have finished already)."""
    kiosk = KioskProcess(data, world, url, count, size, number)
    time.sleep(rng.uniform(0.3, span))  # the first ~0.5 s is the interpreter starting
    kiosk.kill()
    return kiosk.submitted


def check_exactly_once(world: Township, data: Path, told: set[str]) -> None:
    """Every bundle the resident was told about is filed once at the township and verifies;
    the township holds nothing from this terminal that the outbox does not know."""
    outbox = Outbox(data)
    try:
        recorded = {e.bundle_id: e for e in outbox.entries()}
        assert told <= set(recorded), f"told but lost: {told - set(recorded)}"
        for bundle_id, entry in recorded.items():
            assert entry.state == "delivered", (bundle_id, entry.state, entry.last_error)
            filed = world.store.bundle(bundle_id)
            assert filed and filed["sha256"] == entry.digest and filed["case_number"] == entry.case_number
            kept = data.parent / f"check-{bundle_id}.kskb"
            kept.write_bytes(world.store.blobs.get(bundle_key(bundle_id)))
            bundle.check_integrity(kept)
            kept.unlink()
            assert (world.app.state.intake.case_dir(bundle_id) / "manifest.json").exists()
        for entry in recorded.values():
            rows = world.store.db.query(
                "SELECT bundle_id FROM bundles WHERE case_number = ?", entry.case_number
            )
            assert [r["bundle_id"] for r in rows] == [entry.bundle_id], (
                "a case filed twice or under another bundle"
            )
    finally:
        outbox.close()


def snapshot(data: Path, target: Path) -> None:
    """A copy of the data folder as the frozen process left it (what a power cut leaves)."""
    shutil.copytree(data, target, symlinks=True)


def assert_opens(copy: Path, told: list[str]) -> None:
    """The copy opens, recovers, and holds every bundle the resident was told about, intact."""
    outbox = Outbox(copy)
    try:
        outbox.recover()
        for bundle_id in told:
            entry = outbox.get(bundle_id)
            assert entry is not None, f"{bundle_id} was announced but is not in the copy"
            if entry.state == "sealed":
                assert bundle.check_integrity(entry.path).bundle_digest() == entry.digest
        for path in outbox.dir.iterdir():
            assert outbox.get(path.name.removesuffix(".kskb")) is not None, (
                f"unrecorded file {path.name} survived"
            )
    finally:
        outbox.close()


def env_trials(default: int) -> int:
    return int(os.environ.get("KIOSK_TRIALS", default))


def short_and_full(short: int) -> pytest.MarkDecorator:
    """`trials`: a short run inside `make test`, the full 200 (or $KIOSK_TRIALS) under `make soak`."""
    return pytest.mark.parametrize(
        "trials",
        [
            pytest.param(short, id="short"),
            pytest.param(env_trials(200), id="full", marks=[pytest.mark.slow, pytest.mark.timeout(3600)]),
        ],
    )

"""Uploads through a loopback proxy that drops, stalls, cuts, truncates, answers 500/503 and
delivers requests late (out of order): every bundle arrives exactly once and verifies."""

import random
import time

from harness import check_exactly_once, short_and_full

from kiosk.outbox import Outbox
from kiosk.sim.link import FaultProxy
from kiosk.sim.township import Township, seal_into
from kiosk.upload import UploadWorker


def deliver_through_faults(world, outbox, seed, deadline_s=120.0):
    proxy = FaultProxy(world.server.port, seed=seed, fault_rate=0.4, stall_s=0.8).start()
    try:
        worker = UploadWorker(
            outbox, world.uploader(proxy.url, timeout=0.6, chunk_bytes=48 * 1024), 0.01, 0.05
        )
        deadline = time.monotonic() + deadline_s
        while outbox.depth() and time.monotonic() < deadline:
            worker.run_once()
            outbox.retry()
        return proxy.faults
    finally:
        proxy.stop()


@short_and_full(8)
def test_a_misbehaving_link_delivers_every_bundle_exactly_once(tmp_path, trials):
    rng = random.Random(11)
    seen = set()
    with Township(tmp_path / "world") as world:
        for trial in range(trials):
            data = tmp_path / f"kiosk-{trial}"
            outbox = Outbox(data)
            for _ in range(rng.randint(1, 2)):
                seal_into(
                    outbox,
                    world.device,
                    world.township.public,
                    world.kiosk_id,
                    rng.randint(1, 250_000),
                    trial + 1,
                )
            outbox.close()
            outbox = Outbox(data)
            try:
                seen |= {
                    fault
                    for fault, count in deliver_through_faults(world, outbox, seed=trial).items()
                    if count
                }
            finally:
                outbox.close()
            check_exactly_once(world, data, set())
    if trials >= 50:  # the short run sees most kinds; the full run must see every kind
        assert {
            "drop",
            "cut_request",
            "stall",
            "error_500",
            "error_503",
            "error_after",
            "truncate",
            "late",
        } <= seen

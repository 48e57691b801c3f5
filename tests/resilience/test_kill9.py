"""kill -9 of the terminal at random instants while it seals and uploads: after it restarts,
every bundle the resident was told about arrives exactly once and verifies."""

import random

from harness import check_exactly_once, kill_at_random, run_to_completion, short_and_full

from kiosk.sim.link import ThrottledLink
from kiosk.sim.township import Township


@short_and_full(3)
def test_kill_9_during_seal_and_upload_loses_nothing_and_sends_nothing_twice(tmp_path, trials):
    rng = random.Random(9)
    with Township(tmp_path / "world") as world:
        link = ThrottledLink(world.server.port, 40_000_000).start()  # uploads take long enough to be hit
        try:
            for trial in range(trials):
                data = tmp_path / f"kiosk-{trial}"
                told: set[str] = set()
                for _ in range(rng.randint(1, 3)):
                    told |= set(kill_at_random(data, world, link.url, 2, 600_000, trial + 1, rng, 2.0))
                told |= set(run_to_completion(data, world, link.url, 2, 600_000, trial + 1))
                check_exactly_once(world, data, told)
        finally:
            link.stop()

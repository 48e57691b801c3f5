"""Power loss: copies of the data folder taken at random instants while the terminal seals and
uploads (the process frozen, so each copy is exactly what it had written). Every copy opens,
holds every bundle the resident had been told about, and, resumed, sends nothing twice."""

import random
import time

import pytest
from harness import KioskProcess, assert_opens, check_exactly_once, env_trials, run_to_completion, snapshot

from kiosk.sim.link import ThrottledLink
from kiosk.sim.township import Township


def copies_during_one_run(tmp_path, world, url, run, count, rng):
    data = tmp_path / f"kiosk-{run}"
    kiosk = KioskProcess(data, world, url, 4, 600_000, run + 1)
    copies = []
    for index in range(count):
        time.sleep(rng.uniform(0.05, 0.6))
        if kiosk.done.is_set() or kiosk.process.poll() is not None:
            break
        told = kiosk.freeze()
        try:
            if data.exists():
                target = tmp_path / f"copy-{run}-{index}"
                snapshot(data, target)
                copies.append((target, told))
        finally:
            kiosk.thaw()
    assert kiosk.finish() == 0
    return copies


@pytest.mark.parametrize(
    "runs,per_run",
    [
        pytest.param(1, 3, id="short"),
        pytest.param(
            env_trials(200) // 10, 10, id="full", marks=[pytest.mark.slow, pytest.mark.timeout(3600)]
        ),
    ],
)
def test_every_copy_taken_mid_seal_or_upload_opens_and_resumes_exactly_once(tmp_path, runs, per_run):
    rng = random.Random(5)
    with Township(tmp_path / "world") as world:
        link = ThrottledLink(world.server.port, 16_000_000).start()
        try:
            taken = 0
            for run in range(runs):
                for copy, told in copies_during_one_run(tmp_path, world, link.url, run, per_run, rng):
                    assert_opens(copy, told)
                    # power back: deliver what was recorded; the interrupted resident starts afresh
                    resumed = run_to_completion(copy, world, link.url, 0, 600_000, run + 1)
                    check_exactly_once(world, copy, set(told) | set(resumed))
                    taken += 1
            assert taken >= runs  # at least one instant per run fell inside the seal or the upload
        finally:
            link.stop()

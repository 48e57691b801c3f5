"""Full garbage collections wait while someone is tapping on the screen."""

import gc
import math

import pytest

from kiosk import memory


@pytest.fixture
def thresholds():
    before = gc.get_threshold()
    gc.collect()  # nothing due yet
    yield
    gc.set_threshold(*before)


def middle_collections(n: int) -> None:
    for _ in range(n):
        gc.collect(1)  # each one is counted towards the next full collection


def test_python_starts_no_full_collection_right_after_a_touch(thresholds):
    memory.hold_full_collections(0.0)
    assert gc.get_threshold()[2] == memory.NEVER


@pytest.mark.parametrize("quiet_s", [memory.QUIET_S, math.inf])
def test_after_a_quiet_moment_python_collects_as_usual(thresholds, quiet_s):
    memory.hold_full_collections(0.0)
    memory.hold_full_collections(quiet_s)
    assert gc.get_threshold()[2] == memory.FULL_AFTER


def test_a_full_collection_merely_due_waits_while_someone_taps(thresholds):
    middle_collections(memory.OVERDUE - 1)
    memory.hold_full_collections(memory.QUIET_S / 2)
    assert gc.get_count()[2] == memory.OVERDUE - 1


def test_an_overdue_full_collection_runs_even_while_someone_taps(thresholds):
    middle_collections(memory.OVERDUE)
    memory.hold_full_collections(0.0)
    assert gc.get_count()[2] == 0

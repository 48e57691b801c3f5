"""Garbage collections wait from a touch until a quiet moment, unless they are overdue."""

import gc
import math

import pytest

from kiosk import memory


@pytest.fixture
def collector():
    gc.collect()  # nothing due yet
    yield
    gc.enable()


def middle_collections(n: int) -> None:
    for _ in range(n):
        gc.collect(1)  # each one is counted towards the next full collection


def young_garbage(n: int) -> None:
    for _ in range(n):
        cycle: list = []
        cycle.append(cycle)  # freed by a collection only


def test_python_starts_no_collection_after_a_touch(collector):
    memory.touched()
    assert not gc.isenabled()


def test_python_collects_as_usual_again_after_a_quiet_moment(collector):
    memory.touched()
    memory.collect_when_quiet(memory.QUIET_S / 2)
    assert not gc.isenabled()
    memory.collect_when_quiet(memory.QUIET_S)
    assert gc.isenabled()


def test_the_app_stopping_lets_python_collect_again(collector):
    memory.touched()
    memory.collect_when_quiet(math.inf)
    assert gc.isenabled()


def test_a_full_collection_merely_due_waits_for_the_quiet_moment(collector):
    middle_collections(memory.OVERDUE - 1)
    memory.touched()
    assert gc.get_count()[2] == memory.OVERDUE - 1


def test_an_overdue_full_collection_runs_at_the_next_touch(collector):
    middle_collections(memory.OVERDUE)
    memory.touched()
    assert gc.get_count()[2] == 0


def test_overdue_young_garbage_is_collected_at_the_next_touch_of_someone_tapping_on(collector):
    memory.touched()
    overdue = memory.YOUNG_OVERDUE * gc.get_threshold()[0]
    young_garbage(overdue)
    assert gc.get_count()[0] >= overdue  # nothing collected it meanwhile
    memory.touched()
    assert gc.get_count()[0] < gc.get_threshold()[0]

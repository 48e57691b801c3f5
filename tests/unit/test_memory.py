"""Full garbage collections wait until nobody is touching the terminal."""

import gc

import pytest

from kiosk import memory


@pytest.fixture
def deferred():
    thresholds = gc.get_threshold()
    memory.defer_full_collections()
    gc.collect()  # nothing due yet
    yield
    gc.set_threshold(*thresholds)


def middle_collections(n: int) -> None:
    for _ in range(n):
        gc.collect(1)  # each one is counted towards the next full collection


def test_python_never_starts_a_full_collection_by_itself(deferred):
    assert gc.get_threshold()[2] == memory.NEVER


def test_a_full_collection_waits_for_a_quiet_terminal(deferred):
    middle_collections(memory.FULL_AFTER)
    assert not memory.collect_if_quiet(memory.QUIET_S / 2)
    assert gc.get_count()[2] >= memory.FULL_AFTER
    assert memory.collect_if_quiet(memory.QUIET_S)
    assert gc.get_count()[2] == 0


def test_a_quiet_terminal_is_not_collected_again_for_nothing(deferred):
    middle_collections(memory.FULL_AFTER - 1)
    assert not memory.collect_if_quiet(memory.QUIET_S * 10)


def test_an_overdue_full_collection_runs_even_while_someone_taps(deferred):
    middle_collections(memory.OVERDUE)
    assert memory.collect_if_quiet(0.0)

"""The preview's page finder fed frame by frame: it follows a page, finds it again where it was moved,
and does not search an unchanged empty view again and again."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.imaging import preview
from kiosk.imaging.preview import PageFinder
from kiosk.sim import camera as sim
from tests.imaging.synthetic import jaccard

SIZE = (1040, 780)  # a preview frame
PX_PER_MM = sim.PX_PER_MM * SIZE[0] / sim.FRAME_SIZE[0]


@pytest.fixture(scope="module")
def empty():
    return sim.camera_model(sim.mat("light", np.random.default_rng(7), SIZE))


def with_page(empty, centre=(520, 390), angle=4.0):
    frame = empty.copy()
    page, size_mm = sim.document("notice", 1)  # A5, plain paper
    corners = sim.corners_for(size_mm, angle, centre, PX_PER_MM, SIZE)
    sim.lay(frame, page, corners)
    return sim.camera_model(frame, 0.5), corners


def test_a_page_lying_still_is_followed_frame_after_frame(empty):
    frame, corners = with_page(empty)
    finder = PageFinder()
    for _ in range(4):
        found = finder.find(frame)
        assert found is not None and jaccard(found.corners, corners, frame.shape) > 0.98


def test_a_page_moved_to_another_place_is_found_there(empty):
    finder = PageFinder()
    first, _ = with_page(empty, (420, 390))
    assert finder.find(first) is not None
    moved, corners = with_page(empty, (640, 400), angle=-20)
    found = finder.find(moved)
    assert found is not None and jaccard(found.corners, corners, moved.shape) > 0.98


def test_a_page_taken_away_is_gone_and_a_page_laid_down_again_is_found(empty):
    finder = PageFinder()
    frame, corners = with_page(empty)
    assert finder.find(frame) is not None
    for _ in range(3):
        assert finder.find(empty) is None
    found = finder.find(frame)
    assert found is not None and jaccard(found.corners, corners, frame.shape) > 0.98


def test_a_changing_empty_view_is_searched_every_time(empty):
    finder = PageFinder()
    dimmer = (empty * 0.8).astype(np.uint8)  # a hand's shadow coming and going
    for i in range(6):
        assert finder.find(dimmer if i % 2 else empty) is None
        assert finder.searched


def test_an_unchanged_empty_view_is_searched_again_now_and_then(empty):
    finder = PageFinder()
    searches = 0
    for _ in range(3 * preview.SEARCH_EVERY):
        finder.find(empty)
        searches += finder.searched
    assert 2 <= searches <= 4


@settings(max_examples=60, deadline=None)
@given(
    width=st.integers(8, 400),
    height=st.integers(8, 300),
    seed=st.integers(0, 2**32 - 1),
    boxes=st.integers(0, 4),
)
def test_any_frame_gives_a_plausible_outline_or_none_and_never_an_error(width, height, seed, boxes):
    rng = np.random.default_rng(seed)
    frame = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    for _ in range(boxes):  # bright rectangles: things a search may take for paper
        x0, y0 = rng.integers(0, width), rng.integers(0, height)
        frame[y0 : y0 + rng.integers(1, height), x0 : x0 + rng.integers(1, width)] = rng.integers(150, 256)
    finder = PageFinder()
    for view in (
        frame,
        frame,
        frame[:, ::-1].copy(),
        frame[: height // 2 + 1].copy(),
    ):  # a new resolution too
        found = finder.find(view)
        if found is not None:
            assert found.corners.shape == (4, 2) and np.isfinite(found.corners).all()
            assert (np.abs(found.corners) < 4 * max(width, height)).all()

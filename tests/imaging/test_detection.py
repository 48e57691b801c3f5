"""Page detection on the labelled synthetic set (short version; the full set: `make bench-camera`).

Scored only on seeds the tuning never saw. The textbook detector runs on the same frames to show
that the hard categories really are hard.
"""

import numpy as np
import pytest

from kiosk.imaging import detect
from tests.imaging import textbook
from tests.imaging.synthetic import CATEGORIES, SCORING_SEED, jaccard, sample, sample_set, score

SCALE = 0.5  # a quarter of the pixels keeps the suite quick; the bench runs full 13 MP frames
HARD = [name for name, c in CATEGORIES.items() if c.hard]


@pytest.fixture(scope="module")
def frames():
    return sample_set(range(SCORING_SEED, SCORING_SEED + 4), SCALE)


@pytest.fixture(scope="module")
def hard_frames(frames):
    more = sample_set(range(SCORING_SEED + 4, SCORING_SEED + 10), SCALE, HARD)
    return [s for s in frames if s.category in HARD] + more


def test_every_category_scores_a_mean_jaccard_of_at_least_095(frames):
    table = score(detect.find_page, frames)
    low = {name: round(row["jaccard"], 3) for name, row in table.items() if row["jaccard"] < 0.95}
    assert not low


def test_the_whole_set_scores_a_mean_jaccard_of_at_least_098(frames):
    table = score(detect.find_page, frames)
    assert np.mean([row["jaccard"] for row in table.values()]) >= 0.98


def test_the_textbook_detector_fails_the_hard_categories(hard_frames):
    table = score(textbook.find_page, hard_frames)
    assert set(table) == {"white_on_light", "finger", "shadow"}
    assert all(row["jaccard"] < 0.5 for row in table.values()), table


def test_ours_passes_where_the_textbook_detector_fails(hard_frames):
    table = score(detect.find_page, hard_frames)
    assert all(row["jaccard"] >= 0.95 for row in table.values()), table


def test_a_full_resolution_page_under_a_finger_is_found_within_a_few_pixels():
    s = sample("finger", SCORING_SEED + 50)
    found = detect.find_page(s.frame)
    assert found is not None
    assert np.abs(found - detect.order_corners(s.corners)).max() < 6  # of 4160 pixels across
    assert jaccard(found, s.corners, s.frame.shape) > 0.99


def test_corners_run_clockwise_from_the_top_left():
    quad = np.array([[90, 10], [100, 90], [5, 95], [10, 5]], np.float32)
    assert detect.order_corners(quad).tolist() == [[10, 5], [90, 10], [100, 90], [5, 95]]


def test_a_page_run_off_the_view_is_marked_cut_off():
    s = sample("edge", SCORING_SEED + 7, SCALE)
    found = detect.detect(s.frame)
    assert found is not None and jaccard(found.corners, s.corners, s.frame.shape) > 0.95
    h, w = s.frame.shape[:2]
    touching = (
        (s.corners.min(axis=0) < 3).any() or s.corners[:, 0].max() > w - 3 or s.corners[:, 1].max() > h - 3
    )
    assert found.cut_off == bool(touching)


def test_an_empty_mat_of_any_kind_has_no_page():
    from kiosk.sim import camera as sim

    for style in set(sim.MATS) - {"clutter"}:  # the clutter mat has rectangles of its own
        empty = sim.camera_model(sim.mat(style, np.random.default_rng(3), (1040, 780)))
        assert detect.find_page(empty) is None, style

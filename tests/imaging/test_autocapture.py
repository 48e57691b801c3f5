"""Auto-capture decided frame by frame with an explicit clock: no threads, no camera."""

import numpy as np

from kiosk.imaging.autocapture import HOLD_S, AutoCapture

WIDTH = 1040
PAGE = np.array([[300, 100], [700, 110], [690, 650], [290, 640]], np.float32)
LOOK = np.full((64, 64), 200, np.uint8)


def feed(auto, corners, t, look=LOOK, sharpness=10.0):
    return auto.update(corners, sharpness, look, t, WIDTH)


def test_a_page_held_still_is_captured_once_when_the_ring_closes():
    auto = AutoCapture()
    steps = [feed(auto, PAGE, t) for t in np.arange(0, HOLD_S + 1.0, 0.15)]
    assert [s.fire for s in steps].count(True) == 1
    progress = [s.progress for s in steps if s.state == "holding"]
    assert progress == sorted(progress) and progress[0] == 0.0
    assert steps[-1].state == "captured"


def test_a_moving_page_restarts_the_countdown():
    auto = AutoCapture()
    for i, t in enumerate(np.arange(0, 3, 0.15)):
        step = feed(auto, PAGE + i * 10, t)  # slid 10 px every frame
        assert not step.fire and step.progress == 0.0


def test_a_frame_blurred_by_motion_waits():
    auto = AutoCapture()
    for t in np.arange(0, HOLD_S + 0.5, 0.15):
        assert not feed(auto, PAGE, t, sharpness=10.0 if t < 0.2 else 4.0).fire


def test_the_next_page_is_captured_after_the_first_is_taken_away():
    auto = AutoCapture()
    fired = [feed(auto, PAGE, t).fire for t in np.arange(0, 2, 0.15)]
    feed(auto, None, 2.1)
    fired += [feed(auto, PAGE, t).fire for t in np.arange(2.2, 4.2, 0.15)]
    assert fired.count(True) == 2


def test_a_booklet_page_turned_over_in_place_is_a_new_page():
    auto = AutoCapture()
    fired = [feed(auto, PAGE, t).fire for t in np.arange(0, 2, 0.15)]
    turned = np.full((64, 64), 120, np.uint8)
    fired += [feed(auto, PAGE, t, look=turned).fire for t in np.arange(2.0, 4.0, 0.15)]
    assert fired.count(True) == 2


def test_a_page_taken_by_the_button_is_not_taken_again_by_itself():
    auto = AutoCapture()
    feed(auto, PAGE, 0.0)
    auto.captured(PAGE, LOOK)
    assert not any(feed(auto, PAGE, t).fire for t in np.arange(0.15, 3, 0.15))

"""When to take the picture by itself: a page that has lain still and sharp for a moment is captured
once; it is captured again only after it was taken away, moved or turned over (a new page).

A plain state machine fed one preview observation at a time with its own clock: no threads, no I/O,
so tests drive it frame by frame. The device service feeds it; the screen draws its progress.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

HOLD_S = 1.2  # still this long: the countdown ring closes and the page is captured
STILL = 0.004  # of the preview's width: corners moving less than this between frames are still
NEW_PLACE = 0.03  # of the preview's width: a captured page moved this far is a new page
NEW_CONTENT = 12.0  # mean grey-level change inside the page: a page turned over or replaced
SHARP_ENOUGH = 0.8  # of the sharpest view of this page: a frame blurred by motion must wait


@dataclass
class Progress:
    state: str  # "searching" (no page), "holding" (counting down), "captured" (waiting for a new page)
    progress: float = 0.0  # 0..1 of the countdown ring
    fire: bool = False  # capture now (true for exactly one observation)


class AutoCapture:
    def __init__(self, hold_s: float = HOLD_S) -> None:
        self.hold_s = hold_s
        self.reset()

    def reset(self) -> None:
        self._corners: np.ndarray | None = None
        self._still_since: float | None = None
        self._peak_sharpness = 0.0
        self._taken: tuple[np.ndarray, np.ndarray] | None = None  # corners and page look when captured

    def captured(self, corners: np.ndarray | None, look: np.ndarray | None) -> None:
        """A page was captured (automatically or by the button): do not take it again."""
        if corners is not None and look is not None:
            self._taken = (corners.copy(), look)
        self._still_since = None

    def update(
        self, corners: np.ndarray | None, sharpness: float, look: np.ndarray | None, now: float, width: int
    ) -> Progress:
        """One preview observation: the page's corners (None: no page), its sharpness, a small grey
        image of the page (`page_look`), the time, the preview's width in pixels."""
        previous, self._corners = self._corners, corners
        if corners is None:
            self._still_since, self._taken, self._peak_sharpness = None, None, 0.0
            return Progress("searching")
        if self._taken is not None:
            if self._same_page(corners, look, width):
                return Progress("captured", 1.0)
            self._taken, self._peak_sharpness = None, 0.0
        moved = previous is None or np.abs(corners - previous).max() > STILL * width
        self._peak_sharpness = max(self._peak_sharpness, sharpness)
        if moved or self._still_since is None:
            self._still_since = now
            return Progress("holding", 0.0)
        progress = min(1.0, (now - self._still_since) / self.hold_s)
        if progress < 1.0 or sharpness < SHARP_ENOUGH * self._peak_sharpness:
            return Progress("holding", progress)
        self.captured(corners, look)
        return Progress("captured", 1.0, fire=True)

    def _same_page(self, corners: np.ndarray, look: np.ndarray | None, width: int) -> bool:
        assert self._taken is not None
        taken_corners, taken_look = self._taken
        if np.abs(corners - taken_corners).max() > NEW_PLACE * width:
            return False
        return (
            look is None
            or taken_look.shape != look.shape
            or float(cv2.absdiff(look, taken_look).mean()) < NEW_CONTENT
        )


def page_look(frame: np.ndarray, corners: np.ndarray, size: int = 64) -> np.ndarray:
    """The page flattened to a small grey square: what it shows, wherever it lies."""
    square = np.array([[0, 0], [size, 0], [size, size], [0, size]], np.float32)
    matrix = cv2.getPerspectiveTransform(corners.astype(np.float32), square)
    grey = frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    return cv2.warpPerspective(grey, matrix, (size, size), flags=cv2.INTER_AREA)


def preview_sharpness(frame: np.ndarray, corners: np.ndarray) -> float:
    """A cheap sharpness of the page region of a preview frame, to compare frames of one page."""
    x0, y0 = np.maximum(corners.min(axis=0).astype(int), 0)
    x1, y1 = corners.max(axis=0).astype(int)
    region = frame[y0 : y1 + 1, x0 : x1 + 1]
    if region.size == 0:
        return 0.0
    grey = cv2.cvtColor(region, cv2.COLOR_BGR2GRAY) if region.ndim == 3 else region
    laplacian = cv2.Laplacian(grey, cv2.CV_16S)
    return float(cv2.mean(cv2.convertScaleAbs(laplacian))[0])

"""The live preview's page finder: follows the page from frame to frame with one fit, and searches the
whole frame only when the page is lost and the view has changed.

State for one preview stream, fed one frame at a time; no I/O, no threads, no clock.
"""

from __future__ import annotations

import cv2
import numpy as np

from kiosk.imaging import detect
from kiosk.imaging.detect import Detection

THUMB_WIDTH = 64  # the view is compared with the last searched one at this width
CHANGED = 3.0  # mean grey-level change of the thumbnail: the view has changed, search it again
SEARCH_EVERY = 10  # frames: an unchanged, empty view is searched again this often all the same


class PageFinder:
    """`find(frame)` for every preview frame."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.last: Detection | None = None
        self.width = 0  # of the last frame
        self.searched = False  # whether the last `find` searched the whole frame
        self._empty_view: np.ndarray | None = None  # thumbnail of the last view searched in vain
        self._skipped = 0  # frames since then

    def find(self, frame: np.ndarray) -> Detection | None:
        """The page in this frame, or None."""
        self.searched, self.width = False, frame.shape[1]
        if self.last is not None:
            self.last = detect.track(frame, self.last.corners)
            if self.last is not None:
                return self.last
        thumb = _thumbnail(frame)
        if self._unchanged(thumb):
            self._skipped += 1
            return None
        self.last, self.searched = detect.detect(frame), True
        self._empty_view, self._skipped = (thumb if self.last is None else None), 0
        return self.last

    @property
    def near(self) -> tuple[np.ndarray, int] | None:
        """Where the page was last seen, for a still of the same view (`pages.locate`): its corners
        and the width of that frame."""
        return None if self.last is None else (self.last.corners, self.width)

    def _unchanged(self, thumb: np.ndarray) -> bool:
        return (
            self._empty_view is not None
            and self._empty_view.shape == thumb.shape
            and self._skipped < SEARCH_EVERY
            and float(cv2.absdiff(thumb, self._empty_view).mean()) < CHANGED
        )


def _thumbnail(frame: np.ndarray) -> np.ndarray:
    grey = frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    factor = max(1, grey.shape[1] // THUMB_WIDTH)
    return cv2.resize(grey, None, fx=1 / factor, fy=1 / factor, interpolation=cv2.INTER_AREA)

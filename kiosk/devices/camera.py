"""High-speed document camera (高拍仪): UVC capture through OpenCV's V4L2 backend.

The same capture code reads a V4L2 device, a video file or a folder of images (the virtual camera
of the demo and tests: the newest image in the folder is what lies on the mat). No page logic here.
"""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np

from kiosk.errors import CameraError

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff"}


class FolderSource:
    """A folder of images; the most recently written image is the current frame."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._cache: tuple[Path, float, np.ndarray] | None = None

    def read(self) -> np.ndarray:
        images = [p for p in self.folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES]
        if not images:
            raise CameraError("CAMERA_NO_FRAME", detail=f"{self.folder} is empty")
        newest = max(images, key=lambda p: (p.stat().st_mtime_ns, p.name))
        mtime = newest.stat().st_mtime_ns
        if self._cache and self._cache[0] == newest and self._cache[1] == mtime:
            return self._cache[2]
        frame = cv2.imread(str(newest), cv2.IMREAD_COLOR)
        if frame is None:
            raise CameraError("IMAGE_UNREADABLE", file=str(newest))
        self._cache = (newest, mtime, frame)
        return frame

    def release(self) -> None:
        self._cache = None


class CaptureSource:
    """A V4L2 device or a video file through cv2.VideoCapture."""

    def __init__(self, source: str, width: int, height: int, fourcc: str) -> None:
        is_device = source.startswith("/dev/")
        self.capture = cv2.VideoCapture(source, cv2.CAP_V4L2 if is_device else cv2.CAP_ANY)
        if not self.capture.isOpened():
            raise CameraError("CAMERA_NO_CAMERA", detail=source)
        if is_device:
            self.capture.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter.fourcc(*fourcc))
            self.capture.set(cv2.CAP_PROP_FRAME_WIDTH, width)
            self.capture.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        self.source = source

    def read(self) -> np.ndarray:
        ok, frame = self.capture.read()
        if not ok or frame is None:
            raise CameraError("CAMERA_NO_FRAME", detail=self.source)
        return frame

    def release(self) -> None:
        self.capture.release()


class DocumentCamera:
    def __init__(
        self,
        source: str,
        width: int = 4160,
        height: int = 3120,
        fourcc: str = "MJPG",
        preview_width: int = 1000,
    ) -> None:
        self.source_name = source
        self.width, self.height, self.fourcc = width, height, fourcc
        self.preview_width = preview_width
        self.source: FolderSource | CaptureSource | None = None
        self.lock = threading.Lock()

    def open(self) -> None:
        path = Path(self.source_name)
        if path.is_dir():
            self.source = FolderSource(path)
        elif self.source_name.startswith("/dev/") or path.is_file():
            self.source = CaptureSource(self.source_name, self.width, self.height, self.fourcc)
        else:
            raise CameraError("CAMERA_NO_CAMERA", detail=self.source_name)

    def close(self) -> None:
        if self.source:
            self.source.release()
            self.source = None

    def still(self) -> np.ndarray:
        """A full-resolution frame (BGR)."""
        with self.lock:
            if self.source is None:
                self.open()
            assert self.source is not None
            return self.source.read()

    def preview(self) -> np.ndarray:
        """A frame reduced to `preview_width` for the live preview."""
        frame = self.still()
        factor = frame.shape[1] / self.preview_width
        if factor <= 1:
            return frame
        size = (self.preview_width, round(frame.shape[0] / factor))
        return cv2.resize(frame, size, interpolation=cv2.INTER_AREA)

"""High-speed document camera (高拍仪): UVC capture through OpenCV's V4L2 backend.

The camera streams MJPG at full resolution; the preview decodes each JPEG at a quarter of its size
(libjpeg's DCT scaling, about a third of the cost) and a still decodes it fully, keeping the camera's
own JPEG as the original. JPEGs are decoded by simplejpeg (libjpeg-turbo's SIMD paths: a 13 MP frame
in about half of OpenCV's time), falling back to OpenCV, which also shows a frame cut short. The same
code reads a V4L2 device, a video file or a folder of images (the virtual camera of the demo and
tests: the newest image is what lies on the mat). No page logic here.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import simplejpeg

from kiosk.errors import CameraError

log = logging.getLogger(__name__)
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff"}
REDUCED = {
    1: cv2.IMREAD_COLOR,
    2: cv2.IMREAD_REDUCED_COLOR_2,
    4: cv2.IMREAD_REDUCED_COLOR_4,
    8: cv2.IMREAD_REDUCED_COLOR_8,
}
REOPEN_AFTER_S = 2.0  # after a failure, wait this long before trying the device again


@dataclass
class Frame:
    """What the camera sent: its JPEG when it streams MJPG (None otherwise), or the decoded image."""

    jpeg: bytes | None
    image: np.ndarray | None = None

    def decode(self, reduce: int = 1) -> np.ndarray:
        """The image, decoded at 1/`reduce` of its size (1, 2, 4 or 8) where the JPEG allows it."""
        if self.jpeg is not None:
            return _decode_jpeg(self.jpeg, reduce)
        assert self.image is not None
        if reduce == 1:
            return self.image
        h, w = self.image.shape[:2]
        return cv2.resize(self.image, (w // reduce, h // reduce), interpolation=cv2.INTER_AREA)


def _decode_jpeg(jpeg: bytes, reduce: int) -> np.ndarray:
    try:
        height, width, _, _ = simplejpeg.decode_jpeg_header(jpeg)
        size = {"min_width": -(-width // reduce), "min_height": -(-height // reduce)}
        return simplejpeg.decode_jpeg(jpeg, colorspace="BGR", **size)
    except ValueError:  # not a JPEG libjpeg-turbo takes whole: OpenCV shows what arrived of it
        image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), REDUCED[reduce])
    if image is None:
        raise CameraError("CAMERA_NO_FRAME", detail="undecodable JPEG from the camera")
    return image


class FolderSource:
    """A folder of images; the most recently written image is the current frame."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._cache: tuple[Path, int, Frame] | None = None

    def read(self) -> Frame:
        try:
            images = [
                p
                for p in self.folder.iterdir()
                if p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith(".")
            ]
            if not images:
                raise CameraError("CAMERA_NO_FRAME", detail=f"{self.folder} is empty")
            newest = max(images, key=lambda p: (p.stat().st_mtime_ns, p.name))
            mtime = newest.stat().st_mtime_ns
            if self._cache and self._cache[0] == newest and self._cache[1] == mtime:
                return self._cache[2]
            data = newest.read_bytes()
        except OSError as e:
            raise CameraError("CAMERA_NO_CAMERA", detail=f"{self.folder}: {e.strerror}") from e
        if newest.suffix.lower() in (".jpg", ".jpeg"):
            frame = Frame(data)
        else:
            image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
            if image is None:
                raise CameraError("IMAGE_UNREADABLE", file=str(newest))
            frame = Frame(None, image)
        self._cache = (newest, mtime, frame)
        return frame

    def settings(self) -> dict[str, float]:
        return {}

    def release(self) -> None:
        self._cache = None


class CaptureSource:
    """A V4L2 device (MJPG handed over undecoded) or a video file through cv2.VideoCapture."""

    def __init__(
        self, source: str, width: int, height: int, fourcc: str, exposure: float, focus: float
    ) -> None:
        is_device = source.startswith("/dev/")
        self.capture = cv2.VideoCapture(source, cv2.CAP_V4L2 if is_device else cv2.CAP_ANY)
        if not self.capture.isOpened():
            raise CameraError("CAMERA_NO_CAMERA", detail=source)
        if is_device:
            self._configure(width, height, fourcc, exposure, focus)
        self.source = source

    def _configure(self, width: int, height: int, fourcc: str, exposure: float, focus: float) -> None:
        c = self.capture
        c.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter.fourcc(*fourcc))
        c.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        c.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        c.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # the newest frame, not one from a second ago
        if fourcc == "MJPG":
            c.set(cv2.CAP_PROP_CONVERT_RGB, 0)  # hand over the JPEG itself (V4L2 backend)
        # V4L2 auto exposure: 3 = aperture priority (auto), 1 = manual; values the camera lacks are ignored
        c.set(cv2.CAP_PROP_AUTO_EXPOSURE, 3 if exposure < 0 else 1)
        if exposure >= 0:
            c.set(cv2.CAP_PROP_EXPOSURE, exposure)
        c.set(cv2.CAP_PROP_AUTOFOCUS, 1 if focus < 0 else 0)
        if focus >= 0:
            c.set(cv2.CAP_PROP_FOCUS, focus)
        got = (c.get(cv2.CAP_PROP_FRAME_WIDTH), c.get(cv2.CAP_PROP_FRAME_HEIGHT))
        if got != (width, height):
            log.warning(
                "camera.resolution",
                extra={
                    "event": "camera.resolution",
                    "asked": f"{width}x{height}",
                    "got": f"{got[0]:.0f}x{got[1]:.0f}",
                },
            )

    def read(self) -> Frame:
        ok, data = self.capture.read()
        if not ok or data is None:
            raise CameraError("CAMERA_NO_FRAME", detail=self.source)
        if data.ndim == 1 or data.shape[0] == 1:  # undecoded MJPG
            return Frame(data.tobytes())
        return Frame(None, data)

    def settings(self) -> dict[str, float]:
        props = {
            "exposure": cv2.CAP_PROP_EXPOSURE,
            "auto_exposure": cv2.CAP_PROP_AUTO_EXPOSURE,
            "focus": cv2.CAP_PROP_FOCUS,
            "autofocus": cv2.CAP_PROP_AUTOFOCUS,
        }
        return {name: float(self.capture.get(prop)) for name, prop in props.items()}

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
        exposure: float = -1.0,
        focus: float = -1.0,
    ) -> None:
        self.source_name = source
        self.width, self.height, self.fourcc = width, height, fourcc
        self.preview_width = preview_width
        self.exposure, self.focus = exposure, focus
        self.source: FolderSource | CaptureSource | None = None
        self.lock = threading.Lock()
        self._failed_at = 0.0

    def open(self) -> None:
        path = Path(self.source_name)
        if path.is_dir():
            self.source = FolderSource(path)
        elif self.source_name.startswith("/dev/") or path.is_file():
            self.source = CaptureSource(
                self.source_name, self.width, self.height, self.fourcc, self.exposure, self.focus
            )
        else:
            raise CameraError("CAMERA_NO_CAMERA", detail=self.source_name)

    def close(self) -> None:
        with self.lock:
            self._release()

    def _release(self) -> None:
        if self.source:
            self.source.release()
            self.source = None

    def frame(self) -> Frame:
        """The newest frame, undecoded where possible. A camera that fails (unplugged) is closed and
        opened again on a later call, so it comes back by itself when it is plugged in again."""
        with self.lock:
            if self.source is None:
                if time.monotonic() - self._failed_at < REOPEN_AFTER_S and self._failed_at:
                    raise CameraError("CAMERA_NO_CAMERA", detail=f"{self.source_name} (waiting to reopen)")
                try:
                    self.open()
                except CameraError:
                    self._failed_at = time.monotonic()
                    raise
            assert self.source is not None
            try:
                return self.source.read()
            except CameraError:
                self._release()
                self._failed_at = time.monotonic()
                raise

    def preview(self) -> np.ndarray:
        """A frame of about `preview_width` pixels for the live preview."""
        frame = self.frame()
        reduce = max((r for r in REDUCED if self.width / r >= self.preview_width * 0.95), default=1)
        image = frame.decode(reduce if frame.jpeg is not None else 1)
        if image.shape[1] > self.preview_width * 1.1:
            factor = image.shape[1] / self.preview_width
            image = cv2.resize(
                image, (self.preview_width, round(image.shape[0] / factor)), interpolation=cv2.INTER_AREA
            )
        return image

    def capture(self) -> Frame:
        """A full-resolution still, undecoded where the camera sent a JPEG (its own JPEG is kept as the
        original, and the capture decodes it at the sizes it needs)."""
        return self.frame()

    def still(self) -> np.ndarray:
        """A full-resolution frame (BGR)."""
        return self.capture().decode()

    def settings(self) -> dict[str, float]:
        """Exposure and focus as the camera reports them (empty for files)."""
        with self.lock:
            return self.source.settings() if self.source else {}

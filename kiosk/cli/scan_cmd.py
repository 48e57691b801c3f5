"""kiosk scan …: the document-camera pipeline on one image file, or live on a camera (technicians,
trying the pipeline on a real 高拍仪, scripts). Uses the driver and kiosk.imaging directly; no flow.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import cv2
import numpy as np

from kiosk.devices.camera import DocumentCamera
from kiosk.errors import KioskError
from kiosk.imaging import pages
from kiosk.imaging.autocapture import HOLD_S, AutoCapture, page_look, preview_sharpness
from kiosk.imaging.codes import read_codes
from kiosk.imaging.preview import PageFinder
from kiosk.xdisplay import VirtualDisplay

PREVIEW_INTERVAL_S = 0.15


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("scan", help="find, correct and check a document in an image or on the camera")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--image", type=Path, metavar="FILE", help="one image file (JPEG, PNG, …)")
    source.add_argument(
        "--camera", metavar="DEVICE", help="a V4L2 device, a video file or a folder of images"
    )
    parser.add_argument(
        "--out", type=Path, metavar="PAGE.jpg", help="with --image: write the corrected page here"
    )
    parser.add_argument("--out-dir", type=Path, metavar="DIR", help="with --camera: where captured pages go")
    parser.add_argument("--json", action="store_true", help="with --image: print one JSON object")
    parser.add_argument(
        "--size", metavar="SIZE", help="the document's real size: a4, a5, id, booklet or WxHmm"
    )
    parser.add_argument(
        "--look", choices=["color", "document"], default="color", help="colour page or photocopy look"
    )
    parser.add_argument(
        "--pages", type=int, default=0, help="with --camera: stop after this many pages (0: never)"
    )
    parser.add_argument(
        "--screenshot",
        type=Path,
        metavar="PNG",
        help="with --camera: save the preview window once the countdown has begun, then exit",
    )
    parser.set_defaults(func=scan)


def scan(args: argparse.Namespace) -> int:
    size_mm = _size(args.size)
    if args.image:
        return scan_image(args.image, size_mm, args.out, args.look, args.json)
    if args.screenshot:
        with VirtualDisplay(1280, 960):
            return preview_window(
                args.camera, size_mm, args.out_dir or Path("scans"), args.look, args.screenshot
            )
    if os.environ.get("DISPLAY"):
        return preview_window(args.camera, size_mm, args.out_dir or Path("scans"), args.look)
    if not args.out_dir:
        raise KioskError("SCAN_NO_DISPLAY")
    return auto_capture_loop(args.camera, size_mm, args.out_dir, args.look, args.pages)


def _size(text: str | None) -> tuple[float, float] | None:
    if text is None:
        return None
    try:
        return pages.paper_size_mm(text)
    except ValueError:
        raise KioskError("SCAN_BAD_SIZE", size=text) from None


def scan_image(
    path: Path, size_mm: tuple[float, float] | None, out: Path | None, look: str, as_json: bool
) -> int:
    if not path.is_file():
        raise KioskError("FILE_MISSING", file=str(path))
    frame = cv2.imdecode(np.fromfile(str(path), np.uint8), cv2.IMREAD_COLOR)
    if frame is None:
        raise KioskError("IMAGE_UNREADABLE", file=str(path))
    start = time.perf_counter()
    result = pages.capture(frame, size_mm, read=True)
    codes = result.codes if result else read_codes(frame)
    elapsed_ms = (time.perf_counter() - start) * 1000
    report = {
        "found": result is not None,
        "corners": None
        if result is None
        else [[round(float(x), 1), round(float(y), 1)] for x, y in result.corners],
        "dpi": result.dpi if result and size_mm else None,
        "sharpness": None if result is None else round(result.sharpness, 3),
        "warnings": [] if result is None else result.warnings,
        "codes": [c.to_json() for c in codes],
        "ms": round(elapsed_ms, 1),
    }
    if out and result:
        _write(out, _looked(result, look), result.dpi)
    if as_json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        for key, value in report.items():
            print(f"{key:9} {json.dumps(value, ensure_ascii=False)}")
    return 0


def _looked(result: pages.PageResult, look: str) -> np.ndarray:
    return pages.document_look(result.image) if look == "document" else result.image


def _write(path: Path, image: np.ndarray, dpi: int) -> None:
    """Written whole or not at all: a temporary file renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(pages.encode_jpeg(image, dpi))
    tmp.replace(path)


class LiveScan:
    """The preview loop of a camera: follow the page, count down, capture pages into a folder."""

    def __init__(
        self,
        source: str,
        size_mm: tuple[float, float] | None,
        out_dir: Path,
        look: str,
        hold_s: float = HOLD_S,
    ) -> None:
        self.camera = DocumentCamera(source)
        self.size_mm, self.out_dir, self.look = size_mm, out_dir, look
        self.auto = AutoCapture(hold_s)
        self.finder = PageFinder()
        self.corners: np.ndarray | None = None
        self.captured: list[Path] = []

    def step(self) -> tuple[np.ndarray, np.ndarray | None, float, str]:
        """One preview frame: the frame, the page's corners, the countdown progress and state; a page
        held still long enough is captured."""
        frame = self.camera.preview()
        found = self.finder.find(frame)
        self.corners = None if found is None else found.corners
        look = None if self.corners is None else page_look(frame, self.corners)
        sharp = 0.0 if self.corners is None else preview_sharpness(frame, self.corners)
        progress = self.auto.update(self.corners, sharp, look, time.monotonic(), frame.shape[1])
        if progress.fire:
            self.capture()
        return frame, self.corners, progress.progress, progress.state

    def capture(self) -> Path | None:
        still = self.camera.capture()
        frame = still.decode()
        result = pages.capture(frame, self.size_mm, near=self.finder.near)
        if result is None:
            return None
        number = len(self.captured) + 1
        target = self.out_dir / f"page-{number:03d}.jpg"
        _write(target, _looked(result, self.look), result.dpi)
        original = still.jpeg or pages.encode_jpeg(frame, 0, quality=80)
        (self.out_dir / f"original-{number:03d}.jpg").write_bytes(original)
        self.captured.append(target)
        warnings = f" ({', '.join(result.warnings)})" if result.warnings else ""
        print(
            f"{target}  {result.image.shape[1]}x{result.image.shape[0]}  {result.dpi or '?'} dpi{warnings}",
            flush=True,
        )
        return target


def auto_capture_loop(
    source: str, size_mm: tuple[float, float] | None, out_dir: Path, look: str, limit: int
) -> int:
    """No display: capture every page that is laid on the mat and held still, until Ctrl+C."""
    out_dir.mkdir(parents=True, exist_ok=True)
    live = LiveScan(source, size_mm, out_dir, look)
    print(f"capturing into {out_dir}; lay a page on the mat and hold it still (Ctrl+C ends)", file=sys.stderr)
    try:
        while not limit or len(live.captured) < limit:
            started = time.monotonic()
            live.step()
            time.sleep(max(0.0, PREVIEW_INTERVAL_S - (time.monotonic() - started)))
    finally:
        live.camera.close()
    return 0


def preview_window(
    source: str, size_mm: tuple[float, float] | None, out_dir: Path, look: str, screenshot: Path | None = None
) -> int:
    """A Kivy window with the live preview, the outline and the countdown; Space captures now."""
    from kivy.app import App
    from kivy.clock import Clock
    from kivy.core.window import Window

    from kiosk.screens.camera_preview import Preview

    out_dir.mkdir(parents=True, exist_ok=True)
    live = LiveScan(
        source, size_mm, out_dir, look, 6.0 if screenshot else HOLD_S
    )  # a slow ring to photograph

    class ScanApp(App):
        title = "kiosk scan"

        def build(self) -> Preview:
            preview = Preview()
            Clock.schedule_interval(lambda _dt: self.tick(preview), PREVIEW_INTERVAL_S)
            Window.bind(on_key_down=lambda _w, key, *_: key == 32 and live.capture())
            return preview

        def tick(self, preview: Preview) -> None:
            frame, corners, progress, state = live.step()
            preview.show(frame, corners, progress, state)
            if screenshot and state == "holding" and progress >= 0.3:
                Clock.schedule_once(lambda _dt: (preview.export_to_png(str(screenshot)), self.stop()), 0.1)

    try:
        ScanApp().run()
    finally:
        live.camera.close()
    return 0

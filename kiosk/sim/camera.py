"""The virtual document camera: synthetic material pages laid on a mat, written as image files into
the folder that the camera driver reads (the newest image is what lies on the mat).
"""

from __future__ import annotations

import functools
import os
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from kiosk import fonts

FRAME_SIZE = (4160, 3120)  # 13 MP, 4:3, as common 高拍仪 modules


def page_image(
    title: str, lines: list[str], size_mm: tuple[float, float] = (210, 297), px_per_mm: float = 6
) -> np.ndarray:
    """A near-white page of `size_mm` with a title and lines of Chinese text, as a BGR array."""
    size_px = (round(size_mm[0] * px_per_mm), round(size_mm[1] * px_per_mm))
    page = Image.new("RGB", size_px, (250, 250, 246))
    draw = ImageDraw.Draw(page)
    font_path = fonts.truetype_cjk()
    unit = min(size_px) / 20
    title_font = ImageFont.truetype(font_path, round(unit * 1.3))
    body_font = ImageFont.truetype(font_path, round(unit * 0.7))
    draw.text((size_px[0] // 2, round(unit * 1.5)), title, font=title_font, fill=(20, 20, 20), anchor="mt")
    y = round(unit * 4)
    for line in lines:
        draw.text((round(unit * 1.2), y), line, font=body_font, fill=(35, 35, 35))
        y += round(unit * 1.3)
    margin = round(unit * 0.6)
    draw.rectangle([margin, margin, size_px[0] - margin, size_px[1] - margin], outline=(90, 90, 90), width=3)
    return cv2.cvtColor(np.asarray(page), cv2.COLOR_RGB2BGR)


@functools.cache
def mat_background(mat_bgr: tuple[int, int, int]) -> np.ndarray:
    """A plain mat with a little sensor noise."""
    w, h = FRAME_SIZE
    noise = np.random.default_rng(7).integers(-4, 5, (h, w, 3), dtype=np.int16)
    return np.clip(np.array(mat_bgr, np.int16) + noise, 0, 255).astype(np.uint8)


MAT_BGR = (60, 62, 58)


def on_mat(page: np.ndarray, corners: np.ndarray, mat_bgr: tuple[int, int, int] = MAT_BGR) -> np.ndarray:
    """The page warped onto a plain mat at `corners` (clockwise from top-left, frame pixels)."""
    w, h = FRAME_SIZE
    frame = mat_background(mat_bgr).copy()
    ph, pw = page.shape[:2]
    source = np.array([[0, 0], [pw - 1, 0], [pw - 1, ph - 1], [0, ph - 1]], np.float32)
    matrix = cv2.getPerspectiveTransform(source, corners.astype(np.float32))
    warped = cv2.warpPerspective(page, matrix, (w, h))
    mask = cv2.warpPerspective(np.full((ph, pw), 255, np.uint8), matrix, (w, h))
    frame[mask > 0] = warped[mask > 0]
    return frame


def corners_for(size_mm: tuple[float, float], angle_deg: float = 3.0, px_per_mm: float = 9.9) -> np.ndarray:
    """Where a page of `size_mm` lies on the mat: centred, turned by `angle_deg`, 9.9 px/mm as a
    13 MP camera framing a 420 x 315 mm mat."""
    w, h = size_mm[0] * px_per_mm / 2, size_mm[1] * px_per_mm / 2
    box = np.array([[-w, -h], [w, -h], [w, h], [-w, h]])
    a = np.radians(angle_deg)
    turned = box @ np.array([[np.cos(a), np.sin(a)], [-np.sin(a), np.cos(a)]])
    return (turned + np.array(FRAME_SIZE) / 2).astype(np.float32)


class VirtualMat:
    """Places frames into the camera folder, atomically, newest last."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.count = 0

    def place(self, frame: np.ndarray) -> Path:
        self.count += 1
        target = self.folder / f"frame-{self.count:04d}.jpg"
        tmp = self.folder / f".frame-{self.count:04d}.tmp.jpg"
        cv2.imwrite(str(tmp), frame, [cv2.IMWRITE_JPEG_QUALITY, 90])
        os.replace(tmp, target)
        stamp = time.time_ns()
        os.utime(target, ns=(stamp, stamp))
        return target

    def place_document(self, title: str, lines: list[str], size_mm: tuple[float, float] = (210, 297)) -> Path:
        return self.place(on_mat(page_image(title, lines, size_mm), corners_for(size_mm)))

    def clear(self, mat_bgr: tuple[int, int, int] = MAT_BGR) -> Path:
        """Nothing on the mat."""
        return self.place(mat_background(mat_bgr))

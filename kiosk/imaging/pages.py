"""Page detection, perspective correction and output of one captured page.

Pure functions on numpy images; the camera driver supplies frames, the flow stores the results.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

import cv2
import numpy as np
from PIL import Image

PAPER_SIZES_MM = {"a4": (210.0, 297.0), "a5": (148.0, 210.0), "id": (85.6, 54.0), "booklet": (125.0, 176.0)}
TARGET_DPI = 300
MIN_DPI = 200
MIN_SHARPNESS = 60.0
DETECT_WIDTH = 800


def paper_size_mm(size: str) -> tuple[float, float]:
    """A named size or 'WxHmm'."""
    if size in PAPER_SIZES_MM:
        return PAPER_SIZES_MM[size]
    match = re.fullmatch(r"(\d+(?:\.\d+)?)x(\d+(?:\.\d+)?)mm", size)
    if not match:
        raise ValueError(f"unknown paper size {size!r}")
    return float(match.group(1)), float(match.group(2))


def order_corners(points: np.ndarray) -> np.ndarray:
    """Four points clockwise from the top-left."""
    pts = points.reshape(4, 2).astype(np.float32)
    s, d = pts.sum(axis=1), np.diff(pts, axis=1).ravel()
    return np.array([pts[np.argmin(s)], pts[np.argmin(d)], pts[np.argmax(s)], pts[np.argmax(d)]], np.float32)


def find_page(frame: np.ndarray) -> np.ndarray | None:
    """The corners of the largest paper-like quadrilateral, in frame pixels, or None."""
    scale = DETECT_WIDTH / frame.shape[1]
    small = cv2.resize(frame, (DETECT_WIDTH, round(frame.shape[0] * scale)), interpolation=cv2.INTER_AREA)
    grey = cv2.GaussianBlur(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY), (5, 5), 0)
    area_min = 0.015 * small.shape[0] * small.shape[1]
    best, best_area = None, 0.0
    for edges in (
        cv2.Canny(grey, 30, 90),
        cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)[1],
    ):
        closed = cv2.dilate(edges, np.ones((3, 3), np.uint8))
        contours, _ = cv2.findContours(closed, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        for contour in contours:
            hull = cv2.convexHull(contour)
            approx = cv2.approxPolyDP(hull, 0.02 * cv2.arcLength(hull, True), True)
            area = cv2.contourArea(approx)
            if len(approx) == 4 and area > max(area_min, best_area) and _stands_out(grey, approx):
                best, best_area = approx, area
    return None if best is None else order_corners(best) / scale


def _stands_out(grey: np.ndarray, quad: np.ndarray, margin: float = 20.0) -> bool:
    """Paper is clearly lighter than the mat around it; noise blobs on an empty mat are not."""
    mask = np.zeros(grey.shape, np.uint8)
    cv2.fillConvexPoly(mask, quad.reshape(-1, 2).astype(np.int32), 255)
    inside = cv2.mean(grey, mask=mask)[0]
    outside = cv2.mean(grey, mask=cv2.bitwise_not(mask))[0]
    return inside - outside > margin


def sharpness(image: np.ndarray) -> float:
    return float(cv2.Laplacian(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), cv2.CV_64F).var())


@dataclass
class PageResult:
    corners: np.ndarray
    image: np.ndarray
    dpi: int
    sharpness: float
    warnings: list[str] = field(default_factory=list)


def correct(frame: np.ndarray, corners: np.ndarray, size_mm: tuple[float, float]) -> PageResult:
    """Warp the page flat at the best dpi the frame supports (capped at 300), matching its orientation."""
    top = np.linalg.norm(corners[1] - corners[0])
    side = np.linalg.norm(corners[3] - corners[0])
    short_mm, long_mm = sorted(size_mm)
    width_mm, height_mm = (long_mm, short_mm) if top > side else (short_mm, long_mm)
    effective_dpi = max(top, side) / (max(width_mm, height_mm) / 25.4)
    dpi = int(min(TARGET_DPI, effective_dpi))
    out_w, out_h = round(width_mm / 25.4 * dpi), round(height_mm / 25.4 * dpi)
    target = np.array([[0, 0], [out_w - 1, 0], [out_w - 1, out_h - 1], [0, out_h - 1]], np.float32)
    matrix = cv2.getPerspectiveTransform(corners.astype(np.float32), target)
    page = cv2.warpPerspective(frame, matrix, (out_w, out_h), flags=cv2.INTER_LINEAR)
    result = PageResult(corners, page, dpi, sharpness(page))
    if effective_dpi < MIN_DPI:
        result.warnings.append("too_small")
    if result.sharpness < MIN_SHARPNESS:
        result.warnings.append("blur")
    return result


def document_look(page: np.ndarray) -> np.ndarray:
    """An even-background 'photocopy' variant: divide out the illumination, keep text dark."""
    grey = cv2.cvtColor(page, cv2.COLOR_BGR2GRAY)
    background = cv2.medianBlur(cv2.resize(grey, None, fx=0.125, fy=0.125), 15)
    background = cv2.resize(background, (grey.shape[1], grey.shape[0]), interpolation=cv2.INTER_LINEAR)
    flat = cv2.divide(grey, background, scale=255)
    return cv2.cvtColor(flat, cv2.COLOR_GRAY2BGR)


def encode_jpeg(image: np.ndarray, dpi: int, quality: int = 85) -> bytes:
    """JPEG with the dpi in its JFIF header (OpenCV's encoder cannot write it)."""
    rgb = Image.fromarray(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
    out = io.BytesIO()
    rgb.save(out, format="JPEG", quality=quality, dpi=(dpi, dpi))
    return out.getvalue()

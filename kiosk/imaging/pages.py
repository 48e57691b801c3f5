"""One captured page: corrected flat at its real size and a known dpi, turned upright, checked (blur,
glare, cut off, too small), given its photocopy look, and encoded as JPEG with the dpi in its header.

Pure functions on numpy images; the camera driver supplies frames, the flow stores the results.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

import cv2
import numpy as np
from PIL import Image

from kiosk.imaging import orientation
from kiosk.imaging.codes import Code, read_codes
from kiosk.imaging.detect import Detection, detect, follow

PAPER_SIZES_MM = {"a4": (210.0, 297.0), "a5": (148.0, 210.0), "id": (85.6, 54.0), "booklet": (125.0, 176.0)}
TARGET_DPI = 300  # archive rule (DA/T 31): >= 200 dpi, 300 for small print
MIN_DPI = 200
BLUR_LIMIT = 0.11  # sharpness below this: out of focus or moved (sharp print ~0.13-0.25 at 150 dpi)
SHARPNESS_DPI = 150  # sharpness is judged at the resolution a clerk reads at
GLARE_SHARE = 0.02  # of the page blown out to white: a reflection hides what is under it
CLIPPED = 250  # every channel at or above this is blown out
WARNINGS = ("blur", "glare", "cut_off", "too_small", "rotated")


def paper_size_mm(size: str) -> tuple[float, float]:
    """A named size (a4, a5, id, booklet) or 'WxHmm', as (width, height) in millimetres."""
    key = size.strip().lower()
    if key in PAPER_SIZES_MM:
        return PAPER_SIZES_MM[key]
    match = re.fullmatch(r"(\d+(?:\.\d+)?)x(\d+(?:\.\d+)?)mm", key)
    if not match or min(float(match.group(1)), float(match.group(2))) <= 0:
        raise ValueError(f"unknown paper size {size!r}: a4, a5, id, booklet or WxHmm")
    return float(match.group(1)), float(match.group(2))


@dataclass
class PageResult:
    corners: np.ndarray  # in the frame, clockwise from the page's top-left as it lies
    image: np.ndarray  # corrected and upright, BGR
    dpi: int  # effective resolution of `image`; 0 when the page's real size is unknown
    sharpness: float
    warnings: list[str] = field(default_factory=list)
    turned: int = 0  # degrees the content was turned back (counter-clockwise) to stand upright
    codes: list[Code] = field(default_factory=list)


def capture(
    frame: np.ndarray,
    size_mm: tuple[float, float] | None = None,
    found: Detection | None = None,
    read: bool = False,
    near: tuple[np.ndarray, int] | None = None,
) -> PageResult | None:
    """The whole pipeline on one frame: find (unless `found` is given), correct, check; None when
    no document is found. With `read`, codes on the page (or anywhere in the frame) are decoded.
    `near`: see `locate`. A caller that passes its only reference to the frame (`capture(still.decode())`)
    lets it go once the page is flat: a 13 MP frame is 37 MB the checks do not need."""
    found = found or locate(frame, near)
    if found is None:
        return None
    page, dpi, effective = _flattened(frame, found.corners, size_mm)
    cut_off = found.cut_off or _outside(found.corners, frame.shape)
    codes = (read_codes(page) or read_codes(frame)) if read else []
    del frame
    result = _checked(found.corners, page, dpi, effective)
    if cut_off:
        result.warnings.append("cut_off")
    result.codes = codes
    blank = [c.corners for c in result.codes if c.type in ("QRCode", "MicroQRCode", "DataMatrix")]
    turn = orientation.clockwise_turn(_painted_out(result.image, blank), result.dpi)
    if turn:
        result.image = orientation.upright(result.image, turn)
        result.turned = turn
        result.warnings.append("rotated")
    result.warnings.sort(key=WARNINGS.index)
    return result


def locate(frame: np.ndarray, near: tuple[np.ndarray, int] | None = None) -> Detection | None:
    """The page in a frame: followed from where the live preview last saw it (`near`: its corners in
    a frame `width` pixels wide) while it still lies there, a few milliseconds; else searched for."""
    return (follow(frame, *near) if near else None) or detect(frame)


def correct(frame: np.ndarray, corners: np.ndarray, size_mm: tuple[float, float] | None = None) -> PageResult:
    """Warp the page flat and check it. With its real size known: at that size's proportions and the dpi
    the frame supports (capped at TARGET_DPI); otherwise at its measured proportions and frame
    resolution."""
    return _checked(corners, *_flattened(frame, corners, size_mm))


def _flattened(
    frame: np.ndarray, corners: np.ndarray, size_mm: tuple[float, float] | None
) -> tuple[np.ndarray, int, float]:
    """The flat page, its dpi (0: size unknown) and the dpi the frame gave it (inf: size unknown)."""
    corners = corners.astype(np.float32)
    width_px = (np.linalg.norm(corners[1] - corners[0]) + np.linalg.norm(corners[2] - corners[3])) / 2
    height_px = (np.linalg.norm(corners[3] - corners[0]) + np.linalg.norm(corners[2] - corners[1])) / 2
    if size_mm is None:
        out_w, out_h, dpi, effective = round(width_px), round(height_px), 0, float("inf")
    else:
        short_mm, long_mm = sorted(size_mm)
        width_mm, height_mm = (long_mm, short_mm) if width_px > height_px else (short_mm, long_mm)
        effective = float(np.sqrt(width_px * height_px / (width_mm * height_mm)) * 25.4)
        dpi = int(min(TARGET_DPI, effective))
        out_w, out_h = round(width_mm / 25.4 * dpi), round(height_mm / 25.4 * dpi)
    target = np.array([[0, 0], [out_w, 0], [out_w, out_h], [0, out_h]], np.float32)
    matrix = cv2.getPerspectiveTransform(corners, target)
    page = cv2.warpPerspective(
        frame, matrix, (out_w, out_h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    return page, dpi, effective


def _checked(corners: np.ndarray, page: np.ndarray, dpi: int, effective: float) -> PageResult:
    result = PageResult(corners.astype(np.float32), page, dpi, sharpness(page, dpi))
    if effective < MIN_DPI:
        result.warnings.append("too_small")
    if result.sharpness < BLUR_LIMIT:
        result.warnings.append("blur")
    if glare_share(page) > GLARE_SHARE:
        result.warnings.append("glare")
    return result


def sharpness(image: np.ndarray, dpi: int = 0) -> float:
    """How sharp the strongest edges are, whatever the amount or contrast of the print: the
    Laplacian's peak over the gradient's peak (both grow with contrast; their ratio ~1 / blur
    width), 99th percentiles, on a copy at SHARPNESS_DPI (or 1000 px wide when the dpi is unknown).
    Each map is made, measured in place and let go before the next (a few MB at a time)."""
    grey = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    scale = min(1.0, SHARPNESS_DPI / dpi if dpi else 1000 / max(grey.shape))
    small = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    del grey
    gradient = cv2.Sobel(small, cv2.CV_32F, 1, 0)
    cv2.magnitude(gradient, cv2.Sobel(small, cv2.CV_32F, 0, 1), gradient)
    peak = _top_percent(gradient)
    del gradient
    if peak < 8:
        return 0.0
    laplacian = cv2.Laplacian(small, cv2.CV_16S)  # integer kernels on 8-bit grey: exact in 16 bits
    return _top_percent(np.abs(laplacian, out=laplacian)) / peak


def _top_percent(values: np.ndarray) -> float:
    """The 99th percentile (the order statistic: a partial sort, ten times faster than np.percentile).
    `values` is reordered in place."""
    flat = values.reshape(-1)
    k = int(0.99 * (flat.size - 1))
    flat.partition(k)
    return float(flat[k])


def glare_share(page: np.ndarray) -> float:
    """Share of the page (margins excluded) blown out to white in every channel."""
    h, w = page.shape[:2]
    inner = page[h // 20 : h - h // 20, w // 20 : w - w // 20]
    clipped = cv2.inRange(inner, (CLIPPED,) * 3, (255,) * 3)  # OpenCV: some 30 times numpy's speed here
    return cv2.countNonZero(clipped) / max(clipped.size, 1)


def _outside(corners: np.ndarray, shape: tuple[int, ...]) -> bool:
    h, w = shape[:2]
    return bool((corners < -1).any() or (corners[:, 0] > w).any() or (corners[:, 1] > h).any())


def _painted_out(image: np.ndarray, quads: list[np.ndarray]) -> np.ndarray:
    if not quads:
        return image
    out = image.copy()
    for quad in quads:
        cv2.fillConvexPoly(out, quad.astype(np.int32), (255, 255, 255))
    return out


def document_look(page: np.ndarray) -> np.ndarray:
    """The 'photocopy' variant: grey, the paper's shading divided out (an even white background),
    print stretched to full black. One channel, made in place in one page-sized grey buffer besides
    the output."""
    grey = page if page.ndim == 2 else cv2.cvtColor(page, cv2.COLOR_BGR2GRAY)
    small = cv2.resize(grey, None, fx=0.125, fy=0.125, interpolation=cv2.INTER_AREA)
    background = cv2.resize(
        cv2.dilate(cv2.medianBlur(small, 5), np.ones((5, 5), np.uint8)),
        (grey.shape[1], grey.shape[0]),
        interpolation=cv2.INTER_LINEAR,
    )
    flat = cv2.divide(grey, background, dst=background, scale=255)
    darkest = float(np.percentile(flat[::4, ::4], 1))
    return cv2.convertScaleAbs(
        flat, flat, alpha=255 / max(255 - darkest, 1), beta=-darkest * 255 / max(255 - darkest, 1)
    )


def encode_jpeg(image: np.ndarray, dpi: int, quality: int = 85) -> bytes:
    """JPEG (grey or colour) with the dpi in its JFIF header; OpenCV encodes, the density is set in
    the header it writes (units 1 = dots per inch)."""
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("image could not be encoded as JPEG")
    out = bytearray(data.tobytes())
    if out[6:11] != b"JFIF\x00":
        return _encode_with_pillow(image, dpi, quality)
    if dpi:
        out[13:18] = bytes([1]) + dpi.to_bytes(2, "big") * 2
    return bytes(out)


def _encode_with_pillow(image: np.ndarray, dpi: int, quality: int) -> bytes:
    rgb = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    out = io.BytesIO()
    Image.fromarray(rgb).save(out, format="JPEG", quality=quality, dpi=(dpi, dpi))
    return out.getvalue()

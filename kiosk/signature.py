"""Signatures as data: strokes of (x_mm, y_mm, pressure, t_ms), checked and rendered for the form.

Pad and touch screen produce the same strokes; this module has no device or UI code.
"""

from __future__ import annotations

import io
import itertools
import math

from PIL import Image, ImageDraw

from kiosk.errors import SignaturePadError

Point = tuple[float, float, float, float]
MIN_POINTS = 20
MIN_EXTENT_MM = 8.0
MARGIN_MM = 3.0


def extent_mm(strokes: list[list[Point]]) -> tuple[float, float, float, float]:
    xs = [p[0] for s in strokes for p in s]
    ys = [p[1] for s in strokes for p in s]
    return min(xs), min(ys), max(xs), max(ys)


def check(strokes: list[list[Point]]) -> None:
    """Refuse an empty or near-empty signature (a dot, a short line) with a prompt to sign again."""
    points = sum(len(s) for s in strokes)
    if points < MIN_POINTS:
        raise SignaturePadError("SIGPAD_TOO_SHORT", detail=f"{points} points")
    left, top, right, bottom = extent_mm(strokes)
    if max(right - left, bottom - top) < MIN_EXTENT_MM:
        raise SignaturePadError("SIGPAD_TOO_SHORT", detail="extent under 8 mm")


def pen_width_mm(pressure: float, speed_mm_per_ms: float) -> float:
    """Thicker with pressure, thinner when the pen moves fast (as ink does)."""
    return max(0.25, (0.35 + 0.55 * pressure) / (1 + 1.5 * speed_mm_per_ms))


def render_png(strokes: list[list[Point]], dpi: int = 300) -> bytes:
    """The signature cropped to its ink with a margin, black on white, at `dpi`."""
    left, top, right, bottom = extent_mm(strokes)
    scale = dpi / 25.4

    def px(x: float, y: float) -> tuple[float, float]:
        return (x - left + MARGIN_MM) * scale, (y - top + MARGIN_MM) * scale

    size = (int((right - left + 2 * MARGIN_MM) * scale), int((bottom - top + 2 * MARGIN_MM) * scale))
    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    for stroke in strokes:
        for a, b in itertools.pairwise(stroke):
            speed = math.dist(a[:2], b[:2]) / max(1.0, b[3] - a[3])
            width = pen_width_mm((a[2] + b[2]) / 2, speed) * scale
            draw.line([px(*a[:2]), px(*b[:2])], fill=0, width=max(1, round(width)))
            r = width / 2
            cx, cy = px(*b[:2])
            draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=0)
    out = io.BytesIO()
    image.save(out, format="PNG", dpi=(dpi, dpi))
    return out.getvalue()

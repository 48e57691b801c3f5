"""Signatures as data: strokes of (x_mm, y_mm, pressure 0..1, t_ms), checked, kept as an ISO/IEC
19794-7 (GB/T 26237.7) time series, and rendered smoothly at 300 dpi for the form.

Pad and touch screen produce the same strokes; this module has no device or UI code.
"""

from __future__ import annotations

import io
import itertools
import json
import math
import struct
from dataclasses import dataclass

from PIL import Image, ImageDraw

from kiosk.errors import KioskError, SignaturePadError

Point = tuple[float, float, float, float]
Strokes = list[list[Point]]

# --- Checks ------------------------------------------------------------------------------------

MIN_POINTS = 20
MIN_EXTENT_MM = 8.0
MIN_INK_MM = 20.0
STRAIGHT_MM = 1.5  # a single stroke that never strays further than this from its chord is a line


def extent_mm(strokes: Strokes) -> tuple[float, float, float, float]:
    xs = [p[0] for s in strokes for p in s]
    ys = [p[1] for s in strokes for p in s]
    return min(xs), min(ys), max(xs), max(ys)


def ink_mm(strokes: Strokes) -> float:
    return sum(math.dist(a[:2], b[:2]) for s in strokes for a, b in itertools.pairwise(s))


def _is_bare_line(strokes: Strokes) -> bool:
    drawn = [s for s in strokes if len(s) > 1]
    if len(drawn) != 1:
        return False
    (ax, ay, *_), (bx, by, *_) = drawn[0][0], drawn[0][-1]
    chord = math.hypot(bx - ax, by - ay) or 1.0
    return all(
        abs((bx - ax) * (ay - y) - (ax - x) * (by - ay)) / chord < STRAIGHT_MM for x, y, *_ in drawn[0]
    )


def check(strokes: Strokes) -> None:
    """Refuse an empty or near-empty signature (a dot, a short or bare line) with a prompt to sign again."""
    points = sum(len(s) for s in strokes)
    if points < MIN_POINTS:
        raise SignaturePadError("SIGPAD_TOO_SHORT", detail=f"{points} points")
    left, top, right, bottom = extent_mm(strokes)
    if max(right - left, bottom - top) < MIN_EXTENT_MM:
        raise SignaturePadError("SIGPAD_TOO_SHORT", detail=f"extent under {MIN_EXTENT_MM:g} mm")
    if ink_mm(strokes) < MIN_INK_MM:
        raise SignaturePadError("SIGPAD_TOO_SHORT", detail=f"ink under {MIN_INK_MM:g} mm")
    if _is_bare_line(strokes):
        raise SignaturePadError("SIGPAD_TOO_SHORT", detail="a single straight line")


# --- ISO/IEC 19794-7:2007 (GB/T 26237.7-2013) time series --------------------------------------
# Layout as the research notes give it (from the identical GOST R ISO/IEC 19794-7 adoption): header
# "SDI\0" " 10\0", channel descriptions (16-bit inclusion field, then per channel a preamble byte
# and its optional scaling / maximum), a reserved byte; body: 24-bit sample count, the samples
# (16-bit channels, S is 8 bits), a 16-bit extended-data length. Units are docs/devices.md's.

FORMAT_ID, VERSION = b"SDI\x00", b" 10\x00"
CHANNELS = ("x", "y", "z", "vx", "vy", "ax", "ay", "t", "dt", "f", "s", "tx", "ty", "az", "el", "r")
SIGNED = {"x", "y", "vx", "vy", "ax", "ay", "tx", "ty"}
HAS_SCALING, HAS_MAX = 0x80, 0x20
XY_UNITS_PER_MM = 100  # 0.01 mm, the ISDV4 pen resolution


class SignatureDataError(KioskError):
    code = "SIGNATURE_DATA_INVALID"


@dataclass(frozen=True)
class Channel:
    name: str
    scale: float = 0.0  # units per mm (x, y) or per second (t); 0: none given
    maximum: int = -1  # largest value the device can report; -1: none given


def encode_scale(value: float) -> bytes:
    """Scaling value = 2^exponent × (1 + fraction/2048): 5-bit exponent biased by 16, 11-bit fraction."""
    exponent = math.floor(math.log2(value))
    fraction = round((value / 2**exponent - 1) * 2048)
    if fraction == 2048:
        exponent, fraction = exponent + 1, 0
    if not -16 <= exponent <= 15:
        raise ValueError(f"scale {value} out of range")
    return struct.pack(">H", (exponent + 16) << 11 | fraction)


def decode_scale(raw: bytes) -> float:
    (word,) = struct.unpack(">H", raw)
    return 2 ** ((word >> 11) - 16) * (1 + (word & 0x7FF) / 2048)


@dataclass(frozen=True)
class TimeSeries:
    channels: tuple[Channel, ...]
    samples: tuple[tuple[int, ...], ...]  # one value per channel, in channel order


def time_series(strokes: Strokes, max_pressure: int = 1023, with_pressure: bool = True) -> TimeSeries:
    """Strokes as 19794-7 samples: x, y in 0.01 mm, t in ms (10 ms past 65 s), f raw pressure,
    s the tip switch; each stroke ends with one pen-up sample (s = 0) at its last point."""
    points = [p for s in strokes for p in s]
    start = min((p[3] for p in points), default=0.0)
    duration = max((p[3] for p in points), default=0.0) - start
    t_scale = 1000 if duration < 65_000 else 100
    channels = [Channel("x", XY_UNITS_PER_MM), Channel("y", XY_UNITS_PER_MM), Channel("t", t_scale)]
    if with_pressure:
        channels.append(Channel("f", maximum=max_pressure))
    channels.append(Channel("s"))
    samples = []
    for stroke in strokes:
        for i, (x, y, pressure, t) in enumerate(stroke):
            row = [_clamp(x * XY_UNITS_PER_MM, True), _clamp(y * XY_UNITS_PER_MM, True)]
            row.append(_clamp((t - start) * t_scale / 1000, False))
            if with_pressure:
                row.append(min(max_pressure, round(pressure * max_pressure)))
            samples.append((*row, 1))
            if i == len(stroke) - 1:
                samples.append((*row[:3], *([0] if with_pressure else []), 0))
    return TimeSeries(tuple(channels), tuple(samples))


def _clamp(value: float, signed: bool) -> int:
    low, high = (-32768, 32767) if signed else (0, 65535)
    return max(low, min(high, round(value)))


def encode_19794_7(series: TimeSeries) -> bytes:
    names = [c.name for c in series.channels]
    inclusion = sum(1 << (15 - CHANNELS.index(n)) for n in names)
    out = bytearray(FORMAT_ID + VERSION + struct.pack(">H", inclusion))
    for channel in sorted(series.channels, key=lambda c: CHANNELS.index(c.name)):
        flags = (HAS_SCALING if channel.scale else 0) | (HAS_MAX if channel.maximum >= 0 else 0)
        out.append(flags)
        if channel.scale:
            out += encode_scale(channel.scale)
        if channel.maximum >= 0:
            out += struct.pack(">H", channel.maximum)
    out.append(0)  # reserved
    out += len(series.samples).to_bytes(3, "big")
    order = sorted(range(len(names)), key=lambda i: CHANNELS.index(names[i]))
    for sample in series.samples:
        for i in order:
            out += _pack_value(names[i], sample[i])
    out += struct.pack(">H", 0)  # no extended data
    return bytes(out)


def _pack_value(name: str, value: int) -> bytes:
    if name == "s":
        return bytes([value])
    return struct.pack(">h" if name in SIGNED else ">H", value)


def decode_19794_7(data: bytes) -> TimeSeries:
    """The inverse of encode_19794_7; anything malformed raises SignatureDataError."""
    reader = _Reader(data)
    if reader.take(4) != FORMAT_ID or reader.take(4) != VERSION:
        raise SignatureDataError(detail="not a 19794-7 record")
    (inclusion,) = struct.unpack(">H", reader.take(2))
    names = [n for i, n in enumerate(CHANNELS) if inclusion & (1 << (15 - i))]
    if not {"x", "y"} <= set(names):
        raise SignatureDataError(detail="x and y are mandatory")
    channels = []
    for name in names:
        flags = reader.take(1)[0]
        scale = decode_scale(reader.take(2)) if flags & HAS_SCALING else 0.0
        maximum = -1
        for flag in (0x40, HAS_MAX, 0x10, 0x08):  # minimum, maximum, mean, standard deviation
            if flags & flag:
                (value,) = struct.unpack(">H", reader.take(2))
                maximum = value if flag == HAS_MAX else maximum
        channels.append(Channel(name, scale, maximum))
    reader.take(1)
    count = int.from_bytes(reader.take(3), "big")
    sizes = [1 if n == "s" else 2 for n in names]
    if reader.remaining() < count * sum(sizes) + 2:
        raise SignatureDataError(detail="record shorter than its sample count")
    samples = []
    for _ in range(count):
        row = []
        for name, size in zip(names, sizes, strict=True):
            raw = reader.take(size)
            row.append(raw[0] if size == 1 else struct.unpack(">h" if name in SIGNED else ">H", raw)[0])
        samples.append(tuple(row))
    (extended,) = struct.unpack(">H", reader.take(2))
    reader.take(extended)
    return TimeSeries(tuple(channels), tuple(samples))


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.offset = data, 0

    def take(self, n: int) -> bytes:
        if self.offset + n > len(self.data):
            raise SignatureDataError(detail="record truncated")
        chunk = self.data[self.offset : self.offset + n]
        self.offset += n
        return chunk

    def remaining(self) -> int:
        return len(self.data) - self.offset


def strokes_from_series(series: TimeSeries) -> Strokes:
    """Back to strokes (mm, pressure 0..1, ms from the first sample); pen-up samples end strokes."""
    names = [c.name for c in series.channels]
    by_name = {c.name: c for c in series.channels}
    t_scale = by_name["t"].scale if "t" in by_name else 1000.0
    max_f = by_name["f"].maximum if "f" in by_name and by_name["f"].maximum > 0 else 0
    strokes: Strokes = []
    current: list[Point] = []
    for sample in series.samples:
        value = dict(zip(names, sample, strict=True))
        if value.get("s", 1) == 0:
            if current:
                strokes.append(current)
            current = []
            continue
        pressure = value["f"] / max_f if max_f else 0.5
        t = value.get("t", 0) * 1000 / t_scale
        current.append((value["x"] / XY_UNITS_PER_MM, value["y"] / XY_UNITS_PER_MM, pressure, t))
    if current:
        strokes.append(current)
    return strokes


IMAGE_FILE = "signature.png"


def session_files(strokes: Strokes, source: str, max_pressure: int = 1023) -> dict[str, bytes]:
    """What a session keeps of a signature: the rendered image, the raw strokes and the 19794-7 record."""
    series = time_series(strokes, max_pressure, with_pressure=source == "pad")
    return {
        IMAGE_FILE: render_png(strokes),
        "signature.json": json.dumps({"source": source, "strokes": strokes}).encode(),
        "signature.19794-7": encode_19794_7(series),
    }


# --- Rendering ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pen:
    """Ink like a good signature widget (szimek/signature_pad): thinner when fast, on cubic curves."""

    min_width_mm: float = 0.3
    max_width_mm: float = 1.0
    speed_response: float = 4.0  # ms/mm: how strongly speed thins the line
    velocity_filter: float = 0.7
    min_distance_mm: float = 0.25
    margin_mm: float = 3.0
    supersample: int = 3

    def width(self, speed: float, pressure: float) -> float:
        width = max(self.max_width_mm / (1 + self.speed_response * speed), self.min_width_mm)
        return width * (0.6 + 0.8 * pressure)


def _thinned(stroke: list[Point], min_distance: float) -> list[Point]:
    kept = stroke[:1]
    for point in stroke[1:]:
        if math.dist(point[:2], kept[-1][:2]) >= min_distance:
            kept.append(point)
    return kept


def _handles(p0: Point, p1: Point, p2: Point, p3: Point) -> tuple[tuple[float, float], tuple[float, float]]:
    """Control points of the cubic from P1 to P2: tangents from the neighbours (Catmull-Rom, weighted
    by segment length for uneven sampling), handles a third of the segment long, so consecutive
    curves share their tangent at every point (no kinks; szimek's library swaps them)."""
    l01, l12, l23 = math.dist(p0[:2], p1[:2]), math.dist(p1[:2], p2[:2]), math.dist(p2[:2], p3[:2])
    a = l12 / (3 * (l01 + l12)) if l01 + l12 else 0.0
    b = l12 / (3 * (l12 + l23)) if l12 + l23 else 0.0
    return (
        (p1[0] + (p2[0] - p0[0]) * a, p1[1] + (p2[1] - p0[1]) * a),
        (p2[0] - (p3[0] - p1[0]) * b, p2[1] - (p3[1] - p1[1]) * b),
    )


def _bezier(p0, c1, c2, p1, t: float) -> tuple[float, float]:
    u = 1 - t
    return (
        u**3 * p0[0] + 3 * u * u * t * c1[0] + 3 * u * t * t * c2[0] + t**3 * p1[0],
        u**3 * p0[1] + 3 * u * u * t * c1[1] + 3 * u * t * t * c2[1] + t**3 * p1[1],
    )


def render_png(strokes: Strokes, dpi: int = 300, pen: Pen | None = None) -> bytes:
    """The signature cropped to its ink with a margin, black on white, greyscale PNG at `dpi`."""
    pen = pen or Pen()
    left, top, right, bottom = extent_mm(strokes)
    scale = dpi / 25.4 * pen.supersample
    size = (
        math.ceil((right - left + 2 * pen.margin_mm) * dpi / 25.4),
        math.ceil((bottom - top + 2 * pen.margin_mm) * dpi / 25.4),
    )
    big = Image.new("L", (size[0] * pen.supersample, size[1] * pen.supersample), 255)
    draw = ImageDraw.Draw(big)

    def dot(x: float, y: float, width_mm: float) -> None:
        cx, cy = (x - left + pen.margin_mm) * scale, (y - top + pen.margin_mm) * scale
        r = width_mm * scale / 2
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=0)

    for stroke in strokes:
        _draw_stroke(_thinned(stroke, pen.min_distance_mm), pen, scale, dot)
    image = big.resize(size, Image.Resampling.LANCZOS).point(
        lambda v: 255 if v > 250 else v
    )  # paper stays white
    out = io.BytesIO()
    image.save(out, format="PNG", dpi=(dpi, dpi))
    return out.getvalue()


def _speed(a: Point, b: Point) -> float:
    return math.dist(a[:2], b[:2]) / max(1.0, b[3] - a[3])


def _draw_stroke(points: list[Point], pen: Pen, scale: float, dot) -> None:
    if not points:
        return
    velocity = _speed(points[0], points[1]) if len(points) > 1 else 0.0
    width = pen.width(velocity, points[0][2])
    dot(points[0][0], points[0][1], width)
    for i in range(len(points) - 1):
        p0, p1, p2 = points[max(0, i - 1)], points[i], points[i + 1]
        p3 = points[min(len(points) - 1, i + 2)]
        velocity = pen.velocity_filter * _speed(p1, p2) + (1 - pen.velocity_filter) * velocity
        end_width = pen.width(velocity, p2[2])
        c1, c2 = _handles(p0, p1, p2, p3)
        steps = max(2, math.ceil(math.dist(p1[:2], p2[:2]) * scale * 2))
        for step in range(1, steps + 1):
            t = step / steps
            x, y = _bezier(p1, c1, c2, p2, t)
            dot(x, y, width + (end_width - width) * t)
        width = end_width

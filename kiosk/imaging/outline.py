"""Judging a candidate outline of a document: each side fitted to the step edges around it, scored by
how many of its samples lie on the fitted line; a printed frame is told from the paper's own edge.

Pure, vectorised functions on numpy images and (n, 4, 2) quadrilaterals; no search, no state.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import cv2
import numpy as np

MIN_AREA = 0.01  # of the view: smaller outlines are not documents (an ID card at 13 MP is ~3.5 %)
MAX_AREA = 0.9  # of the view: larger ones are the mat (an A3 sheet runs off the view before this)
MAX_ASPECT = 5.0  # longest over shortest side: a line of print is not a document
MIN_COS = 0.45  # every corner within ~27 degrees of square: the camera looks straight down
MIN_SCORE = 0.35  # an outline scoring below this is no document
SIDE_SAMPLES = 32
STEP_MIN = 2.5  # log-intensity units (x LOG_GAIN): the faintest edge that counts
STEP_CAP = 10.0  # a side's line is the one gathering most step strength, each sample counted up to this
OUTERMOST_SHARE = 0.85  # of the strongest line's gathered strength: an outer line this strong wins
LOG_GAIN = 40.0  # log units to roughly grey levels at mid-grey
INLIER = 1.5  # pixels: an edge point this close to its fitted side supports it
EDGE_MARGIN = 2.5  # pixels (beyond the fitting radius): a side this close to the view's border is the border
MIN_SIDES = 2  # sides seen (not on the border): with fewer, a page cannot be told from the mat
BORDER_SUPPORT = 0.8  # what a side on the view's border counts for: likely, but unseen
AREA_WEIGHT = 0.25  # of sqrt(area share): a document is usually the largest outlined thing
MARGIN_SEARCH = 0.12  # of the shorter side: how far beyond a printed frame the paper's edge may lie
PAPER_BAND = (5, 12)  # pixels inside a side where its paper is sampled (at a preview's resolution)
PAPER_SAME = 1.2  # log units: colours this close are the same paper
LINE_CONTRAST = 0.35  # of a printed line's contrast: what paper beyond it may still differ by (shade)
LINE_WIDTH = 7  # pixels: a printed line is at most this wide
NEXT, PREVIOUS = [1, 2, 3, 0], [3, 0, 1, 2]  # corner (or side) indices around a quadrilateral
LOG_TABLE = (np.log1p(np.arange(256, dtype=np.float32)) * LOG_GAIN).reshape(256, 1)
_Sides = tuple[np.ndarray, np.ndarray, np.ndarray]  # lengths, unit tangents, outward unit normals


@dataclass
class Detection:
    corners: np.ndarray  # 4 x 2 float32, clockwise from the top-left, in the frame's pixels
    score: float  # how paper-like the outline is: ~1 for a clean outline, below MIN_SCORE is nothing
    cut_off: bool  # a side lies on the view's border: part of the document may be outside
    seen: tuple[bool, ...] = (True, True, True, True)  # per side from the top-left: an edge was found for it


def order_corners(points: np.ndarray) -> np.ndarray:
    """Four points clockwise (in image coordinates) starting from the top-left one."""
    return order_many(points.reshape(1, 4, 2))[0]


def order_many(quads: np.ndarray) -> np.ndarray:
    """`order_corners` of every quadrilateral in (n, 4, 2) at once."""
    pts = quads.reshape(-1, 4, 2).astype(np.float32)
    centre = pts.mean(axis=1, keepdims=True)
    angles = np.arctan2(pts[..., 1] - centre[..., 1], pts[..., 0] - centre[..., 0])
    pts = np.take_along_axis(pts, np.argsort(angles, axis=1)[..., None], axis=1)  # clockwise: y grows down
    start = np.argmin(pts.sum(axis=2), axis=1)
    return np.take_along_axis(pts, ((start[:, None] + np.arange(4)) % 4)[..., None], axis=1)


def plausible(quads: np.ndarray, w: int, h: int) -> np.ndarray:
    """(n,): which clockwise quadrilaterals could be a document lying under the camera: size, shape
    and corners near square."""
    vectors = quads[:, NEXT] - quads
    lengths = np.linalg.norm(vectors, axis=2)
    x, y = quads[..., 0], quads[..., 1]
    share = np.abs(np.sum(x * y[:, NEXT] - x[:, NEXT] * y, axis=1)) / (2 * w * h)
    cos = np.sum(vectors * -vectors[:, PREVIOUS], axis=2) / np.maximum(lengths * lengths[:, PREVIOUS], 1e-6)
    return (
        (share >= MIN_AREA)
        & (share <= MAX_AREA)
        & (lengths.max(axis=1) <= MAX_ASPECT * lengths.min(axis=1))
        & (np.abs(cos) < MIN_COS).all(axis=1)
    )


def fit(image: np.ndarray, quad: np.ndarray, radius: float, samples: int = SIDE_SAMPLES) -> Detection | None:
    return fit_many(image, quad[None], radius, samples)[0]


def fit_many(
    image: np.ndarray, quads: np.ndarray, radius: float, samples: int = SIDE_SAMPLES
) -> list[Detection | None]:
    """Fit each side of each quadrilateral to the step edges within `radius` of it and judge the
    result: the share of each side's samples whose edge lies on the fitted line (a finger or a fold
    spoils a few). None for an outline that is no document."""
    h, w = image.shape[:2]
    quads = order_many(quads)
    results: list[Detection | None] = [None] * len(quads)
    index = np.flatnonzero(plausible(quads, w, h))
    if not len(index):
        return results
    quads = quads[index]
    sides = _sides(quads)
    _, tangents, normals = sides
    offsets, points, strength = _profiles(image, quads, sides, radius, samples)
    best = _along_best_line(strength)
    peak = np.take_along_axis(strength, best[..., None], axis=3)[..., 0]
    edge_points = points + offsets[best][..., None] * normals[:, :, None, :]
    strong = peak > STEP_MIN
    border = _on_view_edge(quads, w, h, radius)
    origin, direction, support = _fit_lines(edge_points, strong)
    weak = strong.sum(axis=2) < samples * 0.25
    keep = border | weak  # these sides stay where they were
    origin = np.where(keep[..., None], quads, origin)
    direction = np.where(keep[..., None], tangents, direction)
    support = np.where(weak, 0.0, support)
    corners = _intersect(origin[:, PREVIOUS], direction[:, PREVIOUS], origin, direction)
    valid = (
        ((~border).sum(axis=1) >= MIN_SIDES)
        & np.isfinite(corners).all(axis=(1, 2))
        & (np.abs(corners - quads).max(axis=(1, 2)) <= 4 * radius + 2)
    )
    mean_support = np.where(border, BORDER_SUPPORT, support).mean(axis=1)
    weakest_seen = np.where(border, np.inf, support).min(axis=1)
    x, y = corners[..., 0].astype(np.float64), corners[..., 1].astype(np.float64)
    area = np.abs(np.sum(x * y[:, NEXT] - x[:, NEXT] * y, axis=1)) / (2 * h * w)
    score = mean_support * np.sqrt(weakest_seen) + AREA_WEIGHT * np.sqrt(area)
    start = np.argmin(corners.sum(axis=2), axis=1)[:, None]  # each outline from its top-left corner
    roll = (start + np.arange(4)) % 4
    ordered = np.take_along_axis(corners, roll[..., None], axis=1)
    seen = np.take_along_axis(~border & ~weak, roll, axis=1).tolist()
    cut_off = border.any(axis=1).tolist()
    for k in np.flatnonzero(valid & _convex(corners)).tolist():
        results[index[k]] = Detection(ordered[k], float(score[k]), cut_off[k], tuple(seen[k]))
    return results


def _convex(quads: np.ndarray) -> np.ndarray:
    """(n,): which quadrilaterals turn the same way, strictly, at every corner (cv2.isContourConvex)."""
    sides = quads[:, NEXT] - quads
    turn = sides[..., 0] * sides[:, NEXT, 1] - sides[..., 1] * sides[:, NEXT, 0]
    return (turn > 0).all(axis=1) | (turn < 0).all(axis=1)


def _sides(quads: np.ndarray) -> _Sides:
    """Lengths, unit tangents and outward unit normals of the sides of quadrilaterals (n, 4, 2)."""
    vectors = quads[:, NEXT] - quads
    lengths = np.linalg.norm(vectors, axis=2)
    tangents = vectors / np.maximum(lengths, 1e-6)[..., None]
    normals = np.stack([tangents[..., 1], -tangents[..., 0]], axis=2)
    middle = quads + vectors / 2 - quads.mean(axis=1, keepdims=True)
    outward = np.sign(np.sum(normals * middle, axis=2))
    return lengths, tangents, normals * np.where(outward == 0, 1, outward)[..., None]


def _sample_across(
    image: np.ndarray, quads: np.ndarray, sides: _Sides, along: np.ndarray, across: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Log intensity (all channels) at points spread `along` each side (fractions of its length) and
    offset `across` it (pixels, outward positive), averaged over three parallel lines against
    noise: (n, 4, len(along), len(across), channels), and the points on the sides (n, 4, len(along), 2).
    `sides`: the quadrilaterals' `_sides`."""
    lengths, tangents, normals = sides
    points = (
        quads[:, :, None, :]
        + (along[None, None, :, None] * lengths[..., None, None]) * tangents[:, :, None, :]
    )
    parallel = np.array([-1, 0, 1], np.float32)
    rows = len(quads) * 4 * len(along)
    x, y = (  # the three parallel lines outermost, so that their mean adds three contiguous blocks
        (
            points[None, :, :, :, None, c]
            + across * normals[None, :, :, None, None, c]
            + parallel[:, None, None, None, None] * tangents[None, :, :, None, None, c]
        ).reshape(3 * len(quads) * 4, len(along) * len(across))  # a row per side and line: see below
        for c in (0, 1)  # x and y apart: numpy is slow on a last axis of two
    )
    # each sample depends on its own map entry only, and wide maps remap in about half the time of
    # tall ones a dozen entries wide
    sampled = cv2.remap(image, x, y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    channels = 1 if sampled.ndim == 2 else sampled.shape[2]
    logs = cv2.LUT(sampled, LOG_TABLE).reshape(3, rows, len(across), channels)
    logs = (logs[0] + logs[1] + logs[2]) / 3
    return logs.reshape(len(quads), 4, len(along), len(across), channels), points


def _profiles(
    image: np.ndarray, quads: np.ndarray, sides: _Sides, radius: float, samples: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Step strength across each side: at `samples` points along it, for offsets along its normal.

    Returns offsets (k,), points (n, 4, samples, 2) and strength (n, 4, samples, k): how much the
    pixels just inside differ from those just outside if the side sat at that offset (log intensity,
    all channels: a shadow multiplies, so an edge keeps its step in the shade). The pixel at the
    offset itself is left out, so a thin printed line is a weak step.
    """
    steps = max(int(np.ceil(radius)), 2)
    offsets = np.arange(-steps, steps + 1, dtype=np.float32)
    window = max(2, steps // 2)
    reach = np.arange(-steps - window, steps + window + 1, dtype=np.float32)
    along = np.linspace(0.08, 0.92, samples, dtype=np.float32)
    logs, points = _sample_across(image, quads, sides, along, reach)
    cum = np.concatenate([np.zeros_like(logs[..., :1, :]), np.cumsum(logs, axis=3)], axis=3)
    k = len(offsets)
    inside, outside = (
        (cum[..., s + window : s + window + k, :] - cum[..., s : s + k, :]) / window for s in (0, window + 1)
    )
    return offsets, points, np.sqrt(np.sum((inside - outside) ** 2, axis=4))


@functools.cache
def _line_offsets(samples: int, k: int) -> np.ndarray:
    """(k * k, samples): the offset index at each sample of every straight line from offset a at the
    side's start to offset b at its end."""
    t = np.linspace(0, 1, samples)
    a, b = np.meshgrid(np.arange(k), np.arange(k), indexing="ij")
    return np.rint(a.reshape(-1, 1) + t * (b - a).reshape(-1, 1)).astype(np.intp)


def _along_best_line(strength: np.ndarray) -> np.ndarray:
    """Per sample, the offset of the strongest step within a pixel of the side's best line: of the
    straight lines across the offsets that gather the most step strength, the outermost, so that
    one edge (not a mix of the page's edge and a line printed beside it) is fitted."""
    samples, k = strength.shape[2:]
    lines = _line_offsets(samples, k)
    capped = np.minimum(strength, STEP_CAP).reshape(*strength.shape[:2], samples * k)
    total = capped[:, :, lines + np.arange(samples) * k].sum(axis=3)  # (n, 4, lines)
    # of lines nearly as strong, the outermost: a page's edge lies outside any line printed along it
    near_best = total >= OUTERMOST_SHARE * total.max(axis=2, keepdims=True)
    outward = np.where(near_best, lines.sum(axis=1), -1)
    centre = lines[outward.argmax(axis=2)]  # (n, 4, samples)
    near = np.clip(centre[..., None] + np.arange(-1, 2), 0, k - 1)
    local = np.take_along_axis(strength, near, axis=3)
    return np.take_along_axis(near, local.argmax(axis=3)[..., None], axis=3)[..., 0]


def _fit_lines(points: np.ndarray, use: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Least-squares lines through the used points of every side (..., samples, 2), fitted again
    without the points far off the first line (a finger or a fold pulls a few away). Returns a point
    on each line, its direction and the share of the side's samples within INLIER of it."""
    origin, direction = _total_least_squares(points, use)
    near = use & (_distance(points, origin, direction) <= 2 * INLIER)
    again = near.sum(axis=-1) >= np.maximum(4, use.sum(axis=-1) // 3)
    origin2, direction2 = _total_least_squares(points, near)
    origin = np.where(again[..., None], origin2, origin)
    direction = np.where(again[..., None], direction2, direction)
    support = np.mean(use & (_distance(points, origin, direction) <= INLIER), axis=-1)
    return origin, direction, support


def _total_least_squares(points: np.ndarray, use: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    weight = use.astype(np.float32)
    mean = (points * weight[..., None]).sum(axis=-2) / np.maximum(weight.sum(axis=-1, keepdims=True), 1)
    d = (points - mean[..., None, :]) * np.sqrt(weight)[..., None]
    sxx, syy = np.sum(d[..., 0] ** 2, axis=-1), np.sum(d[..., 1] ** 2, axis=-1)
    angle = 0.5 * np.arctan2(2 * np.sum(d[..., 0] * d[..., 1], axis=-1), sxx - syy)
    return mean, np.stack([np.cos(angle), np.sin(angle)], axis=-1).astype(np.float32)


def _distance(points: np.ndarray, origin: np.ndarray, direction: np.ndarray) -> np.ndarray:
    offset = points - origin[..., None, :]
    return np.abs(offset[..., 0] * direction[..., None, 1] - offset[..., 1] * direction[..., None, 0])


def _on_view_edge(quads: np.ndarray, w: int, h: int, margin: float) -> np.ndarray:
    """(n, 4): which sides lie along the view's border."""
    m = max(margin, EDGE_MARGIN)
    a, b = quads, quads[:, NEXT]
    low = (a < m) & (b < m)
    high = (a > np.array([w - 1, h - 1]) - m) & (b > np.array([w - 1, h - 1]) - m)
    return (low | high).any(axis=2)


def _intersect(p: np.ndarray, d: np.ndarray, q: np.ndarray, e: np.ndarray) -> np.ndarray:
    """Where the lines p + t d and q + s e cross (nan where they are parallel)."""
    denom = d[..., 0] * e[..., 1] - d[..., 1] * e[..., 0]
    denom = np.where(np.abs(denom) < 1e-6, np.nan, denom)
    t = ((q[..., 0] - p[..., 0]) * e[..., 1] - (q[..., 1] - p[..., 1]) * e[..., 0]) / denom
    return (p + t[..., None] * d).astype(np.float32)


# --- printed frames ---


def outer_edges(image: np.ndarray, found: Detection) -> Detection:
    """A printed frame is a line, not an edge: beyond it lies the same paper as inside, then the
    paper's own edge. Sides of the outline that are such lines move out to that edge (run at about
    a preview's resolution, where a frame's margin is several pixels wide)."""
    quad = found.corners[None].astype(np.float32)
    sides = _sides(quad)
    lengths, _, normals = sides
    reach = max(8, int(MARGIN_SEARCH * lengths.min()))
    across = np.arange(-PAPER_BAND[1], reach + 1, dtype=np.float32)
    logs, _ = _sample_across(
        image, quad, sides, np.linspace(0.1, 0.9, SIDE_SAMPLES, dtype=np.float32), across
    )
    profiles = _median(logs[0], axis=1)  # (4, len(across), channels): print and fingers are a minority
    papers = _median(profiles[:, : PAPER_BAND[1] - PAPER_BAND[0] + 1], axis=1)  # the paper inside each side
    moved = np.array(
        [
            _paper_beyond(p, paper, PAPER_BAND[1]) if seen else 0.0
            for p, paper, seen in zip(profiles, papers, found.seen, strict=True)
        ],
        np.float32,
    )
    if not moved.any():
        return found
    origin = found.corners + normals[0] * moved[:, None]
    direction = found.corners[NEXT] - found.corners
    shifted = _intersect(origin[PREVIOUS], direction[PREVIOUS], origin, direction)
    fitted = fit(image, shifted, radius=3.0) if np.isfinite(shifted).all() else None
    if fitted is None or fitted.score < MIN_SCORE:
        return found
    return Detection(fitted.corners, found.score, found.cut_off or fitted.cut_off, fitted.seen)


def _median(values: np.ndarray, axis: int) -> np.ndarray:
    """np.median of a non-empty axis, by sorting (several times faster on these small arrays)."""
    ordered = np.sort(values, axis=axis)
    n = values.shape[axis]
    return (ordered.take((n - 1) // 2, axis=axis) + ordered.take(n // 2, axis=axis)) / 2


def _paper_beyond(profile: np.ndarray, paper: np.ndarray, zero: int) -> float:
    """How far beyond a side (at index `zero` of its colour profile across it; `paper`: the colour
    inside it) the paper's edge lies: 0 when the side is that edge itself (no plain paper resumes a
    line's width beyond it)."""
    beyond = profile[zero:]
    distance = np.linalg.norm(beyond - paper, axis=1)
    same = distance < max(PAPER_SAME, LINE_CONTRAST * distance[:3].max())
    resumed = np.flatnonzero(same[1:LINE_WIDTH] & same[2 : LINE_WIDTH + 1])
    if not len(resumed):
        return 0.0
    start = int(resumed[0]) + 1
    margin = np.median(beyond[start + 1 : start + 4], axis=0)
    plain = np.linalg.norm(beyond - margin, axis=1) < PAPER_SAME
    cum = np.concatenate([np.zeros((1, beyond.shape[1])), np.cumsum(beyond, axis=0)])
    x = np.arange(start + 3, len(beyond) - 6)
    step = np.linalg.norm((cum[x + 4] - cum[x + 1]) / 3 - (cum[x] - cum[x - 3]) / 3, axis=1)
    plain_after = np.convolve(plain.astype(np.int32), np.ones(6, np.int32))[x + 6]  # plain in x+1..x+6
    ended = np.flatnonzero(~plain[x - 1])  # print or the mat's pattern: no clean margin beyond here
    edges = np.flatnonzero((step > STEP_MIN) & (plain_after == 0))
    if not len(edges) or (len(ended) and ended[0] <= edges[0]):
        return 0.0
    return float(x[edges[0]])

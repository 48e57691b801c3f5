"""Finding the document on the mat: candidate outlines from edge-bounded regions, each refined by fitting
straight sides to step edges, scored by how paper-like the outline is.

Pure functions on numpy images (any resolution: a preview frame or a full still); no I/O, no state.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass

import cv2
import numpy as np

WORK_WIDTH = 520  # candidate search runs at about this width (13 MP / 8, a 1040-wide preview / 2)
MIN_AREA = 0.004  # of the view: smaller regions are not documents (an ID card at 13 MP is ~3.5 %)
MIN_SCORE = 0.35
CONTAINER_SCORE = 0.5
AREA_WEIGHT = 0.25  # of sqrt(area share): a document is usually the largest outlined thing
SAME_QUAD = 0.004  # of the view's width: candidates closer than this are one (a printed frame is further in)
MAX_CANDIDATES = 8
FINGER_WIDTH = 0.055  # of the view's width: wider than a finger, narrower than an ID card
SIDE_SAMPLES = 32
STEP_MIN = 2.5  # log-intensity units (x LOG_GAIN): the faintest edge that counts
LOG_GAIN = 40.0  # log units to roughly grey levels at mid-grey
INLIER = 1.5  # pixels: an edge point this close to its fitted side supports it
EDGE_MARGIN = 2.5  # work pixels: a side this close to the view's border is the border
NEXT, PREVIOUS = [1, 2, 3, 0], [3, 0, 1, 2]  # corner (or side) indices around a quadrilateral


@dataclass
class Detection:
    corners: np.ndarray  # 4 x 2 float32, clockwise from the top-left, in the frame's pixels
    score: float  # how paper-like the outline is: ~1 for a clean outline, below MIN_SCORE is nothing
    cut_off: bool  # a side lies on the view's border: part of the document may be outside


def find_page(frame: np.ndarray) -> np.ndarray | None:
    """The document's corners in frame pixels (clockwise from the top-left), or None."""
    found = detect(frame)
    return None if found is None else found.corners


def detect(frame: np.ndarray) -> Detection | None:
    """The most paper-like outline in a frame of any size: searched at WORK_WIDTH, its sides then
    fitted again at the frame's own resolution."""
    work, scale = _work_image(frame)
    radius = max(3.0, 0.005 * work.shape[1])
    fitted = [d for d in (_fit(work, q, radius) for q in _candidates(work)) if d and d.score >= MIN_SCORE]
    if not fitted:
        return None
    best = max(fitted, key=lambda d: d.score)
    # a document's own print (a table, a photo box) can outline as well as its edge: take the outermost
    containers = [d for d in fitted if d.score >= CONTAINER_SCORE and _contains(d.corners, best.corners)]
    best = max([*containers, best], key=lambda d: cv2.contourArea(d.corners))
    if scale == 1:
        return best
    coarse = best.corners * scale
    fine = _fit(frame, coarse, radius=1.5 * scale, samples=SIDE_SAMPLES * 2)
    return Detection(coarse if fine is None else fine.corners, best.score, best.cut_off)


def track(frame: np.ndarray, previous: np.ndarray) -> Detection | None:
    """The document near where it was in the previous frame, if it is still clearly there (the
    preview's fast path: one fit instead of a search)."""
    found = _fit(frame, previous, radius=max(3.0, 0.006 * frame.shape[1]))
    return found if found and found.score >= CONTAINER_SCORE else None


def _contains(outer: np.ndarray, inner: np.ndarray) -> bool:
    slack = 0.01 * np.sqrt(cv2.contourArea(outer))
    return all(
        cv2.pointPolygonTest(outer.reshape(-1, 1, 2), (float(x), float(y)), True) > -slack for x, y in inner
    )


def order_corners(points: np.ndarray) -> np.ndarray:
    """Four points clockwise (in image coordinates) starting from the top-left one."""
    pts = points.reshape(4, 2).astype(np.float32)
    centre = pts.mean(axis=0)
    angles = np.arctan2(pts[:, 1] - centre[1], pts[:, 0] - centre[0])
    pts = pts[np.argsort(angles)]  # clockwise on screen: y grows downwards
    start = int(np.argmin(pts.sum(axis=1)))
    return np.roll(pts, -start, axis=0)


# --- candidates ---


def _work_image(frame: np.ndarray) -> tuple[np.ndarray, float]:
    factor = frame.shape[1] / WORK_WIDTH
    if factor <= 1.2:
        return frame, 1.0
    whole = round(factor)
    if abs(factor - whole) < 0.25:  # an integer factor takes OpenCV's fast area path
        factor = whole
    size = (round(frame.shape[1] / factor), round(frame.shape[0] / factor))
    return cv2.resize(frame, size, interpolation=cv2.INTER_AREA), frame.shape[1] / size[0]


def _candidates(work: np.ndarray) -> list[np.ndarray]:
    """Quadrilaterals around regions that edges enclose, singly and in adjacent pairs (an open booklet)."""
    regions = _regions(work)
    quads = [_quad(r) for r in regions]
    quads += [_quad(np.vstack([a, b])) for a, b in itertools.combinations(regions[:6], 2) if _adjacent(a, b)]
    h, w = work.shape[:2]
    distinct: list[np.ndarray] = []
    for quad in quads:
        if quad is None or cv2.contourArea(quad) < MIN_AREA * h * w:
            continue
        quad = order_corners(quad)
        if _plausible_angles(quad) and all(np.abs(quad - other).max() > SAME_QUAD * w for other in distinct):
            distinct.append(quad)
    return distinct[:MAX_CANDIDATES]


def _regions(work: np.ndarray) -> list[np.ndarray]:
    """Convex hulls of large regions, largest first: regions that edges enclose (robust to shadows
    and to fingers), connected edges (a document's outline with its own print), and regions unlike
    the mat seen at the view's border (robust to gaps in edges)."""
    lab = cv2.cvtColor(cv2.GaussianBlur(work, (5, 5), 0), cv2.COLOR_BGR2LAB)
    edges = _edges(lab)
    hulls = _hulls(255 - edges) + _hulls(edges) + _hulls(_unlike_mat(lab))
    hulls.sort(key=cv2.contourArea, reverse=True)
    return hulls


LOG_LIGHTNESS = np.clip(130 * np.log((np.arange(256) + 1) / 40.0), 0, 255).astype(np.uint8)


def _edges(lab: np.ndarray) -> np.ndarray:
    """Edges in lightness, log lightness (the same step in a shadow as in the light) or colour,
    thickened to close small gaps."""
    lightness, a, b = cv2.split(lab)
    channels = [lightness, cv2.LUT(lightness, LOG_LIGHTNESS)]
    channels += [cv2.convertScaleAbs(c, alpha=2.0, beta=-128) for c in (a, b)]  # 2 x (c - 128) + 128
    edges = np.zeros(lab.shape[:2], np.uint8)
    for channel in channels:
        edges |= cv2.Canny(channel, 10, 25)
    return cv2.dilate(edges, np.ones((3, 3), np.uint8))


def _unlike_mat(lab: np.ndarray) -> np.ndarray:
    """Pixels whose colour is far from the mat's, the mat being what the view's border mostly shows."""
    w = lab.shape[1]
    b = max(2, round(0.02 * w))
    border = np.concatenate(
        [
            lab[:b].reshape(-1, 3),
            lab[-b:].reshape(-1, 3),
            lab[:, :b].reshape(-1, 3),
            lab[:, -b:].reshape(-1, 3),
        ]
    )
    centre = np.median(border, axis=0)
    spread = np.maximum(np.median(np.abs(border.astype(np.float32) - centre), axis=0) * 1.5, (3.0, 2.0, 2.0))
    mask = np.zeros(lab.shape[:2], np.uint8)
    for channel, c, limit in zip(cv2.split(lab), centre, spread * 5, strict=True):
        mask |= cv2.threshold(
            cv2.absdiff(channel, np.full_like(channel, int(c))), limit, 255, cv2.THRESH_BINARY
        )[1]
    return cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))


def _hulls(mask: np.ndarray) -> list[np.ndarray]:
    """Per large component: the hull of its filled outline, and the hull after opening it with a
    finger-wide square (a finger or a hand attached to a page is thinner than any document)."""
    h, w = mask.shape
    _, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=4)
    hulls = []
    min_area = MIN_AREA * h * w
    opening = np.ones((round(FINGER_WIDTH * w),) * 2, np.uint8)
    for i in np.argsort(-stats[:, cv2.CC_STAT_AREA])[:16]:
        x, y, bw, bh, area = stats[i]
        if area < min_area:
            break
        left, right, top, bottom = x <= 1, x + bw >= w - 1, y <= 1, y + bh >= h - 1
        if i == 0 or (left and right) or (top and bottom):  # label 0 is the zero pixels; a span is the mat
            continue
        component = (labels[y : y + bh, x : x + bw] == i).astype(np.uint8)
        contours, _ = cv2.findContours(component, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        hulls.append(_hull(np.vstack(contours), (x, y)))
        cv2.drawContours(component, contours, -1, 1, -1)
        opened = cv2.morphologyEx(component, cv2.MORPH_OPEN, opening)
        contours, _ = cv2.findContours(opened, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        if contours:
            hulls.append(_hull(max(contours, key=cv2.contourArea), (x, y)))
    return hulls


def _hull(points: np.ndarray, offset: tuple[int, int]) -> np.ndarray:
    return cv2.convexHull(points.reshape(-1, 2) + offset).reshape(-1, 2).astype(np.float32)


def _adjacent(a: np.ndarray, b: np.ndarray) -> bool:
    """Two regions of about the same size that touch, like the pages of an open booklet."""
    ratio = cv2.contourArea(a) / max(cv2.contourArea(b), 1.0)
    if not 0.3 < ratio < 3:
        return False
    gap = 0.02 * max(np.ptp(a[:, 0]), np.ptp(a[:, 1])) + 4
    (ax0, ay0), (ax1, ay1) = a.min(axis=0) - gap, a.max(axis=0) + gap
    (bx0, by0), (bx1, by1) = b.min(axis=0), b.max(axis=0)
    if ax1 < bx0 or bx1 < ax0 or ay1 < by0 or by1 < ay0:
        return False
    return min(abs(cv2.pointPolygonTest(b.reshape(-1, 1, 2), (float(x), float(y)), True)) for x, y in a) < gap


@functools.cache
def _combinations(n: int) -> np.ndarray:
    return np.array(list(itertools.combinations(range(n), 4)), np.intp)


def _quad(hull_points: np.ndarray) -> np.ndarray | None:
    """The largest quadrilateral on the convex hull's corners."""
    hull = cv2.convexHull(hull_points.astype(np.float32))
    approx = cv2.approxPolyDP(hull, 0.01 * cv2.arcLength(hull, True), True)
    if len(approx) > 12:
        approx = cv2.approxPolyDP(hull, 0.03 * cv2.arcLength(hull, True), True)
    approx = approx.reshape(-1, 2)
    if len(approx) < 4:
        return None
    quads = approx[_combinations(len(approx))]  # (m, 4, 2), each in hull order
    x, y = quads[..., 0], quads[..., 1]
    areas = np.abs(np.sum(x * np.roll(y, -1, axis=1) - np.roll(x, -1, axis=1) * y, axis=1))
    return quads[int(np.argmax(areas))].astype(np.float32)


# --- refinement: straight sides fitted to step edges ---


LOG_TABLE = (np.log1p(np.arange(256, dtype=np.float32)) * LOG_GAIN).reshape(256, 1)


def _sides(quad: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Start points, unit tangents and outward unit normals of a quadrilateral's four sides."""
    start = quad
    vectors = quad[NEXT] - quad
    tangents = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-6)
    normals = np.stack([tangents[:, 1], -tangents[:, 0]], axis=1)
    outward = np.sign(np.sum(normals * (quad + vectors / 2 - quad.mean(axis=0)), axis=1, keepdims=True))
    return start, tangents, normals * np.where(outward == 0, 1, outward)


def _profiles(
    image: np.ndarray, quad: np.ndarray, radius: float, samples: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Step strength across each side: at `samples` points along it, for offsets along its normal.

    Returns offsets (n,), points (4, samples, 2) and strength (4, samples, n): how much the pixels
    just inside differ from those just outside if the side sat at that offset (log intensity, all
    channels: a shadow multiplies, so an edge keeps its step in the shade).
    """
    steps = max(int(np.ceil(radius)), 2)
    offsets = np.arange(-steps, steps + 1, dtype=np.float32)
    window = max(2, steps // 2)
    reach = np.arange(-steps - window, steps + window + 1, dtype=np.float32)
    along = np.linspace(0.08, 0.92, samples, dtype=np.float32)
    start, tangents, normals = _sides(quad)
    lengths = np.linalg.norm(quad[NEXT] - quad, axis=1)
    points = start[:, None, :] + (along[None, :, None] * lengths[:, None, None]) * tangents[:, None, :]
    across = np.array([-1, 0, 1], np.float32)  # three parallel lines, averaged against noise
    grid = (
        points[:, :, None, None, :]
        + reach[None, None, :, None, None] * normals[:, None, None, None, :]
        + across[None, None, None, :, None] * tangents[:, None, None, None, :]
    ).reshape(4 * samples, -1, 2)
    sampled = cv2.remap(image, grid[..., 0], grid[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    logs = cv2.LUT(sampled, LOG_TABLE).reshape(4 * samples, len(reach), 3, -1).mean(axis=2)
    cum = np.concatenate([np.zeros_like(logs[:, :1]), np.cumsum(logs, axis=1)], axis=1)
    at = np.arange(window, window + len(offsets))
    inside = (cum[:, at] - cum[:, at - window]) / window
    outside = (cum[:, at + window + 1] - cum[:, at + 1]) / window
    strength = np.sqrt(np.sum((inside - outside) ** 2, axis=2))
    return offsets, points, strength.reshape(4, samples, len(offsets))


def _fit(image: np.ndarray, quad: np.ndarray, radius: float, samples: int = SIDE_SAMPLES) -> Detection | None:
    """Fit each side to the strongest step edges within `radius` of it and judge the result: the
    share of each side's samples whose edge lies on the fitted line (a finger or a fold spoils a few)."""
    quad = order_corners(quad)
    h, w = image.shape[:2]
    if cv2.contourArea(quad) < MIN_AREA * h * w or not _plausible_angles(quad):
        return None
    offsets, points, strength = _profiles(image, quad, radius, samples)
    _, tangents, normals = _sides(quad)
    best = strength.argmax(axis=2)
    peak = np.take_along_axis(strength, best[:, :, None], axis=2)[:, :, 0]
    edge_points = points + offsets[best][:, :, None] * normals[:, None, :]
    lines, support, cut = [], [], []
    for side in range(4):
        strong = peak[side] > STEP_MIN
        on_border = _on_view_edge(quad[side], quad[NEXT[side]], w, h, radius)
        cut.append(on_border)
        if on_border or strong.sum() < samples * 0.25:
            lines.append((quad[side], tangents[side]))
            support.append(0.0 if not on_border else None)
            continue
        line = _fit_line(edge_points[side][strong])
        lines.append(line)
        offset = edge_points[side] - line[0]
        distance = np.abs(offset[:, 0] * line[1][1] - offset[:, 1] * line[1][0])
        support.append(float(np.mean(strong & (distance <= INLIER))))
    corners = [_intersect(lines[i - 1], lines[i]) for i in range(4)]
    if any(c is None for c in corners):
        return None
    result = np.array(corners, np.float32)
    sides = [s for s in support if s is not None]
    if (
        not sides
        or not cv2.isContourConvex(result.reshape(-1, 1, 2))
        or np.abs(result - quad).max() > 4 * radius + 2
    ):
        return None
    area = cv2.contourArea(result) / (h * w)
    score = float(np.mean(sides)) * min(sides) ** 0.5 + AREA_WEIGHT * np.sqrt(area)
    return Detection(order_corners(result), score, any(cut))


def _on_view_edge(a: np.ndarray, b: np.ndarray, w: int, h: int, margin: float) -> bool:
    m = max(margin, EDGE_MARGIN)
    for axis, limit in ((0, w - 1), (1, h - 1)):
        if (a[axis] < m and b[axis] < m) or (a[axis] > limit - m and b[axis] > limit - m):
            return True
    return False


def _fit_line(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A robust line through points (a finger or a fold pulls a few of them away)."""
    vx, vy, x0, y0 = cv2.fitLine(points.reshape(-1, 1, 2), cv2.DIST_HUBER, 0, 0.01, 0.01).ravel()
    distance = np.abs((points[:, 0] - x0) * vy - (points[:, 1] - y0) * vx)
    kept = points[distance <= 2 * INLIER]
    if len(kept) >= max(4, len(points) // 3):  # fit again without the points far off the line
        vx, vy, x0, y0 = cv2.fitLine(kept.reshape(-1, 1, 2), cv2.DIST_HUBER, 0, 0.01, 0.01).ravel()
    return np.array([x0, y0], np.float32), np.array([vx, vy], np.float32)


def _intersect(l1: tuple[np.ndarray, np.ndarray], l2: tuple[np.ndarray, np.ndarray]) -> np.ndarray | None:
    (p, d), (q, e) = l1, l2
    denom = d[0] * e[1] - d[1] * e[0]
    if abs(denom) < 1e-6:
        return None
    t = ((q[0] - p[0]) * e[1] - (q[1] - p[1]) * e[0]) / denom
    return p + t * d


def _plausible_angles(quad: np.ndarray) -> bool:
    """Every corner within ~27 degrees of square: the camera looks straight down."""
    u = quad[PREVIOUS] - quad
    v = quad[NEXT] - quad
    cos = np.sum(u * v, axis=1) / np.maximum(np.linalg.norm(u, axis=1) * np.linalg.norm(v, axis=1), 1e-6)
    return bool(np.all(np.abs(cos) < 0.45))

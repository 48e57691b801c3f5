"""Finding the document on the mat: candidate outlines from edge-bounded regions, each refined by fitting
straight sides to step edges, scored by how paper-like the outline is.

Pure functions on numpy images (any resolution: a preview frame or a full still); no I/O, no state.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import cv2
import numpy as np

WORK_WIDTH = 720  # candidate search runs at about this width
MIN_AREA = 0.004  # of the frame: smaller regions are not documents (an ID card at 13 MP is ~3.5 %)
MIN_SCORE = 0.35
CONTAINER_SCORE = 0.5
FINGER_WIDTH = 0.045  # of the view's width: wider than a finger, narrower than an ID card
AREA_WEIGHT = 0.25  # of sqrt(area share): a document is usually the largest outlined thing
STEP_MIN = 2.5  # log-intensity units (x LOG_GAIN): the faintest edge that counts
SIDE_SAMPLES = 48
LOG_GAIN = 40.0  # log units to roughly grey levels at mid-grey
EDGE_MARGIN = 2.5  # work pixels: a side this close to the frame's edge is the edge of the view


@dataclass
class Detection:
    corners: np.ndarray  # 4 x 2 float32, clockwise from the top-left, in the frame's pixels
    score: float  # 0..1, how paper-like the outline is
    cut_off: bool  # part of the document lies outside the view


def find_page(frame: np.ndarray) -> np.ndarray | None:
    """The document's corners in frame pixels (clockwise from the top-left), or None."""
    found = detect(frame)
    return None if found is None else found.corners


def detect(frame: np.ndarray) -> Detection | None:
    work, scale = _work_image(frame)
    judged = []
    for quad in _candidates(work):
        refined = _refine(work, quad, radius=max(3.0, 0.005 * work.shape[1]))
        detection = None if refined is None else _judge(work, refined)
        if detection and detection.score >= MIN_SCORE:
            judged.append(detection)
    if not judged:
        return None
    best = max(judged, key=lambda d: d.score)
    # a document's own print (a table, a photo box) can outline as well as its edge: take the outermost
    containers = [d for d in judged if d.score >= CONTAINER_SCORE and _contains(d.corners, best.corners)]
    best = max(containers + [best], key=lambda d: cv2.contourArea(d.corners))
    corners = best.corners * scale
    if scale > 1:
        fine = _refine(frame, corners, radius=1.5 * scale, samples=SIDE_SAMPLES * 2)
        corners = corners if fine is None else fine
    return Detection(order_corners(corners), best.score, best.cut_off)


def _contains(outer: np.ndarray, inner: np.ndarray) -> bool:
    slack = 0.01 * np.sqrt(cv2.contourArea(outer))
    return all(cv2.pointPolygonTest(outer.reshape(-1, 1, 2), (float(x), float(y)), True) > -slack for x, y in inner)


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
    quads = [q for q in (_quad(r) for r in regions) if q is not None]
    for a, b in itertools.combinations(regions[:6], 2):
        if _adjacent(a, b):
            quad = _quad(np.vstack([a, b]))
            if quad is not None:
                quads.append(quad)
    return quads


def _regions(work: np.ndarray) -> list[np.ndarray]:
    """Convex hulls of large regions, largest first: regions that edges enclose (robust to shadows
    and to fingers), connected edges (a document's outline with its own print), and regions unlike
    the mat seen at the view's border (robust to gaps in edges)."""
    lab = cv2.cvtColor(cv2.GaussianBlur(work, (5, 5), 0), cv2.COLOR_BGR2LAB)
    edges = _edges(lab)
    hulls = _hulls(255 - edges) + _hulls(edges) + _hulls(_unlike_mat(lab))
    hulls.sort(key=cv2.contourArea, reverse=True)
    return hulls


def _edges(lab: np.ndarray) -> np.ndarray:
    """Edges in lightness or colour, thickened to close small gaps."""
    edges = np.zeros(lab.shape[:2], np.uint8)
    for channel, gain in zip(cv2.split(lab), (1.0, 2.0, 2.0), strict=True):
        scaled = channel if gain == 1.0 else cv2.convertScaleAbs(channel, alpha=gain, beta=-128 * gain + 128)
        edges |= cv2.Canny(scaled, 10, 25)
    return cv2.dilate(edges, np.ones((3, 3), np.uint8))


def _unlike_mat(lab: np.ndarray) -> np.ndarray:
    """Pixels whose colour is far from the mat's, the mat being what the view's border mostly shows."""
    h, w = lab.shape[:2]
    b = max(2, round(0.02 * w))
    border = np.concatenate([lab[:b].reshape(-1, 3), lab[-b:].reshape(-1, 3), lab[:, :b].reshape(-1, 3), lab[:, -b:].reshape(-1, 3)]).astype(np.float32)
    centre = np.median(border, axis=0)
    spread = np.maximum(np.median(np.abs(border - centre), axis=0) * 1.5, (3.0, 2.0, 2.0))
    distance = np.abs(lab.astype(np.float32) - centre) / spread
    mask = (distance.max(axis=2) > 5).astype(np.uint8) * 255
    return cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))


def _hulls(mask: np.ndarray) -> list[np.ndarray]:
    """Per large component: the hull of its filled outline, and the hull after opening it with a
    finger-wide square (a finger or a hand attached to a page is thinner than any document)."""
    h, w = mask.shape
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=4)
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
    gap = min(abs(cv2.pointPolygonTest(b.reshape(-1, 1, 2), (float(x), float(y)), True)) for x, y in a[:: max(1, len(a) // 40)])
    return gap < 0.02 * max(np.ptp(a[:, 0]), np.ptp(a[:, 1]), 1.0) + 4 and 0.3 < cv2.contourArea(a) / max(cv2.contourArea(b), 1) < 3


def _quad(hull_points: np.ndarray) -> np.ndarray | None:
    """The largest quadrilateral on the convex hull's corners."""
    hull = cv2.convexHull(hull_points.astype(np.float32)).reshape(-1, 2)
    approx = cv2.approxPolyDP(hull.reshape(-1, 1, 2), 0.01 * cv2.arcLength(hull.reshape(-1, 1, 2), True), True).reshape(-1, 2)
    if len(approx) < 4:
        return None
    if len(approx) > 12:
        approx = cv2.approxPolyDP(hull.reshape(-1, 1, 2), 0.03 * cv2.arcLength(hull.reshape(-1, 1, 2), True), True).reshape(-1, 2)
    best, best_area = None, 0.0
    for combo in itertools.combinations(range(len(approx)), 4):
        quad = approx[list(combo)]
        area = cv2.contourArea(quad)
        if area > best_area:
            best, best_area = quad, area
    return None if best is None else best.astype(np.float32)


# --- refinement: straight sides fitted to step edges ---


def _profiles(image: np.ndarray, quad: np.ndarray, radius: float, samples: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each side: sample points along it, the outward normal, and the step strength at each offset.

    Returns offsets (n_offsets,), points (4, samples, 2), strength (4, samples, n_offsets) where a
    positive strength means the inside differs from the outside at that offset along the normal.
    """
    steps = max(int(np.ceil(radius)), 2)
    offsets = np.arange(-steps, steps + 1, dtype=np.float32)
    window = max(2, steps // 2)
    along = np.linspace(0.08, 0.92, samples, dtype=np.float32)
    centre = quad.mean(axis=0)
    points = np.empty((4, samples, 2), np.float32)
    strength = np.empty((4, samples, len(offsets)), np.float32)
    reach = np.arange(-steps - window, steps + window + 1, dtype=np.float32)
    for side in range(4):
        a, b = quad[side], quad[(side + 1) % 4]
        tangent = (b - a) / max(np.linalg.norm(b - a), 1e-6)
        normal = np.array([tangent[1], -tangent[0]], np.float32)
        if np.dot(normal, (a + b) / 2 - centre) < 0:
            normal = -normal
        base = a + along[:, None] * (b - a)
        points[side] = base
        grid = base[:, None, None, :] + reach[None, :, None, None] * normal + np.array([-1, 0, 1], np.float32)[None, None, :, None] * tangent
        flat = grid.reshape(samples, -1, 2)
        sampled = cv2.remap(image, flat[..., 0], flat[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        sampled = sampled.reshape(samples, len(reach), 3, -1).astype(np.float32)
        # log intensity: a shadow multiplies, so an edge's step keeps its size in the shade
        profile = np.log1p(sampled).mean(axis=2) * LOG_GAIN  # (samples, reach, channels)
        cum = np.concatenate([np.zeros_like(profile[:, :1]), np.cumsum(profile, axis=1)], axis=1)
        centre_index = np.arange(window, window + len(offsets))
        inside = (cum[:, centre_index] - cum[:, centre_index - window]) / window
        outside = (cum[:, centre_index + window + 1] - cum[:, centre_index + 1]) / window
        strength[side] = np.linalg.norm(inside - outside, axis=2)
    return offsets, points, strength


def _refine(image: np.ndarray, quad: np.ndarray, radius: float, samples: int = SIDE_SAMPLES) -> np.ndarray | None:
    """Move each side to the straight line that best fits the strongest step edges near it."""
    quad = order_corners(quad)
    h, w = image.shape[:2]
    offsets, points, strength = _profiles(image, quad, radius, samples)
    centre = quad.mean(axis=0)
    lines = []
    for side in range(4):
        a, b = quad[side], quad[(side + 1) % 4]
        tangent = (b - a) / max(np.linalg.norm(b - a), 1e-6)
        normal = np.array([tangent[1], -tangent[0]], np.float32)
        if np.dot(normal, (a + b) / 2 - centre) < 0:
            normal = -normal
        if _on_view_edge(a, b, w, h, radius):
            lines.append((a, tangent))
            continue
        best = strength[side].argmax(axis=1)
        peak = strength[side][np.arange(samples), best]
        strong = peak > max(np.median(peak) * 0.5, STEP_MIN)
        if strong.sum() < samples * 0.25:
            lines.append((a, tangent))
            continue
        found = points[side][strong] + offsets[best[strong], None] * normal
        lines.append(_fit_line(found))
    corners = [_intersect(lines[i - 1], lines[i]) for i in range(4)]
    if any(c is None for c in corners):
        return None
    result = np.array(corners, np.float32)
    if not cv2.isContourConvex(result.reshape(-1, 1, 2)) or np.abs(result - quad).max() > 4 * radius + 2:
        return None
    return result


def _on_view_edge(a: np.ndarray, b: np.ndarray, w: int, h: int, margin: float) -> bool:
    m = max(margin, EDGE_MARGIN)
    for axis, limit in ((0, w - 1), (1, h - 1)):
        if (a[axis] < m and b[axis] < m) or (a[axis] > limit - m and b[axis] > limit - m):
            return True
    return False


def _fit_line(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A robust line through points (a finger or a fold pulls a few of them away)."""
    vx, vy, x0, y0 = cv2.fitLine(points.reshape(-1, 1, 2), cv2.DIST_HUBER, 0, 0.01, 0.01).ravel()
    return np.array([x0, y0], np.float32), np.array([vx, vy], np.float32)


def _intersect(l1: tuple[np.ndarray, np.ndarray], l2: tuple[np.ndarray, np.ndarray]) -> np.ndarray | None:
    (p, d), (q, e) = l1, l2
    denom = d[0] * e[1] - d[1] * e[0]
    if abs(denom) < 1e-6:
        return None
    t = ((q[0] - p[0]) * e[1] - (q[1] - p[1]) * e[0]) / denom
    return p + t * d


# --- judging ---


def _judge(image: np.ndarray, quad: np.ndarray) -> Detection | None:
    """How paper-like an outline is: steps along its sides, a plausible shape and size."""
    h, w = image.shape[:2]
    area = cv2.contourArea(quad)
    if area < MIN_AREA * h * w:
        return None
    if not _plausible_angles(quad):
        return None
    radius = max(2.0, 0.004 * w)
    offsets, _, strength = _profiles(image, quad, radius, SIDE_SAMPLES)
    at_line = strength[:, :, np.abs(offsets) <= 1.0].max(axis=2)
    nearby = strength.max(axis=2)
    cut = [_on_view_edge(quad[i], quad[(i + 1) % 4], w, h, EDGE_MARGIN) for i in range(4)]
    support = []
    for side in range(4):
        if cut[side]:
            continue
        clear = at_line[side] > STEP_MIN
        peaked = at_line[side] >= 0.8 * nearby[side]
        support.append(float(np.mean(clear & peaked)))
    if not support:
        return None
    score = float(np.mean(support)) * min(support) ** 0.5 + AREA_WEIGHT * np.sqrt(area / (h * w))
    return Detection(quad, score, any(cut))


def _plausible_angles(quad: np.ndarray) -> bool:
    for i in range(4):
        u = quad[i - 1] - quad[i]
        v = quad[(i + 1) % 4] - quad[i]
        cos = np.dot(u, v) / max(np.linalg.norm(u) * np.linalg.norm(v), 1e-6)
        if abs(cos) > 0.45:  # more than ~27 degrees from square
            return False
    return True

"""Finding the document on the mat: candidate outlines around regions of a small copy of the frame,
each judged by fitting its sides to the step edges around it (`outline.py`); the winner is fitted
again at every finer level of the image pyramid.

Pure functions on numpy images (any resolution: a preview frame or a full still; a search finds its
edges on a second core through one helper thread); no I/O, no state: the live preview's memory (the
last outline, the last view searched in vain) lives in `preview.PageFinder`.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import cv2
import numpy as np

from kiosk.imaging import outline
from kiosk.imaging.outline import Detection, order_corners, order_many

__all__ = ["Detection", "detect", "find_page", "follow", "order_corners", "track"]

WORK_WIDTH = 260  # regions are searched at about this width (a 1040-wide preview / 4, 13 MP / 16)
FRAME_CHECK_WIDTH = 1100  # printed frames are told from paper edges at about a preview's width
TRACK_SCORE = 0.5  # a page followed from the last frame must still be at least this clear
CONTAINER_SHARE = 0.8  # of the best score: an outline around the best one that clear wins (it is the paper)
SAME_QUAD = 0.008  # of the view's width: outlines whose corners are all closer than this are one
MAX_REGIONS = 3  # per mask, largest first
PAIR_WITH = 2  # the largest distinct regions are also tried merged with a touching one (a booklet)
NECKS = (0.055, 0.11, 0.16)  # of the view's width: a finger, two fingers, fingers and the gap between
SOLID = 0.97  # a region filling this much of its hull has nothing thin attached
BORDER_TOUCH = 0.008  # of the view's width: a region this close to a border touches it
PAPER_MIN_L = 150  # Lab lightness (0-255) below which nothing counts as blank paper
PAPER_BELOW_TOP = 40  # blank paper is at most this much darker than the brightest part of the view
PAPER_CHROMA = 24  # |a - 128| + |b - 128| of blank, nearly grey paper
LOG_LIGHTNESS = np.clip(130 * np.log((np.arange(256) + 1) / 40.0), 0, 255).astype(np.uint8)
_T = TypeVar("_T")
_HELPER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="page-edges")  # a search's second core


def find_page(frame: np.ndarray) -> np.ndarray | None:
    """The document's corners in frame pixels (clockwise from the top-left), or None."""
    found = detect(frame)
    return None if found is None else found.corners


def detect(frame: np.ndarray) -> Detection | None:
    """The most paper-like outline in a frame of any size: regions searched at about WORK_WIDTH,
    outlines judged at twice that, the winner's sides fitted again at every finer level."""
    levels = _pyramid(frame)
    judge = max(len(levels) - 2, 0)
    image = levels[judge]
    scale = image.shape[1] / levels[-1].shape[1]
    radius = 3.0 * image.shape[1] / (2 * WORK_WIDTH)
    regions, quads = _single_outlines(levels)
    candidates = _plausible(np.concatenate([quads, _pair_outlines(regions, quads, levels[-1])]), levels[-1])
    fitted = [
        d for d in outline.fit_many(image, candidates * scale, radius) if d and d.score >= outline.MIN_SCORE
    ]
    if not fitted:
        return None
    best = max(fitted, key=lambda d: d.score)
    # a document's own print (a table, a photo box) can outline as well as its edge: take the outermost
    containers = [
        d for d in fitted if d.score >= CONTAINER_SHARE * best.score and _contains(d.corners, best.corners)
    ]
    return _refine(levels, judge, max([*containers, best], key=lambda d: cv2.contourArea(d.corners)))


def track(frame: np.ndarray, previous: np.ndarray) -> Detection | None:
    """The document near where it was in the previous frame, if it is still clearly there (the
    preview's fast path: one fit instead of a search)."""
    found = outline.fit(frame, previous, radius=max(3.0, 0.006 * frame.shape[1]))
    return found if found and found.score >= TRACK_SCORE else None


def follow(frame: np.ndarray, previous: np.ndarray, width: int) -> Detection | None:
    """The page near `previous` (its corners in a frame `width` pixels wide: the outline the live
    preview last saw) in `frame`, a larger frame of the same view: followed at the preview's size, then
    fitted at every finer level; None when it is no longer clearly there."""
    levels = _pyramid(frame)
    level = min(range(len(levels)), key=lambda i: abs(levels[i].shape[1] - width))
    found = track(levels[level], previous * (levels[level].shape[1] / width))
    return None if found is None else _refine(levels, level, found)


def _on_second_core(job: Callable[..., _T], *args: object) -> Callable[[], _T]:
    """Start `job(*args)` on the helper thread; the callable returned gives its result, or runs the job
    here if the helper has not begun it yet (on a loaded machine: no waiting for a busy core; at
    interpreter exit: no helper at all). Only OpenCV work goes there (it lets go of Python's lock
    throughout): jobs with numpy and Python steps measured no faster than the edges alone."""
    try:
        future = _HELPER.submit(job, *args)
    except RuntimeError:  # the interpreter is shutting down
        return lambda: job(*args)
    return lambda: job(*args) if future.cancel() else future.result()


def _contains(outer: np.ndarray, inner: np.ndarray) -> bool:
    slack = 0.01 * np.sqrt(cv2.contourArea(outer))
    return all(
        cv2.pointPolygonTest(outer.reshape(-1, 1, 2), (float(x), float(y)), True) > -slack for x, y in inner
    )


def _pyramid(frame: np.ndarray) -> list[np.ndarray]:
    """The frame and its halvings down to about WORK_WIDTH (OpenCV's fast 2 x 2 area path)."""
    levels = [frame]
    while levels[-1].shape[1] / 2 >= 0.9 * WORK_WIDTH:
        levels.append(cv2.resize(levels[-1], None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA))
    return levels


def _refine(levels: list[np.ndarray], level: int, found: Detection) -> Detection:
    """The outline's sides fitted again at every finer level; at about a preview's width, sides that
    are printed lines move out to the paper's edge."""
    for finer in range(level - 1, -1, -1):
        scale = levels[finer].shape[1] / levels[finer + 1].shape[1]
        samples = outline.SIDE_SAMPLES * (2 if finer == 0 else 1)
        fine = outline.fit(levels[finer], found.corners * scale, radius=1.5 * scale, samples=samples)
        if fine is None:
            found = Detection(found.corners * scale, found.score, found.cut_off, found.seen)
        else:
            # a side on the view's border at the coarser level that shows no edge here is still the border
            lost = found.cut_off and any(not a and not b for a, b in zip(found.seen, fine.seen, strict=True))
            found = Detection(fine.corners, found.score, fine.cut_off or lost, fine.seen)
        if levels[finer].shape[1] <= FRAME_CHECK_WIDTH and (
            finer == 0 or levels[finer - 1].shape[1] > FRAME_CHECK_WIDTH
        ):
            found = outline.outer_edges(levels[finer], found)
    if level == 0:
        found = outline.outer_edges(levels[0], found)
    return found


# --- candidates ---


def _single_outlines(levels: list[np.ndarray]) -> tuple[list[np.ndarray], np.ndarray]:
    """Distinct outlines (n, 4, 2, at the work level) around single regions, and those regions' hulls."""
    found = [(hull, quad) for hull, quad in _regions(levels) if quad is not None]
    quads = np.array([quad for _, quad in found], np.float32).reshape(-1, 4, 2)
    kept = _distinct(quads, SAME_QUAD * levels[-1].shape[1])
    return [found[i][0] for i in kept], quads[kept]


def _pair_outlines(regions: list[np.ndarray], quads: np.ndarray, work: np.ndarray) -> np.ndarray:
    """Further distinct outlines (m, 4, 2) around the largest regions merged with a touching one (the
    pages of an open booklet; a page split by a shadow's edge)."""
    merged = [_quad(np.vstack([regions[i], regions[j]])) for i, j in _touching_pairs(regions)]
    pairs = np.array([quad for quad in merged if quad is not None], np.float32).reshape(-1, 4, 2)
    both = np.concatenate([quads, pairs])
    kept = _distinct(both, SAME_QUAD * work.shape[1])  # keeps every one of `quads`: they are distinct
    return both[kept[len(quads) :]]


def _plausible(quads: np.ndarray, work: np.ndarray) -> np.ndarray:
    """(n, 4, 2): the outlines that could be a document, clockwise from the top-left."""
    ordered = order_many(quads)
    return ordered[outline.plausible(ordered, work.shape[1], work.shape[0])]


def _distinct(quads: np.ndarray, distance: float) -> list[int]:
    """Indices of the outlines (n, 4, 2) kept in order: each one not within `distance` (at every
    corner) of one kept before it."""
    near = np.abs(quads[:, None] - quads[None]).max(axis=(2, 3)) <= distance
    covered = np.zeros(len(quads), bool)
    kept: list[int] = []
    for i in range(len(quads)):
        if not covered[i]:
            kept.append(i)
            covered |= near[i]
    return kept


def _regions(levels: list[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray | None]]:
    """Convex hulls of large regions, largest first, each with its largest quadrilateral: regions that
    edges enclose (robust to shadows and to fingers), connected edges (a document's outline with its
    own print), regions unlike the mat seen at the view's border, and blank paper."""
    work = levels[-1]
    # each channel's edges a job of its own: the helper takes them first to last, this thread (once
    # its colour masks are done) last to first, so that neither core waits while the other has two
    cannies = [
        _on_second_core(cv2.Canny, c, 10, 25) for c in _edge_channels(levels[-2] if len(levels) > 1 else work)
    ]
    lab = cv2.cvtColor(cv2.GaussianBlur(work, (3, 3), 0), cv2.COLOR_BGR2LAB)
    colour = _outlined(_unlike_mat(lab)) + _outlined(_paper_like(lab))
    edges = _pooled(functools.reduce(np.bitwise_or, [edges() for edges in reversed(cannies)]), work.shape)
    regions = _outlined(255 - edges) + _outlined(edges) + colour
    regions.sort(key=lambda region: region[0], reverse=True)
    return [(hull, quad) for _, hull, quad in regions]


def _outlined(mask: np.ndarray) -> list[tuple[float, np.ndarray, np.ndarray | None]]:
    """The area, hull and largest quadrilateral of each of a mask's `_hulls`."""
    return [(cv2.contourArea(hull), hull, _quad(hull, convex=True)) for hull in _hulls(mask)]


def _edge_channels(image: np.ndarray) -> list[np.ndarray]:
    """The channels edges are found in (at twice the work resolution): lightness, log lightness (the
    same step in a shadow as in the light) and colour."""
    lightness, a, b = cv2.split(cv2.cvtColor(cv2.GaussianBlur(image, (5, 5), 0), cv2.COLOR_BGR2LAB))
    channels = [lightness, cv2.LUT(lightness, LOG_LIGHTNESS)]
    return channels + [cv2.convertScaleAbs(c, alpha=2.0, beta=-128) for c in (a, b)]  # 2 x (c - 128) + 128


def _pooled(edges: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Edges thickened to close small gaps and pooled to `shape`."""
    edges = cv2.dilate(edges, np.ones((3, 3), np.uint8))
    if edges.shape[:2] == shape[:2]:
        return edges
    pooled = cv2.resize(edges, (shape[1], shape[0]), interpolation=cv2.INTER_AREA)
    return cv2.threshold(pooled, 0, 255, cv2.THRESH_BINARY)[1]


def _border(image: np.ndarray) -> np.ndarray:
    """The pixels of a strip around the view's border, (k, channels): mostly mat."""
    b = max(2, round(0.02 * image.shape[1]))
    strips = (image[:b], image[-b:], image[b:-b, :b], image[b:-b, -b:])
    return np.concatenate([s.reshape(-1, image.shape[2]) for s in strips])


def _unlike_mat(lab: np.ndarray) -> np.ndarray:
    """Pixels whose colour is far from the mat's, the mat being what the view's border mostly shows."""
    border = _border(lab)
    centre = np.median(border, axis=0)
    spread = np.maximum(np.median(np.abs(border.astype(np.float32) - centre), axis=0) * 1.5, (3.0, 2.0, 2.0))
    far = np.zeros(lab.shape[:2], np.uint8)
    for channel, mat, limit in zip(
        cv2.split(lab), centre.astype(int).tolist(), (5 * spread).astype(int).tolist(), strict=True
    ):
        far |= cv2.threshold(cv2.absdiff(channel, mat), limit, 255, cv2.THRESH_BINARY)[1]
    return cv2.morphologyEx(far, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))


def _paper_like(lab: np.ndarray) -> np.ndarray:
    """Bright, nearly grey pixels (blank paper is usually the brightest thing in view), print closed."""
    lightness = lab[..., 0]
    floor = max(PAPER_MIN_L, float(np.percentile(lightness[::2, ::2], 99)) - PAPER_BELOW_TOP)
    chroma = cv2.absdiff(lab[..., 1], 128).astype(np.uint16) + cv2.absdiff(lab[..., 2], 128)
    paper = (lightness >= floor) & (chroma <= PAPER_CHROMA)
    return cv2.morphologyEx(paper.astype(np.uint8) * 255, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))


def _hulls(mask: np.ndarray) -> list[np.ndarray]:
    """Per large component: the hull of its filled outline, and the hulls of its largest core past
    necks of a finger's width and more (the fingers of a hand reaching onto a page are a neck between
    page and hand). A region touching three borders of the view is the mat."""
    h, w = mask.shape
    labels, areas = _components(mask)
    hulls = []
    squares = [np.ones((round(width * w),) * 2, np.uint8) for width in NECKS]
    for i in np.argsort(-areas)[: MAX_REGIONS + 1]:
        area = areas[i]
        if area < outline.MIN_AREA * h * w:
            break
        if i == 0:  # the zero pixels
            continue
        x, y, bw, bh = cv2.boundingRect(cv2.compare(labels, int(i), cv2.CMP_EQ))
        component = (labels[y : y + bh, x : x + bw] == i).astype(np.uint8)
        contours, _ = cv2.findContours(component, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        hull = _hull(np.vstack(contours), (x, y))
        cv2.drawContours(component, contours, -1, 1, -1)  # print inside a page is no neck
        if _borders(hull, w, h) < 3:
            hulls.append(hull)
            if cv2.countNonZero(component) > SOLID * cv2.contourArea(hull):
                continue
        for square in squares:
            core = _largest_core(component, square)
            if core is None:  # nothing this wide in it: nothing wider either
                break
            if _borders(hull := _hull(core, (x, y)), w, h) < 3:
                hulls.append(hull)
    return hulls


def _largest_core(region: np.ndarray, square: np.ndarray) -> np.ndarray | None:
    """The outline points of the largest part of a region that a square can sweep without passing
    through a neck narrower than itself (a page without the hand whose fingers lie on it)."""
    eroded = cv2.erode(region, square)
    x, y, w, h = cv2.boundingRect(eroded)  # labelled only where it is left: the same labels, in less time
    count, cores = cv2.connectedComponents(eroded[y : y + h, x : x + w], connectivity=4)
    if count < 2:
        return None
    if count > 2:  # one core (the usual case) is the eroded region itself
        areas = np.bincount(cores.ravel(), minlength=count)
        eroded = np.zeros_like(region)
        eroded[y : y + h, x : x + w] = cv2.compare(cores, 1 + int(np.argmax(areas[1:])), cv2.CMP_EQ)
    part = cv2.dilate(eroded, square) & region
    contours, _ = cv2.findContours(part, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    return np.vstack(contours) if contours else None


def _components(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """4-connected labels of a mask (0: its zero pixels) and each label's area (OpenCV's labelling
    with statistics takes three times as long as labelling alone)."""
    count, labels = cv2.connectedComponents(mask, connectivity=4)
    return labels, np.bincount(labels.ravel(), minlength=count).astype(np.int32)


def _hull(points: np.ndarray, offset: tuple[int, int]) -> np.ndarray:
    return cv2.convexHull(points.reshape(-1, 2) + offset).reshape(-1, 2).astype(np.float32)


def _borders(hull: np.ndarray, w: int, h: int) -> int:
    """How many of the view's borders a region touches."""
    (x0, y0), (x1, y1) = hull.min(axis=0), hull.max(axis=0)
    m = max(2.0, BORDER_TOUCH * w)
    return int(x0 < m) + int(y0 < m) + int(x1 > w - 1 - m) + int(y1 > h - 1 - m)


def _touching_pairs(regions: list[np.ndarray]) -> list[tuple[int, int]]:
    """Pairs (i, j), i < j and i among the PAIR_WITH largest, of regions (hulls) closer than a small
    gap (of the larger one's size): a page and the region beside it. Distances are measured only
    between regions whose bounding boxes are that close."""
    if len(regions) < 2:
        return []
    size = max(len(r) for r in regions)  # padded with their last point: no nearer point, no new side
    padded = np.array([np.vstack([r, np.repeat(r[-1:], size - len(r), axis=0)]) for r in regions])
    low, high = padded.min(axis=1), padded.max(axis=1)
    gap = 0.02 * (high - low).max(axis=1) + 2
    i, j = np.triu_indices(len(regions), 1)
    keep = i < PAIR_WITH
    i, j = i[keep], j[keep]
    apart = np.maximum(np.maximum(low[j] - high[i], low[i] - high[j]), 0)  # between the boxes, per axis
    close = np.einsum("pk,pk->p", apart, apart) < gap[i] ** 2
    i, j = i[close], j[close]
    near = np.minimum(_nearest_squared(padded[i], padded[j]), _nearest_squared(padded[j], padded[i]))
    touching = near < gap[i] ** 2
    return list(zip(i[touching].tolist(), j[touching].tolist(), strict=True))


def _nearest_squared(points: np.ndarray, polygons: np.ndarray) -> np.ndarray:
    """(n,): the squared distance from the nearest of points[k] (n, p, 2) to a side of the closed
    polygon polygons[k] (n, s, 2)."""
    side = np.roll(polygons, -1, axis=1) - polygons
    # coordinates apart: numpy is slow on a last axis of two
    sx, sy = side[:, None, :, 0], side[:, None, :, 1]  # (n, 1, side)
    tx = points[:, :, None, 0] - polygons[:, None, :, 0]  # (n, point, side): from each side's start
    ty = points[:, :, None, 1] - polygons[:, None, :, 1]
    along = np.clip((tx * sx + ty * sy) / np.maximum(sx * sx + sy * sy, 1e-6), 0, 1)
    ox, oy = tx - along * sx, ty - along * sy
    return (ox * ox + oy * oy).min(axis=(1, 2))


@functools.cache
def _combinations(n: int) -> np.ndarray:
    """(4, m): the corner indices of every choice of four of n points."""
    return np.array(list(itertools.combinations(range(n), 4)), np.intp).T.copy()


def _quad(hull_points: np.ndarray, convex: bool = False) -> np.ndarray | None:
    """The largest quadrilateral on the convex hull's corners (`convex`: the points are that hull)."""
    hull = hull_points.reshape(-1, 1, 2) if convex else cv2.convexHull(hull_points.astype(np.float32))
    approx = cv2.approxPolyDP(hull, 0.01 * cv2.arcLength(hull, True), True)
    if len(approx) > 12:
        approx = cv2.approxPolyDP(hull, 0.03 * cv2.arcLength(hull, True), True)
    approx = approx.reshape(-1, 2)
    if len(approx) <= 4:
        return approx.astype(np.float32) if len(approx) == 4 else None
    a, b, c, d = _combinations(len(approx))  # each of the m quadrilaterals in hull order
    x, y = approx[:, 0:1], approx[:, 1]
    cross = x * y - (x * y).T  # [i, j]: twice the signed area of the triangle (origin, i, j)
    areas = np.abs(cross[a, b] + cross[b, c] + cross[c, d] + cross[d, a])
    best = int(np.argmax(areas))
    return approx[[a[best], b[best], c[best], d[best]]].astype(np.float32)

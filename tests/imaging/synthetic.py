"""The labelled synthetic set for page detection: documents warped onto varied mats with known corners,
one fixed recipe per category, a frame per (category, seed), and the Jaccard index to score with.

Seeds below TUNING_SEEDS were used while tuning the detector; scores are reported on later seeds only.
`python -m tests.imaging.synthetic --seeds N` scores the full set (its table goes in bench/RESULTS.md).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import cv2
import numpy as np

from kiosk.sim import camera as sim

TUNING_SEEDS = range(0, 1000)  # seeds the detector was tuned on; scoring starts at SCORING_SEED
SCORING_SEED = 1000


@dataclass(frozen=True)
class Category:
    name: str
    mats: tuple[str, ...]
    kinds: tuple[str, ...]
    max_angle: float = 8.0  # degrees either way
    shadow: bool = False
    fingers: int = 0
    glare: bool = False
    blur: tuple[float, float] = (0.8, 1.3)  # sigma at full resolution
    at_edge: bool = False
    hard: bool = False  # the textbook detector is expected to fail here


CATEGORIES = {
    c.name: c
    for c in [
        Category("plain", ("dark", "green", "grey", "wood"), ("form", "certificate", "hukou")),
        Category("clutter", ("clutter",), ("form", "certificate", "notice")),
        # plain white paper: a printed frame would give any detector an inner rectangle to find
        Category("white_on_light", ("light", "white", "grid"), ("letter",), hard=True),
        Category(
            "finger",
            ("light", "white", "grey", "dark"),
            ("form", "certificate", "hukou"),
            fingers=2,
            hard=True,
        ),
        Category(
            "shadow", ("light", "white", "grid"), ("letter", "form", "certificate"), shadow=True, hard=True
        ),
        Category("glare", ("dark", "grey", "light"), ("certificate", "idcard", "notice"), glare=True),
        Category("blur", ("dark", "grey", "light"), ("form", "hukou", "notice"), blur=(2.5, 4.0)),
        Category(
            "rotation",
            ("dark", "grey", "light", "wood"),
            ("notice", "hukou", "idcard", "receipt"),
            max_angle=180,
        ),
        Category("edge", ("dark", "grey", "light"), ("form", "certificate", "notice"), at_edge=True),
        Category(
            "small",
            ("dark", "grey", "light", "green", "wood"),
            ("idcard", "bankbook", "receipt"),
            max_angle=180,
        ),
        Category("booklet", ("dark", "grey", "light", "wood"), ("booklet",), max_angle=10),
    ]
}


@dataclass
class Sample:
    category: str
    seed: int
    frame: np.ndarray
    corners: np.ndarray  # the document's true corners, clockwise from its top-left, frame pixels
    size_mm: tuple[float, float]
    kind: str


def sample(category: str, seed: int, scale: float = 1.0) -> Sample:
    """One labelled frame; `scale` shrinks the 13 MP frame (and everything on it) for quick tests."""
    c = CATEGORIES[category]
    rng = np.random.default_rng([seed, list(CATEGORIES).index(category)])
    size = (round(sim.FRAME_SIZE[0] * scale), round(sim.FRAME_SIZE[1] * scale))
    px_per_mm = sim.PX_PER_MM * scale
    frame = sim.mat(str(rng.choice(c.mats)), rng, size)
    kind = str(rng.choice(c.kinds))
    page, size_mm = sim.document(kind, int(rng.integers(0, 4)))
    corners = _place(c, rng, size_mm, px_per_mm, size)
    sim.lay(frame, page, corners)
    _disturb(c, rng, frame, corners, px_per_mm)
    frame = sim.camera_model(frame, rng.uniform(*c.blur) * scale)
    return Sample(category, seed, frame, corners, size_mm, kind)


def _place(c: Category, rng: np.random.Generator, size_mm, px_per_mm: float, size) -> np.ndarray:
    w, h = size
    for _ in range(200):
        angle = rng.uniform(-c.max_angle, c.max_angle) + (
            90 if size_mm[0] > size_mm[1] and rng.random() < 0.3 else 0
        )
        centre = rng.uniform((0.25 * w, 0.25 * h), (0.75 * w, 0.75 * h))
        corners = sim.corners_for(size_mm, angle, tuple(centre), px_per_mm, size)
        corners += rng.normal(0, 4 * px_per_mm / sim.PX_PER_MM, (4, 2)).astype(np.float32)  # a slight tilt
        if c.at_edge:
            corners = _push_to_edge(corners, rng, size)
        lo, hi = corners.min(axis=0), corners.max(axis=0)
        inside = lo.min() >= 4 and hi[0] <= w - 4 and hi[1] <= h - 4
        if c.at_edge or inside:
            return corners
    raise ValueError(f"{c.name}: the document does not fit the frame")


def _push_to_edge(corners: np.ndarray, rng: np.random.Generator, size) -> np.ndarray:
    """Slide the document until one side touches the frame edge or runs a little past it."""
    w, h = size
    side = int(rng.integers(0, 4))
    overshoot = rng.uniform(-0.004, 0.03) * min(w, h)
    shift = np.zeros(2, np.float32)
    if side == 0:
        shift[0] = -corners[:, 0].min() - overshoot
    elif side == 1:
        shift[0] = w - corners[:, 0].max() + overshoot
    elif side == 2:
        shift[1] = -corners[:, 1].min() - overshoot
    else:
        shift[1] = h - corners[:, 1].max() + overshoot
    return corners + shift


def _disturb(
    c: Category, rng: np.random.Generator, frame: np.ndarray, corners: np.ndarray, px_per_mm: float
) -> None:
    if c.shadow:
        sim.shade(frame, rng, darkest=rng.uniform(0.45, 0.65))
    for _ in range(int(rng.integers(1, c.fingers + 1)) if c.fingers else 0):
        i = int(rng.integers(0, 4))
        a, b = corners[i], corners[(i + 1) % 4]
        t = rng.uniform(0.12, 0.88)
        edge = b - a
        inward = np.array([edge[1], -edge[0]]) / np.linalg.norm(edge)  # corners run clockwise
        if np.dot(inward, corners.mean(axis=0) - a) < 0:
            inward = -inward
        tip = a + t * edge + inward * rng.uniform(15, 60) * px_per_mm
        angle = np.degrees(np.arctan2(inward[1], inward[0])) + rng.uniform(-35, 35)
        sim.finger(frame, tuple(tip), float(angle), rng.uniform(15, 20) * px_per_mm)
    if c.glare:
        t = rng.uniform(0.15, 0.85, 2)
        top = corners[0] + t[0] * (corners[1] - corners[0])
        bottom = corners[3] + t[0] * (corners[2] - corners[3])
        centre = top + t[1] * (bottom - top)
        sim.glare(frame, tuple(centre), rng.uniform(8, 25) * px_per_mm, on=corners)


# --- scoring ---


def jaccard(found: np.ndarray | None, truth: np.ndarray, frame_shape: tuple[int, ...]) -> float:
    """Intersection over union of two convex quadrilaterals, both clipped to the frame."""
    if found is None:
        return 0.0
    h, w = frame_shape[:2]
    view = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)

    def visible(quad: np.ndarray) -> tuple[float, np.ndarray]:
        area, poly = cv2.intersectConvexConvex(cv2.convexHull(quad.astype(np.float32)), view)
        return area, poly

    a_area, a_poly = visible(found)
    b_area, b_poly = visible(truth)
    if a_area <= 0 or b_area <= 0:
        return 0.0
    inter, _ = cv2.intersectConvexConvex(a_poly, b_poly)
    return float(inter / (a_area + b_area - inter))


Detector = Callable[[np.ndarray], np.ndarray | None]


def sample_set(
    seeds: Iterable[int], scale: float = 1.0, categories: Iterable[str] = CATEGORIES
) -> list[Sample]:
    return [sample(name, seed, scale) for name in categories for seed in seeds]


def score(detector: Detector, samples: list[Sample]) -> dict[str, dict[str, float]]:
    """Mean and worst Jaccard index and median time per frame (ms), per category."""
    by_category: dict[str, list[tuple[float, float]]] = {}
    for s in samples:
        start = time.perf_counter()
        found = detector(s.frame)
        elapsed = time.perf_counter() - start
        by_category.setdefault(s.category, []).append((jaccard(found, s.corners, s.frame.shape), elapsed))
    return {
        name: {
            "jaccard": float(np.mean([j for j, _ in rows])),
            "worst": float(np.min([j for j, _ in rows])),
            "ms": 1000 * float(np.median([t for _, t in rows])),
        }
        for name, rows in by_category.items()
    }


def main() -> None:
    from kiosk.imaging import detect
    from tests.imaging import textbook

    parser = argparse.ArgumentParser(description="score page detectors on the labelled synthetic set")
    parser.add_argument("--seeds", type=int, default=20, help="frames per category (scoring seeds only)")
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    samples = sample_set(range(SCORING_SEED, SCORING_SEED + args.seeds), args.scale)
    ours = score(detect.find_page, samples)
    base = score(textbook.find_page, samples)
    print("| Category | textbook JI | ours JI | ours worst | textbook ms | ours ms |")
    print("|---|---|---|---|---|---|")
    for name in CATEGORIES:
        b, o = base[name], ours[name]
        print(
            f"| {name} | {b['jaccard']:.3f} | {o['jaccard']:.3f} | {o['worst']:.3f} | {b['ms']:.0f} | {o['ms']:.0f} |"
        )
    overall_b = np.mean([v["jaccard"] for v in base.values()])
    overall_o = np.mean([v["jaccard"] for v in ours.values()])
    print(f"| **overall** | {overall_b:.3f} | {overall_o:.3f} | | | |")


if __name__ == "__main__":
    main()

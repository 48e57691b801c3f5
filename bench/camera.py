"""Document camera: detection accuracy (ours and the textbook detector on the same frames, per
category of the labelled synthetic set) and the time of the preview step, the 13 MP capture and the
receipt QR read. `python -m bench.camera [--seeds N]`; `make bench` runs it with the defaults.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import cv2
import numpy as np

from kiosk.devices.camera import Frame
from kiosk.imaging import detect, pages
from kiosk.imaging.codes import read_codes
from kiosk.imaging.preview import PageFinder
from kiosk.sim import camera as sim
from tests.imaging import textbook
from tests.imaging.synthetic import CATEGORIES, SCORING_SEED, sample_set, score

PREVIEW = (1040, 780)  # a 13 MP MJPG frame decoded at a quarter
SEARCH_SEEDS = 3  # frames per category timed in a full search


def _median_ms(job, runs: int = 7) -> float:
    job()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        job()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def accuracy(seeds: int) -> None:
    samples = sample_set(range(SCORING_SEED, SCORING_SEED + seeds))
    ours, base = score(detect.find_page, samples), score(textbook.find_page, samples)
    print(f"Jaccard index on {seeds} unseen 13 MP frames per category (mean; worst for ours):")
    print("| Category | textbook | ours | ours worst |")
    print("|---|---|---|---|")
    for name in CATEGORIES:
        print(
            f"| {name} | {base[name]['jaccard']:.3f} | {ours[name]['jaccard']:.3f} | {ours[name]['worst']:.3f} |"
        )
    overall = [np.mean([row["jaccard"] for row in table.values()]) for table in (base, ours)]
    print(f"| overall | {overall[0]:.3f} | {overall[1]:.3f} | |")


def timing() -> None:
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    samples = sample_set(range(SCORING_SEED, SCORING_SEED + SEARCH_SEEDS), 1.0)
    previews = [cv2.resize(s.frame, PREVIEW, interpolation=cv2.INTER_AREA) for s in samples]
    print(f"preview, one full search of a {PREVIEW[0]}x{PREVIEW[1]} frame, ms (median of 5 runs per frame):")
    print("| Category | ours, median | ours, slowest frame | textbook, median |")
    print("|---|---|---|---|")
    searches: dict[str, list[float]] = {"textbook": [], "ours": []}
    for f in previews:  # both detectors on a frame one after the other: the same load for both
        for name, fn in (("textbook", textbook.find_page), ("ours", detect.detect)):
            searches[name].append(_median_ms(lambda f=f, fn=fn: fn(f), 5))
    per_category = {
        name: {c: [t for t, s in zip(times, samples, strict=True) if s.category == c] for c in CATEGORIES}
        for name, times in searches.items()
    }
    for c in CATEGORIES:
        ours, base = per_category["ours"][c], per_category["textbook"][c]
        print(f"| {c} | {statistics.median(ours):.1f} | {max(ours):.1f} | {statistics.median(base):.1f} |")
    medians = {name: [statistics.median(t) for t in table.values()] for name, table in per_category.items()}
    print(
        f"| median over categories | {statistics.median(medians['ours']):.1f} | {max(searches['ours']):.1f} "
        f"| {statistics.median(medians['textbook']):.1f} |"
    )
    steps = _preview_session(previews[::SEARCH_SEEDS])
    for kind in ("search", "track", "idle"):
        print(
            f"preview step, {kind}: median {statistics.median(steps[kind]):.1f} ms over {len(steps[kind])} frames"
        )
    every = [t for times in steps.values() for t in times]
    print(
        f"preview step, every frame of the session: median {statistics.median(every):.1f} ms, worst {max(every):.1f} ms"
    )

    page, size_mm = sim.document("certificate", 0)
    frame = sim.mat("grey", np.random.default_rng(1))
    sim.lay(frame, page, sim.corners_for(size_mm, 4))
    jpeg = cv2.imencode(".jpg", sim.camera_model(frame), [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes()

    seen = detect.detect(Frame(jpeg).decode(4))
    assert seen is not None
    near = (seen.corners, PREVIEW[0])  # where the live preview last saw the page

    def capture() -> None:
        result = pages.capture(Frame(jpeg).decode(), size_mm, near=near)
        assert result is not None
        pages.encode_jpeg(pages.document_look(result.image), result.dpi)

    def correct_only(near=None) -> None:  # the goal: decode, detect, correct, encode
        frame = Frame(jpeg).decode()
        found = pages.locate(frame, near)
        assert found is not None
        pages.encode_jpeg(pages.correct(frame, found.corners, size_mm).image, 300)

    print(
        f"capture of a 13 MP MJPG frame, decode + detect + correct + encode: {_median_ms(correct_only, 5):.0f} ms "
        f"with a full search, {_median_ms(lambda: correct_only(near), 5):.0f} ms following the preview's outline"
    )
    print(
        f"capture of a 13 MP MJPG frame, all of it (also upright, checks, photocopy): {_median_ms(capture, 5):.0f} ms"
    )
    receipt, size_mm = sim.document("receipt", 0)
    frame = sim.mat("dark", np.random.default_rng(2))
    sim.lay(frame, receipt, sim.corners_for(size_mm, 25))
    frame = sim.camera_model(frame)
    assert read_codes(frame, qr_only=True)
    print(
        f"receipt QR in a full 13 MP frame (zxing-cpp, QR only): {_median_ms(lambda: read_codes(frame, qr_only=True)):.1f} ms"
    )


def _preview_session(previews: list[np.ndarray]) -> dict[str, list[float]]:
    """Per-frame times of the preview's page finder over a session: for each frame of the set, an
    idle empty mat (a few frames), the page laid on it (one search), the page lying still (followed)."""
    empty = cv2.resize(
        sim.camera_model(sim.mat("grey", np.random.default_rng(5))), PREVIEW, interpolation=cv2.INTER_AREA
    )
    steps: dict[str, list[float]] = {"search": [], "track": [], "idle": []}
    finder = PageFinder()
    for frame in previews:
        for view in [empty] * 6 + [frame] * 12:
            start = time.perf_counter()
            found = finder.find(view)
            elapsed = 1000 * (time.perf_counter() - start)
            steps["search" if finder.searched else "track" if found else "idle"].append(elapsed)
    return steps


def main(seeds: int = 20) -> None:
    accuracy(seeds)
    timing()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20, help="frames per category")
    main(parser.parse_args().seeds)

"""Seal and open throughput of bundles in both suites (20 MB and 200 MB) with peak memory.

Each measurement runs in a fresh process so that its peak RSS is its own; the payload is random
bytes in one file on disk, as a folder of scans would be.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

SIZES_MB = (20, 200)
SUITES = ("modern", "gm")


def measure(suite_name: str, source: Path, work: Path) -> dict[str, float]:
    """In this process: seal then open one bundle; times and peak RSS."""
    from kiosk import bundle, keys

    suite = keys.suite_named(suite_name)
    device = keys.create_device_key(work / "k", suite)
    township = keys.create_township_key(work / "t", suite)
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    bundle.seal(
        sources=bundle.from_folder(source), manifest={}, bundle_id=uuid.uuid4().hex, kiosk_id="BENCH",
        service_code="bench", device_key=device, recipient=township.public, out=work / "b.kskb",
    )  # fmt: skip
    sealed = time.perf_counter() - start
    start = time.perf_counter()
    bundle.open_to_folder(work / "b.kskb", township, lambda kiosk_id: device.public, work / "out")
    opened = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "seal_s": sealed,
        "open_s": opened,
        "peak_rss_mb": peak / 1024,
        "growth_mb": (peak - baseline) / 1024,
    }


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-bundle-") as tmp:
        root = Path(tmp)
        for size in SIZES_MB:
            source = root / f"src-{size}"
            source.mkdir()
            with (source / "scans.bin").open("wb") as f:
                for _ in range(size):
                    f.write(os.urandom(1024 * 1024))
            for suite in SUITES:
                work = root / f"{suite}-{size}"
                work.mkdir()
                run = subprocess.run(
                    [sys.executable, "-m", "bench.bundle", suite, str(source), str(work)],
                    capture_output=True, text=True, check=True,
                )  # fmt: skip
                figures = json.loads(run.stdout)
                print(
                    f"{suite:6} {size:4} MB: seal {size / figures['seal_s']:6.1f} MB/s, "
                    f"open {size / figures['open_s']:6.1f} MB/s, peak RSS {figures['peak_rss_mb']:.0f} MB "
                    f"(+{figures['growth_mb']:.0f} MB while sealing and opening)"
                )


if __name__ == "__main__":
    if len(sys.argv) == 4:
        print(json.dumps(measure(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]))))
    else:
        main()

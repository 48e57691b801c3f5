"""Time of one headless resident transaction on simulated devices (the ID-card read has its own
figures in bench/idcard.py)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from kiosk.demo import DemoRig, run_headless


def transaction() -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp, DemoRig(Path(tmp)) as rig:
        start = time.perf_counter()
        run_headless(rig)
        return {"transaction_s": time.perf_counter() - start}


def main() -> None:
    print(
        f"headless transaction (2 pages, signature, receipt, delivery): {transaction()['transaction_s']:.1f} s"
    )


if __name__ == "__main__":
    main()

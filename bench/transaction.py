"""Time of one headless resident transaction on simulated devices, and of a full ID-card read
against the simulator at 115200 baud next to the wire time of the bytes exchanged."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from kiosk.demo import DemoRig, run_headless
from kiosk.devices.idcard import IdCardReader
from kiosk.sim import people
from kiosk.sim.idcard import IdCardSimulator

RUNS = 5


def idcard_read() -> dict[str, float]:
    with IdCardSimulator() as sim, IdCardReader(sim.port) as reader:
        times, wire = [], []
        for _ in range(RUNS):
            sim.lift()
            sim.place(people.resident())
            before = sim.bytes_received + sim.bytes_sent
            start = time.perf_counter()
            reader.read_card()
            times.append(time.perf_counter() - start)
            wire.append((sim.bytes_received + sim.bytes_sent - before) * 10 / 115200)
    return {"read_ms": statistics.median(times) * 1000, "wire_ms": statistics.median(wire) * 1000}


def transaction() -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp, DemoRig(Path(tmp)) as rig:
        start = time.perf_counter()
        run_headless(rig)
        return {"transaction_s": time.perf_counter() - start}


def main() -> None:
    read = idcard_read()
    print(
        f"ID-card read (find+select+read, 115200 baud): {read['read_ms']:.0f} ms; wire time {read['wire_ms']:.0f} ms"
    )
    print(
        f"headless transaction (2 pages, signature, receipt, delivery): {transaction()['transaction_s']:.1f} s"
    )


if __name__ == "__main__":
    main()

"""ID-card reader figures against the simulator: a full read (find, select, read) next to the wire time
of the bytes exchanged in both directions, and the CPU the kiosk spends polling with no card there."""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace

from kiosk import config as config_module
from kiosk.devices.idcard import IdCardReader
from kiosk.devices.idcard.codec import wire_seconds
from kiosk.flow.bus import EventBus
from kiosk.flow.devices import DeviceService
from kiosk.sim import people
from kiosk.sim.idcard import IdCardSimulator

BAUD = 115200
RUNS = 10
POLL_SECONDS = 20.0


def full_read(templates: int) -> dict[str, float]:
    """Median of RUNS reads of a card holding `templates` fingerprint templates (0: `30 01`)."""
    card = replace(people.resident(), fingerprints=templates)
    with IdCardSimulator(BAUD) as sim, IdCardReader(sim.port, BAUD) as reader:
        times, wire = [], []
        for _ in range(RUNS):
            sim.lift()
            sim.place(card)
            before = sim.bytes_received + sim.bytes_sent
            start = time.perf_counter()
            reader.read_card(fingerprints=templates > 0)
            times.append(time.perf_counter() - start)
            wire.append(wire_seconds(sim.bytes_received + sim.bytes_sent - before, BAUD))
        frame = sim.answer_sizes[-1]
    read_ms, wire_ms = statistics.median(times) * 1000, statistics.median(wire) * 1000
    return {"frame": frame, "read_ms": read_ms, "wire_ms": wire_ms, "over_pct": 100 * (read_ms / wire_ms - 1)}


def polling_cpu() -> dict[str, float]:
    """CPU of the kiosk process while the device service polls for a card that never comes. The
    simulator runs in its own process so that its work is not counted."""
    with tempfile.TemporaryDirectory() as tmp:
        sim = subprocess.Popen(
            [sys.executable, "-m", "kiosk", "sim", "idcard", "--link", f"{tmp}/idcard"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            sim.stdout.readline()  # "port: …": the link is in place
            config = config_module.with_overrides(
                config_module.Config(),
                {
                    "devices.idcard.port": f"{tmp}/idcard",
                    "devices.sigpad.port": "",
                    "devices.camera.source": tmp,
                },
            )
            service = DeviceService(config.devices, EventBus())
            service.watch_cards(True)
            worker = service.workers["idcard"]  # only the poller runs: its cost is the figure
            worker.start()
            time.sleep(1.0)
            thread_clock = time.pthread_getcpuclockid(worker.thread.ident)
            wall, cpu, thread_cpu = time.monotonic(), time.process_time(), time.clock_gettime(thread_clock)
            time.sleep(POLL_SECONDS)
            wall = time.monotonic() - wall
            result = {
                "process_pct": 100 * (time.process_time() - cpu) / wall,
                "thread_pct": 100 * (time.clock_gettime(thread_clock) - thread_cpu) / wall,
                "polls_per_s": 1 / config.devices.idcard.poll_interval_s,
            }
            worker.stop()
            service.idcard.close()
            health = service.health.get("idcard")
            if health is None or not health.ok:
                raise RuntimeError(f"the poller did not talk to the simulator: {health}")
        finally:
            sim.stdin.close()
            sim.terminate()
            sim.wait(timeout=10)
    return result


def main() -> None:
    for templates in (0, 2):
        r = full_read(templates)
        print(
            f"ID-card full read, {r['frame']:.0f}-byte answer, {BAUD} baud: {r['read_ms']:.0f} ms; "
            f"wire time both ways {r['wire_ms']:.0f} ms ({r['over_pct']:+.1f} %; goal within 15 %)"
        )
    cpu = polling_cpu()
    print(
        f"ID-card polling with no card ({cpu['polls_per_s']:.1f} finds/s): kiosk process {cpu['process_pct']:.2f} % "
        f"of one core, poller thread {cpu['thread_pct']:.2f} % (goal under 1 %)"
    )


if __name__ == "__main__":
    main()

"""Receipt printing against the simulator at 115200 baud, from "print" to the last byte on the wire,
next to the wire time of the bytes exchanged; and the build time of a 10-page application form."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from kiosk import catalog, form_pdf, receipts
from kiosk.devices.printer import ReceiptPrinter
from kiosk.session_store import SessionStore
from kiosk.sim.application import synthetic_application
from kiosk.sim.printer import PrinterSimulator
from kiosk.sim.pty import BITS_PER_BYTE

BAUD = 115200
RECEIPT = receipts.receipt_data(
    case_number="000126112800019",
    service_name="高龄津贴申领",
    applicant_name="王建国",
    id_number="52273119560301003X",
    materials=[{"name": "户口簿", "pages": 2}, {"name": "本人社会保障卡或银行卡（存折）", "pages": 1}],
    owed_materials=["近期免冠彩色照片（一寸）"],
    promised_days=30,
    status_url="http://127.0.0.1:8787/status/000126112800019",
    terminal_name="示例村便民服务站自助终端",
    hotline="12345",
    submitted_at="2026-11-28T09:30:00+08:00",
    terminal_location="示例县示例镇示例村村民委员会",
)


def receipt_timing(runs: int = 5) -> dict[str, float]:
    """Median over `runs` of print → last byte received, and the wire time of every byte exchanged
    in that time (status requests and replies included)."""
    ops = receipts.acceptance_receipt_ops(RECEIPT)
    times, wires, sizes = [], [], []
    with PrinterSimulator(BAUD) as sim, ReceiptPrinter(sim.port, BAUD) as printer:
        printer.status()  # open and settle the line first
        for _ in range(runs):
            received, sent = sim.bytes_received, sim.bytes_sent
            start = time.monotonic()
            result = printer.print_ops(ops)
            times.append(sim.last_byte_at - start)
            exchanged = sim.bytes_received - received + sim.bytes_sent - sent
            wires.append(exchanged * BITS_PER_BYTE / BAUD)
            sizes.append(result.bytes_sent)
    return {
        "print_to_last_byte_ms": statistics.median(times) * 1000,
        "wire_ms": statistics.median(wires) * 1000,
        "job_bytes": statistics.median(sizes),
    }


def form_timing(pages: int = 10, runs: int = 3) -> dict[str, float]:
    """The form PDF for an application with `pages` scanned pages: the first build in a process
    (font and validator loading) and the median of the next `runs`."""
    service = catalog.load().get("senior-age-allowance")
    with tempfile.TemporaryDirectory() as tmp:
        store = SessionStore(Path(tmp))
        application = synthetic_application(store, service, pages=pages)
        builds = []
        for _ in range(runs + 1):
            start = time.perf_counter()
            document = form_pdf.build(application, service, store, form_pdf.Terminal("示例村便民服务站", ""))
            builds.append(time.perf_counter() - start)
    return {"first_s": builds[0], "warm_s": statistics.median(builds[1:]), "mb": len(document) / 1e6}


def main() -> None:
    receipt = receipt_timing()
    ratio = receipt["print_to_last_byte_ms"] / receipt["wire_ms"]
    print(
        f"receipt at {BAUD} baud ({receipt['job_bytes']:.0f} bytes): print → last byte "
        f"{receipt['print_to_last_byte_ms']:.1f} ms; wire time {receipt['wire_ms']:.1f} ms; "
        f"ratio {ratio:.3f} (goal ≤ 1.10)"
    )
    form = form_timing()
    print(
        f"application form PDF/A-2b, 10 scanned pages: first build {form['first_s']:.2f} s, "
        f"then {form['warm_s']:.2f} s ({form['mb']:.1f} MB)"
    )


if __name__ == "__main__":
    main()

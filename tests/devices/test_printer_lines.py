"""The printer's lines: serial with and without a handshake (the simulator's buffer overruns like a
real one's), the USB printer class and TCP 9100, each carrying a whole receipt."""

import time
from pathlib import Path

import pytest

from kiosk import receipts
from kiosk.devices import printer
from kiosk.sim.printer import NetworkPrinterSimulator, PrinterSimulator

RECEIPT = receipts.receipt_data(
    case_number="000126112800035",
    service_name="残疾人两项补贴申请",
    applicant_name="欧阳秀英",
    id_number="110105194912310021",
    materials=[{"name": "残疾人证", "pages": 1}],
    owed_materials=[],
    promised_days=20,
    status_url="http://127.0.0.1:8787/status/000126112800035",
    terminal_name="示例村便民服务站自助终端",
    hotline="12345",
    submitted_at="2026-11-28T20:15:00+08:00",
)
RULERS = [receipts.Picture(receipts.ruler(576)) for _ in range(4)] + [receipts.Cut()]  # 14 kB of raster


def wait_for_receipt(sim, count=1, timeout=15):
    deadline = time.monotonic() + timeout
    while len(sim.receipts) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    return sim.receipts[count - 1] if len(sim.receipts) >= count else None


def unpaced_profile(tmp_path: Path) -> str:
    """The generic profile with raster pacing off, to show what a handshake alone does."""
    source = (Path(printer.__file__).parent / "profiles" / "generic-80mm.toml").read_text(encoding="utf-8")
    path = tmp_path / "unpaced.toml"
    path.write_text(source.replace("raster_bytes_per_s = 6000", "raster_bytes_per_s = 0"), encoding="utf-8")
    return str(path)


def slow_printer(handshake: str) -> PrinterSimulator:
    """Prints 8 kB/s into a 2 kB buffer: slower than 115200 baud delivers raster data."""
    return PrinterSimulator(handshake=handshake, buffer_size=2048, print_bytes_per_s=8000)


def test_without_a_handshake_a_long_image_overruns_the_buffer(tmp_path):
    unpaced = unpaced_profile(tmp_path)
    with (
        slow_printer("xonxoff") as sim,
        printer.ReceiptPrinter(sim.port, profile=unpaced, finish_timeout=2) as device,
        pytest.raises(printer.PrinterError),
    ):
        device.print_ops(RULERS)
    assert sim.overrun_bytes > 0


@pytest.mark.parametrize("handshake", ["xonxoff", "rtscts"])
def test_a_handshake_the_host_honours_keeps_every_byte(tmp_path, handshake):
    with (
        slow_printer(handshake) as sim,
        printer.ReceiptPrinter(sim.port, profile=unpaced_profile(tmp_path), flow_control=handshake) as device,
    ):
        device.print_ops(RULERS)
        printed = wait_for_receipt(sim)
    assert sim.overrun_bytes == 0
    assert len(printed.images) == 4 and all(image.size == (576, 48) for image in printed.images)


def test_paced_raster_writes_keep_every_byte_without_a_handshake():
    with slow_printer("none") as sim, printer.ReceiptPrinter(sim.port) as device:
        device.print_ops(RULERS)
        printed = wait_for_receipt(sim)
    assert sim.overrun_bytes == 0 and len(printed.images) == 4


def test_a_usb_printer_class_device_prints_the_receipt():
    with PrinterSimulator() as sim, printer.ReceiptPrinter(f"usblp:{sim.port}", finish_timeout=3) as device:
        assert device.status().ready
        device.print_ops(receipts.acceptance_receipt_ops(RECEIPT))
        printed = wait_for_receipt(sim)
    assert "申请人：欧**英（证件尾号 0021）" in printed.text
    assert printed.qr_codes == [RECEIPT["status_url"]]


def test_a_network_printer_on_port_9100_prints_the_receipt_and_reports_paper_out():
    with NetworkPrinterSimulator() as sim, printer.ReceiptPrinter(sim.port, finish_timeout=3) as device:
        device.print_ops(receipts.acceptance_receipt_ops(RECEIPT))
        printed = wait_for_receipt(sim)
        sim.paper_out = True
        with pytest.raises(printer.PrinterError) as caught:
            device.print_ops(receipts.acceptance_receipt_ops(RECEIPT))
    assert "受理编号：000126112800035" in printed.text
    assert caught.value.code == "PRINTER_PAPER_OUT"


def test_probe_finds_a_printer_on_every_line():
    with PrinterSimulator() as pty_sim, NetworkPrinterSimulator() as tcp_sim:
        assert printer.probe(pty_sim.port, timeout=0.5)
        assert printer.probe(f"usblp:{pty_sim.port}", timeout=0.5)
        assert printer.probe(tcp_sim.port, timeout=0.5)

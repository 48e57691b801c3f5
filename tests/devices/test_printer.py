"""The ESC/POS driver against the printer simulator on a pty: what goes in comes out, Chinese intact."""

import time

import numpy as np
import pytest
from PIL import Image
from pyzbar import pyzbar

from kiosk import receipts
from kiosk.devices import printer
from kiosk.errors import PrinterError
from kiosk.sim.printer import PrinterSimulator

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
)


@pytest.fixture
def sim(tmp_path):
    with PrinterSimulator(output_dir=tmp_path) as device:
        yield device


@pytest.fixture
def device(sim):
    with printer.ReceiptPrinter(sim.port, status_timeout=0.3) as p:
        yield p


def wait_for_receipt(sim, count=1):
    deadline = time.monotonic() + 5
    while len(sim.receipts) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    return sim.receipts[count - 1]


def test_gb18030_bytes_for_chinese_punctuation_and_yuan():
    assert printer.gb18030_bytes("办事回执", False) == bytes.fromhex("B0ECCAC2BBD8D6B4")
    assert printer.gb18030_bytes("：￥", False) == bytes.fromhex("A3BAA3A4")
    assert printer.gb18030_bytes("㐀", False) is None  # 4-byte code: printed as an image instead


def test_receipt_text_survives_the_wire_exactly(sim, device):
    ops = receipts.acceptance_receipt_ops(RECEIPT)
    device.print_ops(ops)
    printed = wait_for_receipt(sim)
    sent = [op.text for op in ops if isinstance(op, receipts.Text)]
    got = [line.text for line in printed.lines if line.text]
    assert got == sent
    assert "申请人：王*国（证件尾号 003X）" in printed.text
    assert "52273119560301003X" not in printed.text and "王建国" not in printed.text


def test_receipt_qr_code_decodes_to_the_status_url(sim, device):
    device.print_ops(receipts.acceptance_receipt_ops(RECEIPT))
    printed = wait_for_receipt(sim)
    assert printed.qr_codes == [RECEIPT["status_url"]]
    image = Image.open(printed.png)
    decoded = [d.data.decode() for d in pyzbar.decode(np.asarray(image.convert("L")))]
    assert decoded == [RECEIPT["status_url"]]


def test_rare_character_line_goes_out_as_a_raster_image(sim, device):
    device.print_ops([receipts.Text("姓名：㐀明"), receipts.Cut()])
    printed = wait_for_receipt(sim)
    assert any(line.image is not None for line in printed.lines)
    assert "?" not in printed.text


@pytest.mark.parametrize(
    ("fault", "code"),
    [
        ("paper_out", "PRINTER_PAPER_OUT"),
        ("cover_open", "PRINTER_COVER_OPEN"),
        ("offline", "PRINTER_OFFLINE"),
    ],
)
def test_printing_is_refused_with_the_reason_and_nothing_printed(sim, device, fault, code):
    setattr(sim, fault, True)
    with pytest.raises(PrinterError) as caught:
        device.print_ops(receipts.acceptance_receipt_ops(RECEIPT))
    assert caught.value.code == code
    time.sleep(0.2)
    assert sim.receipts == []


def test_a_silent_printer_is_unknown_never_ok(sim, device):
    sim.silent = True
    status = device.status()
    assert not status.known and not status.ready
    with pytest.raises(PrinterError) as caught:
        device.print_ops([receipts.Text("x")])
    assert caught.value.code == "PRINTER_STATUS_UNKNOWN"


def test_paper_near_end_is_reported_but_still_prints(sim, device):
    sim.paper_near_end = True
    status = device.status()
    assert status.paper_near_end and status.ready


@pytest.mark.parametrize(
    ("replies", "flag"),
    [
        ({1: 0x1A, 2: 0x12, 3: 0x12, 4: 0x12}, "offline"),
        ({1: 0x12, 2: 0x16, 3: 0x12, 4: 0x12}, "cover_open"),
        ({1: 0x12, 2: 0x12, 3: 0x12, 4: 0x72}, "paper_out"),
        ({1: 0x12, 2: 0x12, 3: 0x1A, 4: 0x12}, "cutter_error"),
    ],
)
def test_status_bytes_decode_as_the_manuals_say(replies, flag):
    assert getattr(printer.parse_status(replies), flag)


def test_a_byte_that_is_not_a_status_reply_makes_the_status_unknown():
    assert not printer.parse_status({1: 0x12, 2: 0x12, 3: 0x12, 4: 0xFF}).known

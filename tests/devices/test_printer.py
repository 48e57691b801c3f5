"""The ESC/POS driver against the printer simulator on a pty: every template comes out as it went in,
Chinese, punctuation and ￥ intact; the QR codes decode; faults refuse printing and keep the receipt."""

import dataclasses
import time
from datetime import datetime

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from pyzbar import pyzbar

from kiosk import catalog, receipts
from kiosk.devices import printer
from kiosk.errors import PrinterError
from kiosk.sim.printer import EscPosDecoder, PrinterSimulator

RECEIPT_JSON = {
    "case_number": "000126112800019",
    "service_name": "高龄津贴申领",
    "applicant_name": "王建国",
    "id_number": "52273119560301003X",
    "materials": [{"name": "户口簿", "pages": 2}, {"name": "本人社会保障卡或银行卡（存折）", "pages": 1}],
    "owed_materials": ["近期免冠彩色照片（一寸）"],
    "promised_days": 30,
    "status_url": "http://127.0.0.1:8787/status/000126112800019",
    "terminal_name": "示例村便民服务站自助终端",
    "hotline": "0854-12345",
    "submitted_at": "2026-11-28T09:30:00+08:00",
}
RECEIPT = receipts.check_receipt_json(RECEIPT_JSON, "test")
PAGE = receipts.Page()


def notice_ops():
    service = catalog.load().get("senior-age-allowance")
    service = dataclasses.replace(service, fee="工本费￥10.00元（持低保证免收）")
    data = receipts.notice_data(service, "示例村便民服务站", "12345", missing=["photo"])
    return receipts.notice_ops(data, PAGE)


def agent_list_ops():
    cases = [
        {
            "case_number": "000126112800019",
            "service_name": "高龄津贴申领",
            "masked_name": "王*国",
            "submitted_at": "2026-11-28T09:30:00+08:00",
            "state": "returned",
        },
        {
            "case_number": "000126112800027",
            "service_name": "城乡居民基本养老保险参保登记",
            "masked_name": "欧阳*华",
            "submitted_at": "2026-11-28T10:05:00+08:00",
            "state": "delivered",
        },
    ]
    return receipts.agent_list_ops(receipts.agent_list_data("李秀英", "示例村便民服务站", cases), PAGE)


def technician_page_ops():
    data = receipts.test_page_data(
        "通用80毫米热敏打印机", "/dev/ttyUSB0", "KIOSK-0001", PAGE, datetime(2026, 11, 28)
    )
    return receipts.test_page_ops(data, PAGE)


TEMPLATES = {
    "acceptance_receipt": lambda: receipts.acceptance_receipt_ops(RECEIPT, PAGE),
    "one_time_notice": notice_ops,
    "agent_daily_list": agent_list_ops,
    "test_page": technician_page_ops,
}


@pytest.fixture
def sim(tmp_path):
    with PrinterSimulator(output_dir=tmp_path) as device:
        yield device


@pytest.fixture
def device(sim):
    with printer.ReceiptPrinter(sim.port, status_timeout=0.5, finish_timeout=3) as p:
        yield p


def wait_for_receipt(sim, count=1):
    deadline = time.monotonic() + 10
    while len(sim.receipts) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    return sim.receipts[count - 1]


def text_lines(ops, charset="gbk"):
    """The lines the printer's own font prints (the others go out as raster images)."""
    return [
        op.text
        for op in ops
        if isinstance(op, receipts.Text) and printer.gb18030_bytes(op.text, charset) is not None
    ]


def decoded_qr(png_path):
    image = np.asarray(Image.open(png_path).convert("L"))
    return [d.data.decode() for d in pyzbar.decode(image)]


# --- encoding ----------------------------------------------------------------------------------


def test_gb18030_bytes_for_chinese_punctuation_and_yuan():
    assert printer.gb18030_bytes("办事回执") == bytes.fromhex("B0ECCAC2BBD8D6B4")
    assert printer.gb18030_bytes("：￥") == bytes.fromhex("A3BAA3A4")


def test_characters_outside_the_printers_font_need_the_raster_path():
    assert printer.gb18030_bytes("㐀", "gbk") is None  # 4-byte code
    assert printer.gb18030_bytes("㐀", "gb18030") == bytes.fromhex("8139EE39")
    assert printer.gb18030_bytes("朱镕基", "gb2312") is None  # 镕 is GBK, not GB2312
    assert printer.gb18030_bytes("朱镕基", "gbk") is not None


def test_punctuation_never_begins_or_ends_a_line_wrongly():
    assert receipts.wrap("一二三四五）", 10) == ["一二三四", "五）"]  # no ） at a line's start
    assert receipts.wrap("一二三（四）", 10) == ["一二三", "（四）"]  # no （ at a line's end


def test_receipt_data_masks_the_name_and_keeps_four_digits():
    assert RECEIPT["applicant_name"] == "王*国"
    assert RECEIPT["id_number"] == "003X"


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"promised_days": "30"}, "promised_days"),
        ({"materials": [{"name": "户口簿"}]}, "materials"),
        ({"submitted_at": "yesterday"}, "submitted_at"),
        ({"agent_name": "李四"}, "agent_name"),
    ],
)
def test_receipt_json_with_a_wrong_or_unknown_key_is_refused_by_name(change, key):
    with pytest.raises(Exception) as caught:
        receipts.check_receipt_json({**RECEIPT_JSON, **change}, "RECEIPT.json")
    assert caught.value.code == "RECEIPT_INVALID" and caught.value.params["key"] == key


# --- every template through the simulator ------------------------------------------------------


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_every_template_survives_the_wire_exactly(sim, device, name):
    ops = TEMPLATES[name]()
    device.print_ops(ops)
    printed = wait_for_receipt(sim)
    assert not printed.torn
    assert [line.text for line in printed.lines if line.text] == text_lines(ops)
    rasters = [op for op in ops if isinstance(op, receipts.Text) and op.text not in text_lines(ops)]
    assert len(printed.images) == len(rasters) + sum(isinstance(op, receipts.Picture) for op in ops)
    assert "?" not in printed.text.replace("？", "")


def test_the_receipt_shows_only_masked_identity_and_the_qr_decodes_to_the_status_url(sim, device):
    device.print_ops(receipts.acceptance_receipt_ops(RECEIPT, PAGE))
    printed = wait_for_receipt(sim)
    assert "申请人：王*国（证件尾号 003X）" in printed.text
    assert "52273119560301003X" not in printed.text and "王建国" not in printed.text
    assert "咨询电话：0854-12345" in printed.text
    assert printed.qr_codes == [RECEIPT["status_url"]]
    assert decoded_qr(printed.png) == [RECEIPT["status_url"]]


def test_notice_keeps_full_width_punctuation_and_the_yuan_sign(sim, device):
    device.print_ops(notice_ops())
    text = "".join(wait_for_receipt(sim).text.split())
    assert "收费：工本费￥10.00元（持低保证免收）" in text
    assert "4.近期免冠彩色照片（一寸）（视情况提供）（尚缺）原件1份" in text


def test_a_printer_without_native_qr_gets_a_raster_qr_that_decodes(tmp_path):
    with (
        PrinterSimulator(output_dir=tmp_path, width_dots=384) as sim,
        printer.ReceiptPrinter(sim.port, profile="generic-58mm", finish_timeout=3) as device,
    ):
        page = device.profile.page
        device.print_ops(receipts.acceptance_receipt_ops(RECEIPT, page))
        printed = wait_for_receipt(sim)
    assert printed.qr_codes == []  # no GS ( k on the wire
    assert decoded_qr(printed.png) == [RECEIPT["status_url"]]
    assert all(len(line.text) <= 32 for line in printed.lines)


def test_a_rare_character_line_is_printed_as_the_preview_draws_it(sim, device):
    op = receipts.Text("申请人：王䲜")
    device.print_ops([op, receipts.Cut()])
    printed = wait_for_receipt(sim)
    (image,) = printed.images
    expected = receipts.render_png([op]).point(lambda v: 0 if v < 128 else 255)
    difference = np.asarray(image.convert("L"), dtype=int) - np.asarray(expected, dtype=int)
    assert np.count_nonzero(difference) <= 2  # at most a dot cleared to break a real-time pattern
    assert np.count_nonzero(np.asarray(image.convert("L")) < 128) > 100


# --- faults ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "code"),
    [
        ("paper_out", "PRINTER_PAPER_OUT"),
        ("cover_open", "PRINTER_COVER_OPEN"),
        ("offline", "PRINTER_OFFLINE"),
        ("cutter_error", "PRINTER_CUTTER"),
    ],
)
def test_printing_is_refused_with_the_reason_and_nothing_printed(sim, device, fault, code):
    setattr(sim, fault, True)
    with pytest.raises(PrinterError) as caught:
        device.print_ops(receipts.acceptance_receipt_ops(RECEIPT, PAGE))
    assert caught.value.code == code
    assert caught.value.message("zh_CN") and caught.value.message("en")
    time.sleep(0.2)
    assert sim.receipts == [] and sim.transmit_requests == []


def test_a_silent_printer_is_unknown_never_ok(sim, device):
    sim.silent = True
    status = device.status()
    assert not status.known and not status.ready
    with pytest.raises(PrinterError) as caught:
        device.print_ops([receipts.Text("x")])
    assert caught.value.code == "PRINTER_STATUS_UNKNOWN"


def test_paper_near_end_is_reported_but_still_prints(sim, device):
    sim.paper_near_end = True
    assert device.status().paper_near_end and device.status().ready
    result = device.print_ops(receipts.acceptance_receipt_ops(RECEIPT, PAGE))
    assert result.paper_near_end
    assert not wait_for_receipt(sim).torn


def test_paper_running_out_mid_receipt_is_an_error_and_the_reprint_is_whole(sim, device):
    sim.paper_lines_left = 12
    ops = receipts.acceptance_receipt_ops(RECEIPT, PAGE)
    with pytest.raises(PrinterError) as caught:
        device.print_ops(ops)
    assert caught.value.code == "PRINTER_PAPER_OUT"
    torn = wait_for_receipt(sim)
    assert torn.torn and "受理编号：000126112800019" in torn.text and not torn.qr_codes

    sim.load_paper()
    device.print_ops(receipts.acceptance_receipt_ops(RECEIPT, PAGE, reprint=True))
    reprint = wait_for_receipt(sim, 2)
    assert not reprint.torn and "（补打）" in reprint.text
    assert reprint.qr_codes == [RECEIPT["status_url"]]


def test_a_jammed_cutter_is_reported(sim, device):
    sim.cutter_jams = True
    with pytest.raises(PrinterError) as caught:
        device.print_ops(receipts.acceptance_receipt_ops(RECEIPT, PAGE))
    assert caught.value.code == "PRINTER_CUTTER"


def test_a_stalled_printer_is_not_taken_for_ready(sim):
    with printer.ReceiptPrinter(sim.port, status_timeout=0.3, finish_timeout=0.5) as device:
        device.status()
        sim.stall(3)
        with pytest.raises(PrinterError) as caught:
            device.print_ops(receipts.acceptance_receipt_ops(RECEIPT, PAGE))
    assert caught.value.code == "PRINTER_STATUS_UNKNOWN"


# --- parsers under random input ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("replies", "flag"),
    [
        ({1: 0x1A, 2: 0x12, 3: 0x12, 4: 0x12}, "offline"),
        ({1: 0x12, 2: 0x16, 3: 0x12, 4: 0x12}, "cover_open"),
        ({1: 0x12, 2: 0x12, 3: 0x12, 4: 0x1E}, "paper_near_end"),
        ({1: 0x12, 2: 0x12, 3: 0x12, 4: 0x72}, "paper_out"),
        ({1: 0x12, 2: 0x32, 3: 0x12, 4: 0x12}, "paper_out"),
        ({1: 0x12, 2: 0x12, 3: 0x1A, 4: 0x12}, "cutter_error"),
    ],
)
def test_status_bytes_decode_as_the_manuals_say(replies, flag):
    assert getattr(printer.parse_status(replies), flag)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.integers(0, 6), st.integers(0, 255), max_size=6))
def test_status_is_known_only_from_four_well_formed_replies(replies):
    status = printer.parse_status(replies)
    well_formed = set(replies) == {1, 2, 3, 4} and all(b & 0x93 == 0x12 for b in replies.values())
    assert status.known is well_formed
    assert status.ready is (well_formed and status.error() is None)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 255))
def test_no_byte_is_both_a_status_reply_and_a_transmit_reply(b):
    assert not (printer.is_status_byte(b) and printer.is_transmit_status_byte(b))
    assert not printer.is_status_byte(0x11) and not printer.is_status_byte(0x13)  # XON, XOFF


printable_text = st.text(
    st.characters(
        min_codepoint=0x20, max_codepoint=0xFFFF, exclude_categories=("Cs", "Co", "Cn", "Zl", "Zp")
    ),
    max_size=30,
)


@settings(max_examples=150, deadline=None)
@given(st.lists(printable_text, min_size=1, max_size=4))
def test_any_text_decodes_back_to_itself_on_a_gb18030_printer(lines):
    profile = printer.PrinterProfile(name="t", charset="gb18030", transmit_status=False)
    ops = [receipts.Text(receipts.printable(line)) for line in lines] + [receipts.Cut()]
    job = b"".join(p.data for p in printer.EscPosEncoder(profile).encode(ops))
    decoder = EscPosDecoder()
    decoder.feed(job)
    (printed,) = decoder.receipts
    assert [line.text for line in printed.lines] == [op.text for op in ops[:-1]]


@settings(max_examples=60, deadline=None)
@given(st.binary(min_size=1, max_size=600), st.integers(1, 300))
def test_raster_data_never_carries_a_real_time_command(data, width):
    rows = max(1, len(data) // max(1, (width + 7) // 8))
    image = Image.frombytes("1", (width, rows), (data * (rows * width))[: ((width + 7) // 8) * rows])
    for command in printer.raster_commands(image, max_rows=64):
        body = command[8:]
        assert not any(body[i] == 0x10 and body[i + 1] in (0x04, 0x05, 0x14) for i in range(len(body) - 1))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=800))
def test_the_simulators_decoder_survives_junk(data):
    decoder = EscPosDecoder()
    for start in range(0, len(data), 97):
        decoder.feed(data[start : start + 97])
    assert len(decoder.buffer) <= len(data)

"""`kiosk devices print-test | print-receipt | sign` against the simulators: they work, and a missing,
silent or faulty device, or a bad RECEIPT.json, ends in one plain line, a non-zero exit and nothing printed."""

import base64
import json
import time

import pytest

from kiosk import signature
from kiosk.cli import main
from kiosk.sim.printer import PrinterSimulator
from kiosk.sim.sigpad import SignaturePadSimulator

RECEIPT_JSON = {
    "case_number": "000126112800043",
    "service_name": "城乡居民基本医疗保险参保登记",
    "applicant_name": "赵德明",
    "id_number": "522731195603010014",
    "materials": [{"name": "户口簿", "pages": 2}],
    "owed_materials": [],
    "promised_days": 5,
    "status_url": "http://127.0.0.1:8787/status/000126112800043",
    "terminal_name": "示例村便民服务站自助终端",
    "hotline": "12345",
    "submitted_at": "2026-11-28T21:40:00+08:00",
}


@pytest.fixture
def receipt_file(tmp_path):
    path = tmp_path / "RECEIPT.json"
    path.write_text(json.dumps(RECEIPT_JSON, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture
def sim(tmp_path):
    with PrinterSimulator(output_dir=tmp_path / "out") as device:
        yield device


def wait_for(sim, count=1):
    deadline = time.monotonic() + 10
    while len(sim.receipts) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    return sim.receipts


def test_print_receipt_prints_the_masked_receipt_and_a_preview(sim, receipt_file, tmp_path, capsys):
    preview = tmp_path / "preview.png"
    assert (
        main(
            [
                "devices",
                "print-receipt",
                "--port",
                sim.port,
                "--data",
                str(receipt_file),
                "--preview",
                str(preview),
            ]
        )
        == 0
    )
    (printed,) = wait_for(sim)
    assert "申请人：赵*明（证件尾号 0014）" in printed.text
    assert RECEIPT_JSON["id_number"] not in printed.text and "赵德明" not in printed.text
    assert "示例县示例镇示例村村民委员会" in printed.text  # the location comes from the configuration
    assert printed.qr_codes == [RECEIPT_JSON["status_url"]]
    assert preview.exists() and "已打印" in capsys.readouterr().out


def test_print_test_prints_the_test_page(sim, capsys):
    assert main(["devices", "print-test", "--port", sim.port]) == 0
    (printed,) = wait_for(sim)
    assert "打印机测试页" in printed.text and printed.qr_codes and len(printed.images) == 2


@pytest.mark.parametrize(
    ("fault", "code"),
    [
        ("paper_out", "PRINTER_PAPER_OUT"),
        ("cover_open", "PRINTER_COVER_OPEN"),
        ("offline", "PRINTER_OFFLINE"),
        ("silent", "PRINTER_STATUS_UNKNOWN"),
    ],
)
def test_a_faulty_printer_exits_non_zero_with_a_plain_line_and_prints_nothing(
    sim, receipt_file, capsys, fault, code
):
    setattr(sim, fault, True)
    assert main(["devices", "print-receipt", "--port", sim.port, "--data", str(receipt_file)]) == 2
    err = capsys.readouterr().err
    assert code in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    time.sleep(0.2)
    assert sim.receipts == [] and sim.transmit_requests == []


def test_a_missing_printer_exits_non_zero(tmp_path, receipt_file, capsys):
    assert (
        main(["devices", "print-receipt", "--port", str(tmp_path / "ttyUSB5"), "--data", str(receipt_file)])
        == 2
    )
    assert "PRINTER_NO_PRINTER" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "code"),
    [
        ("{not json", "FILE_UNREADABLE"),
        (json.dumps({**RECEIPT_JSON, "extra": 1}), "RECEIPT_INVALID"),
        (json.dumps({k: v for k, v in RECEIPT_JSON.items() if k != "hotline"}), "RECEIPT_INVALID"),
    ],
)
def test_a_bad_receipt_file_is_refused_before_the_printer_is_touched(sim, tmp_path, capsys, content, code):
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    assert main(["devices", "print-receipt", "--port", sim.port, "--data", str(path)]) == 2
    assert code in capsys.readouterr().err
    assert sim.bytes_received == 0


def test_sign_writes_the_strokes_and_the_19794_7_record(tmp_path, capsys):
    out = tmp_path / "sig.json"
    with SignaturePadSimulator(packets_per_second=400) as pad:
        assert (
            main(
                [
                    "devices",
                    "sign",
                    "--port",
                    pad.port,
                    "--out",
                    str(out),
                    "--done-after",
                    "0.5",
                    "--timeout",
                    "20",
                ]
            )
            == 0
        )
    record = json.loads(out.read_text(encoding="utf-8"))
    strokes = [[tuple(p) for p in s] for s in record["strokes"]]
    assert len(strokes) == 3 and record["pad"]["max_x"] == 15200
    series = signature.decode_19794_7(base64.b64decode(record["iso19794_7_b64"]))
    assert len(signature.strokes_from_series(series)) == 3
    assert "已保存签名" in capsys.readouterr().out


def test_sign_on_a_silent_pad_exits_non_zero_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "sig.json"
    with SignaturePadSimulator() as pad:
        pad.silent = True
        assert main(["devices", "sign", "--port", pad.port, "--out", str(out)]) == 2
    assert "SIGPAD_SILENT" in capsys.readouterr().err and not out.exists()

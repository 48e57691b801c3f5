"""Device detection over real probes against the simulators: each device found on its port, and
the printer never left holding another device's bytes."""

import time

from kiosk import detect
from kiosk.cli import main
from kiosk.config import DevicesConfig
from kiosk.devices import idcard
from kiosk.sim.idcard import IdCardSimulator
from kiosk.sim.printer import PrinterSimulator
from kiosk.sim.sigpad import SignaturePadSimulator

STATUS_REQUEST_BYTES = 3  # DLE EOT n


def eventually(condition, timeout=5.0):
    """The simulator handles bytes on its own thread: give it time to read what was written."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_every_device_is_found_on_its_port_and_the_printer_only_hears_status_requests(tmp_path):
    with PrinterSimulator() as printer, IdCardSimulator() as reader, SignaturePadSimulator(baud=38400) as pad:
        ports = [reader.port, str(tmp_path / "ttyUSB9"), printer.port, pad.port]
        found = detect.detect(ports, DevicesConfig(), timeout=0.5)
        assert [(f.role, f.port) for f in found] == [
            ("idcard", reader.port),
            ("printer", printer.port),
            ("sigpad", pad.port),
        ]
        assert printer.bytes_received == STATUS_REQUEST_BYTES * len(printer.realtime_requests)
        assert printer.decoder.text == b"" and printer.receipts == []


def test_a_printer_that_answers_late_is_reset_before_it_can_print_the_other_probes(tmp_path):
    with PrinterSimulator() as printer:
        printer.silent = True  # busy: no answer to the first status requests
        heard_other_probes = []

        def idcard_probe_then_printer_wakes(port, **kwargs):
            answer = idcard.probe(port, **kwargs)
            printer.silent = False
            return answer

        def sigpad_probe(port, **kwargs):
            answer = detect.signature_pad.probe(port, **kwargs)
            heard_other_probes.append(bytes(printer.decoder.text))
            return answer

        probes = detect.Probes(idcard=idcard_probe_then_printer_wakes, sigpad=sigpad_probe)
        found = detect.detect([printer.port], DevicesConfig(), probes, timeout=0.3)
        assert [f.role for f in found] == ["printer"]
        assert heard_other_probes[0]  # the pad's query sat in the printer's buffer …
        assert eventually(lambda: printer.decoder.text == b"")  # … until ESC @ cleared it
        assert printer.receipts == []


def test_detect_writes_the_ports_into_the_config_and_keeps_its_comments(tmp_path, capsys):
    config = tmp_path / "kiosk.toml"
    config.write_text(
        '# our terminal\n[devices.printer]\nport = "/dev/kiosk/printer"  # old\n', encoding="utf-8"
    )
    with PrinterSimulator() as printer, IdCardSimulator() as reader:
        code = main(
            [
                "--config",
                str(config),
                "devices",
                "detect",
                "--write",
                "--port",
                printer.port,
                "--port",
                reader.port,
            ]
        )
    assert code == 0
    text = config.read_text(encoding="utf-8")
    assert text.startswith("# our terminal\n")
    assert f'port = "{printer.port}"' in text and f'[devices.idcard]\nport = "{reader.port}"' in text
    assert "printer" in capsys.readouterr().out


def test_detect_with_nothing_attached_says_so_and_fails(tmp_path, capsys):
    assert main(["devices", "detect", "--port", str(tmp_path / "ttyUSB0"), "--timeout", "0.2"]) == 1
    assert "0 of 1 ports answered" in capsys.readouterr().out

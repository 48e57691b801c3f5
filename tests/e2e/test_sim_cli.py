"""`kiosk sim …` runs one simulator alone: it prints its pty path and serves until told to stop."""

import subprocess
import sys

from kiosk.devices.idcard import IdCardReader
from kiosk.devices.printer import ReceiptPrinter


def start(device: str, *extra: str) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "sim", device, *extra],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    first = process.stdout.readline()
    assert first.startswith("port: /dev/pts/"), first
    process.stdout.readline()  # the list of commands
    return process, first.split(": ", 1)[1].strip()


def command(process: subprocess.Popen, line: str) -> str:
    process.stdin.write(line + "\n")
    process.stdin.flush()
    return process.stdout.readline().strip()


def test_idcard_simulator_is_scripted_from_standard_input():
    process, port = start("idcard")
    try:
        assert command(process, "place hk_mo_tw") == "ok"
        with IdCardReader(port) as reader:
            assert reader.read_card().card_type == "hk_mo_tw"
        assert command(process, "fly away").startswith("?")
        command(process, "quit")
        assert process.wait(timeout=10) == 0
    finally:
        process.kill()


def test_printer_simulator_answers_status_and_takes_faults(tmp_path):
    process, port = start("printer", "--out", str(tmp_path))
    try:
        with ReceiptPrinter(port) as printer:
            assert printer.status().ready
            assert command(process, "paper-out") == "ok"
            assert printer.status().paper_out
        process.stdin.close()  # end of input: it keeps serving until a signal
        process.terminate()
        assert process.wait(timeout=10) == 0
    finally:
        process.kill()

"""Device detection: which device answers on which serial port, for USB-serial adapters that have
no serial number (so udev cannot tell an ID-card reader from a printer by its ids).

Probing order protects the receipt printer: a printer buffers whatever it receives and would print
an ID-card frame or the pad's query characters on the next receipt. So every port is first asked
the printer's real-time status (DLE EOT, which a printer never prints and other devices ignore); a
port that answers is a printer and gets nothing else. Only silent ports get the ID-card and pad
probes, and a printer that answers only later (busy, or at another baud) is reset with ESC @,
which clears its buffer, before it is reported.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import serial
from serial.tools import list_ports

from kiosk.config import DevicesConfig
from kiosk.devices import idcard, printer, signature_pad

log = logging.getLogger(__name__)
Probe = Callable[..., bool]  # probe(port, timeout=…, baud=…) -> bool
COMMON_PRINTER_BAUDS = (115200, 9600, 19200, 38400)
ESC_INIT = b"\x1b\x40"
STABLE_FOLDERS = (Path("/dev/kiosk"), Path("/dev/serial/by-id"), Path("/dev/serial/by-path"))


@dataclass(frozen=True)
class Found:
    role: str  # "printer" | "idcard" | "sigpad"
    port: str
    baud: int | None  # None: the probe used the device's fixed rate (GA 467 readers: 115200)


@dataclass
class Probes:
    """The device probes in the order that is safe for printers; replaceable to sequence tests."""

    printer: Probe = printer.probe
    idcard: Probe = idcard.probe
    sigpad: Probe = signature_pad.probe


def serial_ports() -> list[str]:
    """Serial ports of this machine (USB adapters and real UARTs), by their most stable name."""
    return [stable_name(p.device) for p in sorted(list_ports.comports(), key=lambda p: p.device)]


def stable_name(device: str) -> str:
    """/dev/kiosk/<role>, /dev/serial/by-id/… or /dev/serial/by-path/… when one points at `device`."""
    real = os.path.realpath(device)
    for folder in STABLE_FOLDERS:
        if folder.is_dir():
            for link in sorted(folder.iterdir()):
                if os.path.realpath(link) == real:
                    return str(link)
    return device


def reset_printer(port: str, baud: int) -> None:
    """ESC @: the printer forgets anything buffered (another device's probe bytes) and its modes."""
    with serial.serial_for_url(port, baudrate=baud, timeout=0.5, write_timeout=2) as link:
        link.write(ESC_INIT)
        link.flush()


def _bauds(first: int, others: tuple[int, ...] = ()) -> list[int]:
    return list(dict.fromkeys((first, *others)))


def detect_port(port: str, config: DevicesConfig, probes: Probes, timeout: float) -> Found | None:
    printer_bauds = _bauds(config.printer.baud, COMMON_PRINTER_BAUDS)
    for number, baud in enumerate(printer_bauds):
        if probes.printer(port, timeout=timeout, baud=baud):
            if number:  # earlier status requests at wrong bauds arrived as garbage
                reset_printer(port, baud)
            return Found("printer", port, baud)
    if probes.idcard(port, timeout=timeout):
        return Found("idcard", port, None)
    if probes.sigpad(port, timeout=timeout, baud=config.sigpad.baud):
        return Found("sigpad", port, config.sigpad.baud)
    for baud in printer_bauds:  # a printer busy at first has now buffered the other probes
        if probes.printer(port, timeout=timeout, baud=baud):
            reset_printer(port, baud)
            return Found("printer", port, baud)
    return None


def detect(
    ports: list[str], config: DevicesConfig, probes: Probes | None = None, timeout: float = 0.5
) -> list[Found]:
    found = []
    for port in ports:
        device = detect_port(port, config, probes or Probes(), timeout)
        if device:
            log.info(
                "%s on %s", device.role, device.port, extra={"event": "detect.found", "device": device.role}
            )
            found.append(device)
    return found


def config_values(found: list[Found]) -> dict[str, object]:
    """The config keys to write: the port and baud of each device found (the first of each kind)."""
    values: dict[str, object] = {}
    for device in found:
        values.setdefault(f"devices.{device.role}.port", device.port)
        if device.baud is not None:
            values.setdefault(f"devices.{device.role}.baud", device.baud)
    return values

"""80 mm thermal receipt printer: ESC/POS with Chinese (FS & + GB18030), native QR, trusted status.

Reads top-down: encoder (print operations to bytes), status commands and their parser, the printer
object. Not python-escpos: its text path prints strings without Han characters as "?" and never
sends FS &, so the small encoder here is written out (docs/devices.md).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import serial
from PIL import Image

from kiosk.devices.profiles import load_profile
from kiosk.errors import PrinterError
from kiosk.receipts import Cut, Feed, Op, QrCode, Text, qr_image, render_png

# --- Encoder -----------------------------------------------------------------------------------

ESC, GS, FS, DLE, LF = 0x1B, 0x1D, 0x1C, 0x10, 0x0A
INIT = bytes([ESC, 0x40])
CHINESE_ON = bytes([FS, 0x26])
CHINESE_OFF = bytes([FS, 0x2E])
ALIGN = {"left": 0, "center": 1, "right": 2}


def size_command(scale: int) -> bytes:
    n = (scale - 1) * 0x11
    return bytes([GS, 0x21, n])


def qr_commands(data: str, module: int = 6) -> bytes:
    """GS ( k: model 2, module size, error level M, store, print."""
    payload = data.encode("utf-8")
    store_len = len(payload) + 3

    def fn(body: bytes) -> bytes:
        return bytes([GS, 0x28, 0x6B, len(body) & 0xFF, len(body) >> 8]) + body

    return (
        fn(bytes([0x31, 0x41, 0x32, 0x00]))
        + fn(bytes([0x31, 0x43, module]))
        + fn(bytes([0x31, 0x45, 0x31]))
        + bytes([GS, 0x28, 0x6B, store_len & 0xFF, store_len >> 8, 0x31, 0x50, 0x30])
        + payload
        + fn(bytes([0x31, 0x51, 0x30]))
    )


def raster_command(image: Image.Image) -> bytes:
    """GS v 0: the image as 1-bit rows, MSB = leftmost dot, 1 = black."""
    grey = image.convert("L")
    width_bytes = (grey.width + 7) // 8
    padded = Image.new("L", (width_bytes * 8, grey.height), 255)
    padded.paste(grey, (0, 0))
    bits = padded.point(lambda v: 0 if v < 128 else 255).convert("1")
    data = bytes(b ^ 0xFF for b in bits.tobytes())  # Pillow packs white as 1; the printer wants black as 1
    header = bytes([GS, 0x76, 0x30, 0x00, width_bytes & 0xFF, width_bytes >> 8])
    return header + bytes([grey.height & 0xFF, grey.height >> 8]) + data


def gb18030_bytes(text: str, four_byte_ok: bool) -> bytes | None:
    """GB18030 for the printer's Chinese mode, or None when a character needs a 4-byte code the
    printer may lack (rare characters in names): the caller then prints that line as an image."""
    out = bytearray()
    for char in text:
        code = char.encode("gb18030")
        if len(code) == 4 and not four_byte_ok:
            return None
        out += code
    return bytes(out)


class EscPosEncoder:
    def __init__(self, profile: dict[str, Any]) -> None:
        self.profile = profile

    def encode(self, ops: list[Op]) -> bytes:
        out = bytearray(INIT + CHINESE_ON)
        for op in ops:
            out += self._op(op)
        return bytes(out + CHINESE_OFF)

    def _op(self, op: Op) -> bytes:
        if isinstance(op, Text):
            return self._text(op)
        if isinstance(op, QrCode):
            if self.profile.get("native_qr", True):
                return bytes([ESC, 0x61, 1]) + qr_commands(op.data, op.module) + bytes([LF])
            return bytes([ESC, 0x61, 1]) + raster_command(qr_image(op.data, op.module)) + bytes([LF])
        if isinstance(op, Feed):
            return bytes([ESC, 0x64, op.lines])
        if isinstance(op, Cut):
            return bytes([GS, 0x56, 66 if op.partial else 65, 0])
        raise TypeError(op)

    def _text(self, op: Text) -> bytes:
        head = bytes([ESC, 0x61, ALIGN[op.align]]) + size_command(op.scale) + bytes([ESC, 0x45, int(op.bold)])
        encoded = gb18030_bytes(op.text, self.profile.get("four_byte_gb18030", False))
        if encoded is None:
            image = render_png([op], self.profile["dots_per_line"])
            return head + raster_command(image) + size_command(1)
        return head + encoded + bytes([LF]) + size_command(1) + bytes([ESC, 0x45, 0])


# --- Status ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PrinterStatus:
    """Decoded DLE EOT 1-4 replies. `known` is False when any reply timed out: never "paper OK"."""

    known: bool
    offline: bool = False
    cover_open: bool = False
    paper_near_end: bool = False
    paper_out: bool = False
    cutter_error: bool = False
    unrecoverable: bool = False

    @property
    def ready(self) -> bool:
        return self.known and not (
            self.offline or self.cover_open or self.paper_out or self.cutter_error or self.unrecoverable
        )

    def error(self) -> PrinterError | None:
        """The error that stops printing, most specific first; None when ready."""
        checks = [
            (not self.known, "PRINTER_STATUS_UNKNOWN"),
            (self.paper_out, "PRINTER_PAPER_OUT"),
            (self.cover_open, "PRINTER_COVER_OPEN"),
            (self.cutter_error, "PRINTER_CUTTER"),
            (self.offline or self.unrecoverable, "PRINTER_OFFLINE"),
        ]
        code = next((c for failed, c in checks if failed), None)
        return PrinterError(code, detail=repr(self)) if code else None


def is_status_byte(b: int) -> bool:
    """DLE EOT replies have the fixed pattern 0xx1xx10."""
    return b & 0x93 == 0x12


def parse_status(replies: dict[int, int]) -> PrinterStatus:
    """Decode DLE EOT n replies (n = 1 printer, 2 offline cause, 3 error cause, 4 paper sensor)."""
    if set(replies) != {1, 2, 3, 4} or not all(is_status_byte(b) for b in replies.values()):
        return PrinterStatus(known=False)
    return PrinterStatus(
        known=True,
        offline=bool(replies[1] & 0x08),
        cover_open=bool(replies[2] & 0x04),
        paper_near_end=bool(replies[4] & 0x0C),
        paper_out=bool(replies[4] & 0x60) or bool(replies[2] & 0x20),
        cutter_error=bool(replies[3] & 0x08),
        unrecoverable=bool(replies[3] & 0x20),
    )


# --- Printer -----------------------------------------------------------------------------------


class ReceiptPrinter:
    """A receipt printer on a serial port or a network socket (socket://host:9100)."""

    def __init__(
        self,
        port: str,
        baud: int = 115200,
        profile: str = "generic-80mm",
        flow_control: str = "none",
        status_timeout: float = 0.5,
    ) -> None:
        self.port_name = port
        self.baud = baud
        self.profile = load_profile(profile)
        self.flow_control = flow_control
        self.status_timeout = status_timeout
        self.encoder = EscPosEncoder(self.profile)
        self.port: serial.SerialBase | None = None

    def open(self) -> None:
        try:
            self.port = serial.serial_for_url(
                self.port_name,
                baudrate=self.baud,
                timeout=0.05,
                write_timeout=30,
                rtscts=self.flow_control == "rtscts",
                xonxoff=self.flow_control == "xonxoff",
            )
        except (serial.SerialException, OSError, ValueError) as e:
            raise PrinterError("PRINTER_NO_PRINTER", detail=f"{self.port_name}: {e}") from None

    def close(self) -> None:
        if self.port:
            self.port.close()
            self.port = None

    def __enter__(self) -> ReceiptPrinter:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _port(self) -> serial.SerialBase:
        if self.port is None:
            self.open()
        assert self.port is not None
        return self.port

    def status(self) -> PrinterStatus:
        port = self._port()
        replies: dict[int, int] = {}
        try:
            port.reset_input_buffer()
            for n in (1, 2, 3, 4):
                port.write(bytes([DLE, 0x04, n]))
                reply = self._read_status_byte(port)
                if reply is None:
                    return PrinterStatus(known=False)
                replies[n] = reply
        except (serial.SerialException, OSError) as e:
            self.close()
            raise PrinterError("PRINTER_NO_PRINTER", detail=f"{self.port_name}: {e}") from None
        return parse_status(replies)

    def _read_status_byte(self, port: serial.SerialBase) -> int | None:
        deadline = time.monotonic() + self.status_timeout
        while time.monotonic() < deadline:
            data = port.read(1)
            if data and is_status_byte(data[0]):
                return data[0]
        return None

    def print_ops(self, ops: list[Op]) -> int:
        """Check status, send the job, check again; returns the bytes sent. Refuses on any fault."""
        before = self.status()
        if not before.ready:
            raise before.error() or PrinterError("PRINTER_STATUS_UNKNOWN")
        job = self.encoder.encode(ops)
        try:
            self._port().write(job)
            self._port().flush()
        except (serial.SerialException, OSError) as e:
            self.close()
            raise PrinterError("PRINTER_WRITE_FAILED", detail=f"{self.port_name}: {e}") from None
        after = self.status()
        if not after.ready:
            raise after.error() or PrinterError("PRINTER_STATUS_UNKNOWN")
        return len(job)


def probe(port: str, timeout: float = 1.0, baud: int = 115200) -> bool:
    """Whether an ESC/POS printer answers a real-time status request on `port` within `timeout`."""
    try:
        with ReceiptPrinter(port, baud, status_timeout=timeout) as printer:
            port_ = printer._port()
            port_.reset_input_buffer()
            port_.write(bytes([DLE, 0x04, 1]))
            return printer._read_status_byte(port_) is not None
    except (PrinterError, serial.SerialException, OSError):
        return False

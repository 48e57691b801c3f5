"""80 mm thermal receipt printer: ESC/POS with Chinese (FS & + GB18030), native QR, trusted status.

Reads top-down: profile, encoder (print operations to bytes), status commands and their parser,
transports (serial, USB printer class, TCP 9100), the printer object. Not python-escpos: its text
path prints strings without Han characters as "?" and never sends FS &, and its paper status reads
"adequate" when the printer says nothing (docs/devices.md). No UI, no flow.
"""

from __future__ import annotations

import contextlib
import os
import select
import time
from dataclasses import dataclass
from typing import Literal, Protocol

import serial
from PIL import Image

from kiosk.devices.profiles import load_profile
from kiosk.errors import PrinterError
from kiosk.receipts import Cut, Feed, Op, Page, Picture, QrCode, Text, qr_image, render_png

# --- Profile -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PrinterProfile:
    """A printer model (kiosk/devices/profiles/*.toml)."""

    name: str
    dots_per_line: int = 576
    dpi: int = 203
    columns: int = 48
    native_qr: bool = True
    qr_module: int = 6
    charset: Literal["gb2312", "gbk", "gb18030"] = "gbk"
    cut: Literal["partial", "full"] = "partial"
    transmit_status: bool = True
    raster_max_rows: int = 255
    raster_bytes_per_s: int = 0

    @property
    def page(self) -> Page:
        return Page(self.columns, self.dots_per_line, self.qr_module)


# --- Encoder -----------------------------------------------------------------------------------

ESC, GS, FS, DLE, LF = 0x1B, 0x1D, 0x1C, 0x10, 0x0A
INIT = bytes([ESC, 0x40])
CHINESE_ON = bytes([FS, 0x26])
CHINESE_OFF = bytes([FS, 0x2E])
ALIGN = {"left": 0, "center": 1, "right": 2}
TRANSMIT_PAPER_STATUS = bytes([GS, 0x72, 0x01])  # GS r 1: answered only once everything before it printed
REALTIME_SECOND_BYTES = (0x04, 0x05, 0x14)  # DLE EOT, DLE ENQ, DLE DC4


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


def without_realtime_patterns(data: bytes) -> bytes:
    """Raster bytes with every DLE EOT/ENQ/DC4 look-alike broken up by clearing the lone dot of the
    0x10 byte: printers execute those patterns on receipt even inside image data (notes §1.2.4)."""
    out = bytearray(data)
    for i in range(len(out) - 1):
        if out[i] == DLE and out[i + 1] in REALTIME_SECOND_BYTES:
            out[i] = 0x00
    return bytes(out)


def raster_commands(image: Image.Image, max_rows: int = 255) -> list[bytes]:
    """GS v 0 commands, at most `max_rows` rows each: 1-bit rows, MSB = leftmost dot, 1 = black."""
    grey = image.convert("L")
    width_bytes = (grey.width + 7) // 8
    padded = Image.new("L", (width_bytes * 8, grey.height), 255)
    padded.paste(grey, (0, 0))
    bits = padded.point(lambda v: 0 if v < 128 else 255).convert("1")
    data = bytes(b ^ 0xFF for b in bits.tobytes())  # Pillow packs white as 1; the printer wants black as 1
    commands = []
    for top in range(0, grey.height, max_rows):
        rows = min(max_rows, grey.height - top)
        body = without_realtime_patterns(data[top * width_bytes : (top + rows) * width_bytes])
        header = bytes([GS, 0x76, 0x30, 0x00, width_bytes & 0xFF, width_bytes >> 8, rows & 0xFF, rows >> 8])
        commands.append(header + body)
    return commands


def font_has(char: str, charset: str) -> bool:
    """Whether the printer's built-in font prints `char` from its GB code (else: raster)."""
    if ord(char) < 0x80:
        return True
    if charset == "gb2312":
        try:
            char.encode("gb2312")
        except UnicodeEncodeError:
            return False
        return True
    return charset == "gb18030" or len(char.encode("gb18030")) == 2


def gb18030_bytes(text: str, charset: str = "gbk") -> bytes | None:
    """GB18030 for the printer's Chinese mode, or None when a character is outside the printer's
    font (rare characters in names): the caller then prints that line as an image."""
    if not all(font_has(c, charset) for c in text):
        return None
    return text.encode("gb18030")


@dataclass(frozen=True)
class Piece:
    """Part of a job; raster pieces are paced when the line has no flow control."""

    data: bytes
    raster: bool = False


class EscPosEncoder:
    def __init__(self, profile: PrinterProfile) -> None:
        self.profile = profile

    def encode(self, ops: list[Op]) -> list[Piece]:
        pieces = [Piece(INIT + CHINESE_ON)]
        for op in ops:
            pieces += self._op(op)
        tail = CHINESE_OFF + (TRANSMIT_PAPER_STATUS if self.profile.transmit_status else b"")
        return [*pieces, Piece(tail)]

    def _op(self, op: Op) -> list[Piece]:
        if isinstance(op, Text):
            return self._text(op)
        if isinstance(op, QrCode):
            center = bytes([ESC, 0x61, 1])
            if self.profile.native_qr:
                return [Piece(center + qr_commands(op.data, op.module) + bytes([LF]))]
            return [Piece(center), *self._raster(qr_image(op.data, op.module)), Piece(bytes([LF]))]
        if isinstance(op, Picture):
            return [Piece(bytes([ESC, 0x61, ALIGN[op.align]])), *self._raster(op.image)]
        if isinstance(op, Feed):
            return [Piece(bytes([ESC, 0x64, op.lines]))]
        if isinstance(op, Cut):
            partial = op.partial and self.profile.cut == "partial"
            return [Piece(bytes([GS, 0x56, 66 if partial else 65, 0]))]
        raise TypeError(op)

    def _raster(self, image: Image.Image) -> list[Piece]:
        return [Piece(c, raster=True) for c in raster_commands(image, self.profile.raster_max_rows)]

    def _text(self, op: Text) -> list[Piece]:
        head = bytes([ESC, 0x61, ALIGN[op.align]]) + size_command(op.scale) + bytes([ESC, 0x45, int(op.bold)])
        reset = size_command(1) + bytes([ESC, 0x45, 0])
        encoded = gb18030_bytes(op.text, self.profile.charset)
        if encoded is None:
            image = render_png([Text(op.text, "left", op.scale, op.bold)], self.profile.dots_per_line)
            return [Piece(head + bytes([ESC, 0x61, 0])), *self._raster(image), Piece(reset)]
        return [Piece(head + encoded + bytes([LF]) + reset)]


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

    def error(self, detail: str = "") -> PrinterError | None:
        """The error that stops printing, most specific first; None when ready."""
        checks = [
            (not self.known, "PRINTER_STATUS_UNKNOWN"),
            (self.paper_out, "PRINTER_PAPER_OUT"),
            (self.cover_open, "PRINTER_COVER_OPEN"),
            (self.cutter_error, "PRINTER_CUTTER"),
            (self.offline or self.unrecoverable, "PRINTER_OFFLINE"),
        ]
        code = next((c for failed, c in checks if failed), None)
        return PrinterError(code, detail=detail or self.describe()) if code else None

    def describe(self) -> str:
        if not self.known:
            return "no reply"
        flags = ("offline", "cover_open", "paper_near_end", "paper_out", "cutter_error", "unrecoverable")
        return ",".join(f for f in flags if getattr(self, f)) or "ok"


def is_status_byte(b: int) -> bool:
    """DLE EOT replies have the fixed pattern 0xx1xx10."""
    return b & 0x93 == 0x12


def is_transmit_status_byte(b: int) -> bool:
    """GS r replies have bits 4 and 7 clear (0xx0xxxx), which no DLE EOT reply, XON or XOFF has."""
    return b & 0x90 == 0


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


def parse_transmit_status(b: int) -> tuple[bool, bool]:
    """GS r 1 reply as (paper near end, paper out)."""
    return bool(b & 0x03), bool(b & 0x0C)


# --- Transports --------------------------------------------------------------------------------


class Port(Protocol):
    """What the printer needs of a transport: pyserial's Serial (serial, socket://) has it."""

    def write(self, data: bytes) -> int | None: ...
    def read(self, size: int = 1) -> bytes: ...
    def reset_input_buffer(self) -> None: ...
    def flush(self) -> None: ...
    def close(self) -> None: ...


class LinePrinterPort:
    """A USB printer-class device (/dev/usb/lp*), written like a file; bidirectional printers answer
    status requests on read. `usblp:PATH` opens any path this way (tests use a pty)."""

    def __init__(self, path: str, timeout: float = 0.05, write_timeout: float = 30.0) -> None:
        self.fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        self.timeout = timeout
        self.write_timeout = write_timeout

    def write(self, data: bytes) -> int:
        view, deadline = memoryview(data), time.monotonic() + self.write_timeout
        while view:
            _, writable, _ = select.select([], [self.fd], [], max(0.0, deadline - time.monotonic()))
            if not writable:
                raise serial.SerialTimeoutException("write timeout")
            with contextlib.suppress(BlockingIOError):
                view = view[os.write(self.fd, view) :]
        return len(data)

    def read(self, size: int = 1) -> bytes:
        readable, _, _ = select.select([self.fd], [], [], self.timeout)
        if not readable:
            return b""
        try:
            return os.read(self.fd, size)
        except BlockingIOError:
            return b""

    def reset_input_buffer(self) -> None:
        with contextlib.suppress(BlockingIOError):
            while os.read(self.fd, 4096):
                pass

    def flush(self) -> None:
        """usblp has no drain; a write returns once the kernel holds the data."""

    def close(self) -> None:
        os.close(self.fd)


def open_port(name: str, baud: int, flow_control: str, write_timeout: float) -> Port:
    """`/dev/usb/lpN` or `usblp:PATH` → USB printer class; `socket://host:9100` → TCP; else serial."""
    if name.startswith("usblp:") or name.startswith("/dev/usb/lp"):
        return LinePrinterPort(name.removeprefix("usblp:"), write_timeout=write_timeout)
    return serial.serial_for_url(
        name,
        baudrate=baud,
        timeout=0.05,
        write_timeout=write_timeout,
        rtscts=flow_control == "rtscts",
        xonxoff=flow_control == "xonxoff",
        exclusive=None if name.startswith("socket://") else True,
    )


# --- Printer -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PrintResult:
    bytes_sent: int
    paper_near_end: bool
    seconds: float


class ReceiptPrinter:
    """A receipt printer on a serial port, a USB printer-class device or a network socket.

    Printing checks the status first and refuses on any fault; the job ends with GS r 1, whose reply
    proves the whole receipt was printed (a printer that ran out of paper mid-receipt never sends it).
    """

    def __init__(
        self,
        port: str,
        baud: int = 115200,
        profile: str = "generic-80mm",
        flow_control: str = "none",
        status_timeout: float = 0.5,
        finish_timeout: float = 20.0,
        write_timeout: float = 30.0,
    ) -> None:
        self.port_name = port
        self.baud = baud
        self.profile = load_profile(PrinterProfile, profile)
        self.flow_control = flow_control
        self.status_timeout = status_timeout
        self.finish_timeout = finish_timeout
        self.write_timeout = write_timeout
        self.encoder = EscPosEncoder(self.profile)
        self.port: Port | None = None

    def open(self) -> None:
        try:
            self.port = open_port(self.port_name, self.baud, self.flow_control, self.write_timeout)
        except (serial.SerialException, OSError, ValueError) as e:
            raise PrinterError("PRINTER_NO_PRINTER", detail=f"{self.port_name}: {e}") from None

    def close(self) -> None:
        if self.port:
            with contextlib.suppress(serial.SerialException, OSError):
                self.port.close()
            self.port = None

    def __enter__(self) -> ReceiptPrinter:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _port(self) -> Port:
        if self.port is None:
            self.open()
        assert self.port is not None
        return self.port

    def _io_error(self, code: str, e: Exception) -> PrinterError:
        self.close()
        return PrinterError(code, detail=f"{self.port_name}: {e}")

    def status(self) -> PrinterStatus:
        port = self._port()
        replies: dict[int, int] = {}
        try:
            port.reset_input_buffer()
            # Real-time requests are answered in the order received: ask all four at once.
            port.write(b"".join(bytes([DLE, 0x04, n]) for n in (1, 2, 3, 4)))
            for n in (1, 2, 3, 4):
                reply = self._read_byte(is_status_byte, self.status_timeout)
                if reply is None:
                    return PrinterStatus(known=False)
                replies[n] = reply
        except (serial.SerialException, OSError) as e:
            raise self._io_error("PRINTER_NO_PRINTER", e) from None
        return parse_status(replies)

    def _read_byte(self, wanted, timeout: float) -> int | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            data = self._port().read(1)
            if data and wanted(data[0]):
                return data[0]
        return None

    def print_ops(self, ops: list[Op]) -> PrintResult:
        """Print a document; refuses (nothing sent) on any fault, and raises if it did not finish."""
        start = time.monotonic()
        before = self.status()
        if not before.ready:
            raise before.error() or PrinterError("PRINTER_STATUS_UNKNOWN")
        pieces = self.encoder.encode(ops)
        try:
            self._port().reset_input_buffer()
            for piece in pieces:
                self._write(piece)
            self._port().flush()
        except serial.SerialTimeoutException as e:
            raise self._io_error("PRINTER_STALLED", e) from None
        except (serial.SerialException, OSError) as e:
            raise self._io_error("PRINTER_WRITE_FAILED", e) from None
        near_end = self._confirm_finished() or before.paper_near_end
        sent = sum(len(p.data) for p in pieces)
        return PrintResult(sent, near_end, time.monotonic() - start)

    def _write(self, piece: Piece) -> None:
        rate = self.profile.raster_bytes_per_s
        if not (piece.raster and rate and self.flow_control == "none"):
            self._port().write(piece.data)
            return
        # No handshake: keep raster data at the pace the printer consumes it, or its buffer overruns.
        chunk = max(1, rate // 20)
        begin = time.monotonic()
        for offset in range(0, len(piece.data), chunk):
            self._port().write(piece.data[offset : offset + chunk])
            delay = begin + (offset + chunk) / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)

    def _confirm_finished(self) -> bool:
        """Wait for the GS r reply that follows the receipt; returns paper-near-end. Without it,
        ask why (paper out or cover opened mid-receipt, or a stalled printer) and raise."""
        if not self.profile.transmit_status:
            after = self.status()
            if not after.ready:
                raise after.error("after printing") or PrinterError("PRINTER_STATUS_UNKNOWN")
            return after.paper_near_end
        try:
            reply = self._read_byte(is_transmit_status_byte, self.finish_timeout)
        except (serial.SerialException, OSError) as e:
            raise self._io_error("PRINTER_NO_PRINTER", e) from None
        if reply is not None:
            near_end, _ = parse_transmit_status(reply)
            return near_end
        after = self.status()
        self._discard_rest()
        raise after.error("receipt interrupted") or PrinterError(
            "PRINTER_NOT_FINISHED", detail=after.describe()
        )

    def _discard_rest(self) -> None:
        """DLE ENQ 2: recover, clearing the buffers, so the rest of a torn receipt does not print
        when paper is loaded (printers that lack it ignore it)."""
        with contextlib.suppress(serial.SerialException, OSError):
            self._port().write(bytes([DLE, 0x05, 0x02]))


def probe(port: str, timeout: float = 1.0, baud: int = 115200) -> bool:
    """Whether an ESC/POS printer answers a real-time status request on `port` within `timeout`."""
    try:
        with ReceiptPrinter(port, baud, status_timeout=timeout) as printer:
            printer._port().reset_input_buffer()
            printer._port().write(bytes([DLE, 0x04, 1]))
            return printer._read_byte(is_status_byte, timeout) is not None
    except (PrinterError, serial.SerialException, OSError):
        return False

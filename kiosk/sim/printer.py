"""An ESC/POS receipt printer on a pseudo-terminal or a loopback TCP socket: decodes what it receives
into text lines and a rendered PNG per cut, answers status, and plays faults.

It decodes bytes on its own (Chinese mode, GB18030, sizes, alignment, QR, raster, cut) so tests of
the driver compare against an independent reading of the wire, not the driver's own model. On the
pty it receives at the baud rate, with a finite buffer that overruns unless the host honours the
handshake (XON/XOFF or RTS/CTS, read from the line's termios as a real UART would feel it).
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import termios
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from kiosk.receipts import aligned, qr_image, text_row
from kiosk.sim.pty import BITS_PER_BYTE, PtyDevice

ALIGN_NAMES = {0: "left", 1: "center", 2: "right"}
XON, XOFF = 0x11, 0x13
MAX_RASTER_DOTS = 4096  # wider or taller images are junk, not pictures
NEAR_END_LINES = 60  # the near-end sensor trips with about this much paper left on the roll


@dataclass
class Line:
    text: str = ""
    align: int = 0
    scale: int = 1
    bold: bool = False
    image: Image.Image | None = None
    qr_data: str = ""

    @property
    def paper_lines(self) -> int:
        """Paper used, in 24-dot text lines."""
        if self.image is not None:
            return max(1, self.image.height // 24)
        return 8 if self.qr_data else self.scale


@dataclass
class PrintedReceipt:
    lines: list[Line] = field(default_factory=list)
    png: Path | None = None
    torn: bool = False  # paper ran out (or the cutter jammed) before the receipt was finished

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines if line.text)

    @property
    def qr_codes(self) -> list[str]:
        return [line.qr_data for line in self.lines if line.qr_data]

    @property
    def images(self) -> list[Image.Image]:
        return [line.image for line in self.lines if line.image is not None]


class EscPosDecoder:
    """Incremental decoder: `feed` bytes, collect finished receipts in `receipts`.

    `on_line(line)` returns False when the paper ran out: the decoder then stops. `on_transmit(n)`
    answers GS r n, which a printer reaches only after printing everything before it.
    """

    def __init__(
        self,
        on_line: Callable[[Line], bool] = lambda line: True,
        on_transmit: Callable[[int], None] = lambda n: None,
        on_cut: Callable[[], bool] = lambda: True,
        on_receipt: Callable[[PrintedReceipt], None] = lambda receipt: None,
    ) -> None:
        self.on_line = on_line
        self.on_transmit = on_transmit
        self.on_cut = on_cut
        self.on_receipt = on_receipt
        self.buffer = bytearray()
        self.chinese = False
        self.align = 0
        self.scale = 1
        self.bold = False
        self.qr_store = b""
        self.text = bytearray()
        self.current = PrintedReceipt()
        self.receipts: list[PrintedReceipt] = []
        self.halted = False

    def feed(self, data: bytes) -> None:
        self.buffer += data
        while self.buffer and not self.halted:
            used = self._step()
            if used == 0:
                return  # wait for the rest of a command
            del self.buffer[:used]

    def clear(self) -> None:
        """Drop everything not yet printed (paper out, DLE ENQ 2)."""
        self.buffer.clear()
        self.text.clear()

    def _step(self) -> int:
        b = self.buffer
        first = b[0]
        if first == 0x10:
            return 0 if len(b) < 3 else 3  # real-time commands were answered on receipt
        if first == 0x0A:
            self._end_line()
            return 1
        if first in (0x1B, 0x1C, 0x1D):
            return self._command()
        return self._text_char()

    def _text_char(self) -> int:
        b = self.buffer
        if not self.chinese or b[0] < 0x81 or b[0] == 0xFF:
            self.text.append(b[0] if 0x20 <= b[0] < 0x80 else ord("?"))
            return 1
        if len(b) < 2:
            return 0
        size = 4 if 0x30 <= b[1] <= 0x39 else 2
        if len(b) < size:
            return 0
        self.text += b[:size]
        return size

    def _command(self) -> int:
        b = self.buffer
        if len(b) < 2:
            return 0
        key = bytes(b[:2])
        if (
            key == b"\x1b\x40"
        ):  # ESC @: modes back to defaults, the unprinted line dropped, as on a real printer
            self.align, self.scale, self.bold, self.chinese = 0, 1, False, False
            self.text.clear()
            return 2
        if key in (b"\x1c\x26", b"\x1c\x2e"):
            self.chinese = key == b"\x1c\x26"
            return 2
        if key in (b"\x1b\x61", b"\x1d\x21", b"\x1b\x45", b"\x1b\x64", b"\x1d\x72"):
            if len(b) < 3:
                return 0
            self._one_parameter(key, b[2])
            return 3
        if key == b"\x1d\x56":
            return self._cut()
        if key == b"\x1d\x28":
            return self._function_command()
        if key == b"\x1d\x76":
            return self._raster()
        return 1  # unknown: skip the escape byte

    def _one_parameter(self, key: bytes, n: int) -> None:
        if key == b"\x1b\x61":
            self.align = n if n in ALIGN_NAMES else 0
        elif key == b"\x1d\x21":
            self.scale = (n & 0x07) + 1
        elif key == b"\x1b\x45":
            self.bold = bool(n & 1)
        elif key == b"\x1d\x72":
            self.on_transmit(n)
        else:
            self._end_line()
            for _ in range(max(0, n - 1)):
                self._emit(Line())

    def _function_command(self) -> int:
        b = self.buffer
        if len(b) < 5:
            return 0
        length = b[3] | b[4] << 8
        if len(b) < 5 + length:
            return 0
        body = bytes(b[5 : 5 + length])
        if b[2] == 0x6B and body[:3] == b"\x31\x50\x30":
            self.qr_store = body[3:]
        elif b[2] == 0x6B and body[:3] == b"\x31\x51\x30":
            self._emit(Line(align=1, qr_data=self.qr_store.decode("utf-8", errors="replace")))
        return 5 + length

    def _raster(self) -> int:
        b = self.buffer
        if len(b) < 8:
            return 0
        width_bytes, height = b[4] | b[5] << 8, b[6] | b[7] << 8
        if not (0 < width_bytes * 8 <= MAX_RASTER_DOTS and 0 < height <= MAX_RASTER_DOTS):
            return 8
        size = 8 + width_bytes * height
        if len(b) < size:
            return 0
        packed = bytes(x ^ 0xFF for x in b[8:size])
        image = Image.frombytes("1", (width_bytes * 8, height), packed).convert("L")
        self._emit(Line(align=self.align, image=image))
        return size

    def _end_line(self) -> None:
        text = bytes(self.text).decode("gb18030", errors="replace")
        self.text.clear()
        self._emit(Line(text, self.align, self.scale, self.bold))

    def _emit(self, line: Line) -> None:
        self.current.lines.append(line)
        if not self.on_line(line):
            self._tear()

    def _cut(self) -> int:
        if len(self.buffer) < 3:
            return 0
        size = 4 if self.buffer[2] in (65, 66) else 3
        if len(self.buffer) < size:
            return 0
        if self.text:
            self._end_line()
        if self.halted:
            return size
        if not self.on_cut():
            self._tear()
            return size
        self._finish()
        return size

    def _finish(self) -> None:
        """The receipt leaves the printer (before anything after it is processed)."""
        self.on_receipt(self.current)
        self.receipts.append(self.current)
        self.current = PrintedReceipt()

    def _tear(self) -> None:
        """The printer stopped mid-receipt: what came out so far is a torn receipt."""
        self.current.torn = True
        self._finish()
        self.halted = True
        self.clear()


def render_receipt(receipt: PrintedReceipt, width_dots: int = 576) -> Image.Image:
    rows: list[Image.Image] = []
    for line in receipt.lines:
        if line.qr_data:
            rows.append(aligned(qr_image(line.qr_data, 6), "center", width_dots))
        elif line.image is not None:
            rows.append(aligned(line.image, ALIGN_NAMES.get(line.align, "left"), width_dots))
        else:
            rows.append(
                text_row(line.text, ALIGN_NAMES.get(line.align, "left"), line.scale, line.bold, width_dots)
            )
    page = Image.new("L", (width_dots, sum(r.height for r in rows) + 40), 255)
    y = 20
    for row in rows:
        page.paste(row, (0, y))
        y += row.height
    return page


class PrinterModel(ABC):
    """The printer itself, whatever the line: status, faults, paper, the decoder, saved receipts.

    Faults: `paper_near_end`, `paper_out`, `cover_open`, `offline`, `cutter_error`, `silent` (answers
    nothing), `paper_lines_left` (paper runs out after that many lines, mid-receipt if need be),
    `cutter_jams` (the next cut fails), and `stall(seconds)` on the line front ends.
    """

    def __init__(self, output_dir: Path | None = None, width_dots: int = 576) -> None:
        self.output_dir = output_dir
        self.width_dots = width_dots
        self.paper_near_end = False
        self.paper_out = False
        self.cover_open = False
        self.offline = False
        self.cutter_error = False
        self.silent = False
        self.cutter_jams = False
        self.paper_lines_left: int | None = None
        self.realtime_requests: list[int] = []
        self.transmit_requests: list[int] = []
        self._realtime = bytearray()
        self._saved = 0
        self.decoder = EscPosDecoder(self._consume_paper, self._transmit, self._cut, self._save)

    @abstractmethod
    def reply(self, data: bytes) -> None:
        """Send bytes back to the host on whatever line this printer sits."""

    @property
    def receipts(self) -> list[PrintedReceipt]:
        """Receipts that came out of the printer (cut, or torn), each saved as it came out."""
        return self.decoder.receipts

    @property
    def stopped(self) -> bool:
        return self.paper_out or self.cover_open or self.offline or self.cutter_error

    def load_paper(self, lines: int | None = None) -> None:
        """A technician loads a new roll (and closes the cover)."""
        self.paper_out = self.cover_open = self.paper_near_end = False
        self.paper_lines_left = lines
        self.decoder.halted = False

    def status_byte(self, n: int) -> int:
        fixed = 0x12
        if n == 1:
            return fixed | (0x08 if self.stopped else 0)
        if n == 2:
            return (
                fixed
                | (0x04 if self.cover_open else 0)
                | (0x20 if self.paper_out else 0)
                | (0x40 if self.cutter_error else 0)
            )
        if n == 3:
            return fixed | (0x08 if self.cutter_error else 0)
        return (
            fixed | (0x0C if self.paper_near_end or self.paper_out else 0) | (0x60 if self.paper_out else 0)
        )

    def receive(self, data: bytes) -> None:
        """Bytes off the line: real-time commands act at once (even inside other data, even when
        stopped, as on real printers); everything else prints unless the printer has stopped."""
        for byte in data:
            self._realtime_byte(byte)
        if self.stopped:
            return
        self.decoder.feed(data)

    def _realtime_byte(self, byte: int) -> None:
        pending = self._realtime
        if not pending and byte != 0x10:
            return
        pending.append(byte)
        if len(pending) == 2 and byte not in (0x04, 0x05):
            pending.clear()
            if byte == 0x10:
                pending.append(byte)
        elif len(pending) == 3:
            kind, n = pending[1], pending[2]
            pending.clear()
            if kind == 0x04 and 1 <= n <= 4:
                self.realtime_requests.append(n)
                if not self.silent:
                    self.reply(bytes([self.status_byte(n)]))
            elif kind == 0x05 and n == 2:
                self.decoder.clear()
                self.cutter_error = False
                self.decoder.halted = self.paper_out

    def _transmit(self, n: int) -> None:
        self.transmit_requests.append(n)
        if n in (1, 49) and not self.silent:
            self.reply(bytes([(0x03 if self.paper_near_end else 0) | (0x0C if self.paper_out else 0)]))

    def _consume_paper(self, line: Line) -> bool:
        if self.paper_lines_left is None:
            return True
        self.paper_lines_left -= line.paper_lines
        self.paper_near_end = self.paper_near_end or self.paper_lines_left <= NEAR_END_LINES
        if self.paper_lines_left <= 0:
            self.paper_out = True
            return False
        return True

    def _cut(self) -> bool:
        if self.cutter_jams:
            self.cutter_jams = False
            self.cutter_error = True
            return False
        return True

    def _save(self, receipt: PrintedReceipt) -> None:
        self._saved += 1
        if self.output_dir is None:
            return
        self.output_dir.mkdir(parents=True, exist_ok=True)
        receipt.png = self.output_dir / f"receipt-{self._saved:03d}.png"
        render_receipt(receipt, self.width_dots).save(receipt.png)
        (self.output_dir / f"receipt-{self._saved:03d}.txt").write_text(receipt.text + "\n", encoding="utf-8")


class PrinterSimulator(PrinterModel, PtyDevice):
    """The printer on a pty: receives at the baud rate into a `buffer_size` buffer that prints at
    `print_bytes_per_s` (0: at once). `handshake` is the printer's own setting (its DIP switch):
    with "xonxoff" it sends XOFF/XON, with "rtscts" it drops CTS, and the line really stops only if
    the host enabled the same handshake; otherwise the buffer overruns and bytes are lost."""

    def __init__(
        self,
        baud: int = 115200,
        output_dir: Path | None = None,
        handshake: str = "none",
        buffer_size: int = 4096,
        print_bytes_per_s: float = 0.0,
        width_dots: int = 576,
    ) -> None:
        PtyDevice.__init__(self, baud)
        PrinterModel.__init__(self, output_dir, width_dots)
        self.handshake = handshake
        self.buffer_size = buffer_size
        self.print_bytes_per_s = print_bytes_per_s
        self.fill = 0.0
        self.overrun_bytes = 0
        self.busy = False
        self.stalled_until = 0.0
        self.last_byte_at = 0.0
        self._drained_at = time.monotonic()

    def reply(self, data: bytes) -> None:
        self.send(data)

    def on_bytes(self, data: bytes) -> None:
        self.receive(data)

    def stall(self, seconds: float) -> None:
        """Stop taking bytes (and answering) for `seconds`, as a printer busy with a jam does."""
        self.stalled_until = time.monotonic() + seconds

    def _host_honours_handshake(self) -> bool:
        flags = termios.tcgetattr(self.master)  # a pty master reports the slave's (the host's) termios
        if self.handshake == "xonxoff":
            return bool(flags[0] & termios.IXON)
        return self.handshake == "rtscts" and bool(flags[2] & termios.CRTSCTS)

    def _drain(self) -> None:
        now = time.monotonic()
        if self.print_bytes_per_s:
            self.fill = max(0.0, self.fill - (now - self._drained_at) * self.print_bytes_per_s)
        else:
            self.fill = 0.0
        self._drained_at = now

    def _update_busy(self) -> None:
        """Raise the handshake at 3/4 full, release it at 1/4."""
        if self.handshake == "none":
            return
        if not self.busy and self.fill > self.buffer_size * 0.75:
            self.busy = True
            if self.handshake == "xonxoff":
                self.send(bytes([XOFF]))
        elif self.busy and self.fill < self.buffer_size * 0.25:
            self.busy = False
            if self.handshake == "xonxoff":
                self.send(bytes([XON]))

    def _line_held(self) -> bool:
        return time.monotonic() < self.stalled_until or (self.busy and self._host_honours_handshake())

    def _serve(self) -> None:
        bytes_per_s = self.baud / BITS_PER_BYTE
        chunk = max(16, int(bytes_per_s * 0.01))
        wire_clock = 0.0
        while not self._stop.is_set():
            self._drain()
            self._update_busy()
            if self._line_held():
                time.sleep(0.005)
                continue
            try:
                if not select.select([self.master], [], [], 0)[0]:
                    # the line was idle: the next bytes start on the wire when they are written
                    if not select.select([self.master], [], [], 0.02)[0]:
                        continue
                    wire_clock = max(wire_clock, time.monotonic())
                data = os.read(self.master, chunk)
            except OSError:
                return
            # bytes already queued follow the previous ones back to back, at wire speed
            wire_clock += len(data) / bytes_per_s
            delay = wire_clock - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            self.last_byte_at = time.monotonic()
            self.bytes_received += len(data)
            self._drain()
            room = max(0, int(self.buffer_size - self.fill))
            if len(data) > room:
                self.overrun_bytes += len(data) - room
                data = data[:room]
            self.fill += len(data)
            self.on_bytes(data)


class NetworkPrinterSimulator(PrinterModel):
    """The printer on a loopback TCP port (port 9100 on a real one); the driver connects to `port`."""

    def __init__(self, output_dir: Path | None = None, width_dots: int = 576) -> None:
        super().__init__(output_dir, width_dots)
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = f"socket://127.0.0.1:{self.server.getsockname()[1]}"
        self._stop = threading.Event()
        self._connection: socket.socket | None = None
        self.stalled_until = 0.0
        self._thread = threading.Thread(target=self._serve, name="NetworkPrinterSimulator", daemon=True)

    def start(self) -> NetworkPrinterSimulator:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.server.close()
        if self._connection:
            with contextlib.suppress(OSError):
                self._connection.close()
        self._thread.join(timeout=2)

    def __enter__(self) -> NetworkPrinterSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stall(self, seconds: float) -> None:
        self.stalled_until = time.monotonic() + seconds

    def reply(self, data: bytes) -> None:
        if self._connection:
            with contextlib.suppress(OSError):
                self._connection.sendall(data)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                self._connection, _ = self.server.accept()
            except OSError:
                return
            with self._connection:
                self._serve_connection(self._connection)

    def _serve_connection(self, connection: socket.socket) -> None:
        while not self._stop.is_set():
            if time.monotonic() < self.stalled_until:
                time.sleep(0.005)  # not reading: TCP's window closes, as a busy printer's does
                continue
            ready, _, _ = select.select([connection], [], [], 0.05)
            if not ready:
                continue
            try:
                data = connection.recv(4096)
            except OSError:
                return
            if not data:
                return
            self.receive(data)

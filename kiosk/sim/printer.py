"""An ESC/POS receipt printer on a pseudo-terminal: decodes what it receives into text lines and a
rendered PNG per cut, and answers DLE EOT status queries, with switchable faults.

It decodes bytes on its own (Chinese mode, GB18030, sizes, alignment, QR, raster, cut) so tests of
the driver compare against an independent reading of the wire, not the driver's own model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import segno
from PIL import Image, ImageDraw

from kiosk.receipts import text_row
from kiosk.sim.pty import PtyDevice

WIDTH_DOTS = 576
ALIGN_NAMES = {0: "left", 1: "center", 2: "right"}


@dataclass
class Line:
    text: str = ""
    align: int = 0
    scale: int = 1
    bold: bool = False
    image: Image.Image | None = None
    qr_data: str = ""


@dataclass
class PrintedReceipt:
    lines: list[Line] = field(default_factory=list)
    png: Path | None = None

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines if line.text)

    @property
    def qr_codes(self) -> list[str]:
        return [line.qr_data for line in self.lines if line.qr_data]


class EscPosState:
    """Incremental decoder: `feed` bytes, collect finished receipts in `receipts`."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.chinese = False
        self.align = 0
        self.scale = 1
        self.bold = False
        self.qr_store = b""
        self.text = bytearray()
        self.current = PrintedReceipt()
        self.receipts: list[PrintedReceipt] = []
        self.status_requests: list[int] = []

    def feed(self, data: bytes) -> None:
        self.buffer += data
        while self.buffer:
            used = self._step()
            if used == 0:
                return  # wait for the rest of a command
            del self.buffer[:used]

    def _step(self) -> int:
        b = self.buffer
        first = b[0]
        if first == 0x10:
            if len(b) < 3:
                return 0
            self.status_requests.append(b[2])
            return 3
        if first == 0x0A:
            self._end_line()
            return 1
        if first in (0x1B, 0x1C, 0x1D):
            return self._command()
        return self._text_char()

    def _text_char(self) -> int:
        b = self.buffer
        if not self.chinese or b[0] < 0x81:
            self.text.append(b[0] if b[0] < 0x80 else ord("?"))
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
        fixed = {
            b"\x1b\x40": (2, self._reset),
            b"\x1c\x26": (2, lambda: setattr(self, "chinese", True)),
            b"\x1c\x2e": (2, lambda: setattr(self, "chinese", False)),
        }
        if key in fixed:
            size, action = fixed[key]
            action()
            return size
        if key in (b"\x1b\x61", b"\x1d\x21", b"\x1b\x45", b"\x1b\x64"):
            if len(b) < 3:
                return 0
            self._one_parameter(key, b[2])
            return 3
        if key == b"\x1d\x56":
            if len(b) < 4:
                return 0
            self._cut()
            return 4
        if key == b"\x1d\x28":
            return self._qr_command()
        if key == b"\x1d\x76":
            return self._raster()
        return 1  # unknown: skip the escape byte

    def _one_parameter(self, key: bytes, n: int) -> None:
        if key == b"\x1b\x61":
            self.align = n
        elif key == b"\x1d\x21":
            self.scale = (n & 0x0F) + 1
        elif key == b"\x1b\x45":
            self.bold = bool(n)
        else:
            self._end_line()
            self.current.lines.extend(Line() for _ in range(max(0, n - 1)))

    def _qr_command(self) -> int:
        b = self.buffer
        if len(b) < 5:
            return 0
        length = b[3] | b[4] << 8
        if len(b) < 5 + length:
            return 0
        body = bytes(b[5 : 5 + length])
        if body[:3] == b"\x31\x50\x30":
            self.qr_store = body[3:]
        elif body[:3] == b"\x31\x51\x30":
            self.current.lines.append(Line(align=1, qr_data=self.qr_store.decode("utf-8")))
        return 5 + length

    def _raster(self) -> int:
        b = self.buffer
        if len(b) < 8:
            return 0
        width_bytes, height = b[4] | b[5] << 8, b[6] | b[7] << 8
        size = 8 + width_bytes * height
        if len(b) < size:
            return 0
        packed = bytes(x ^ 0xFF for x in b[8:size])
        image = Image.frombytes("1", (width_bytes * 8, height), packed).convert("L")
        self.current.lines.append(Line(align=self.align, image=image))
        return size

    def _end_line(self) -> None:
        text = bytes(self.text).decode("gb18030", errors="replace")
        self.current.lines.append(Line(text, self.align, self.scale, self.bold))
        self.text.clear()

    def _reset(self) -> None:
        """ESC @: modes back to defaults and the unprinted line buffer cleared, as on a real printer."""
        self.align, self.scale, self.bold, self.chinese = 0, 1, False, False
        self.text.clear()

    def _cut(self) -> None:
        if self.text:
            self._end_line()
        self.receipts.append(self.current)
        self.current = PrintedReceipt()


def render_receipt(receipt: PrintedReceipt) -> Image.Image:
    rows: list[Image.Image] = []
    for line in receipt.lines:
        if line.qr_data:
            qr = segno.make_qr(line.qr_data, error="m")
            buffer = Image.new("L", qr.symbol_size(scale=6, border=2), 255)
            draw = ImageDraw.Draw(buffer)
            for y, row in enumerate(qr.matrix_iter(scale=6, border=2)):
                for x, dark in enumerate(row):
                    if dark:
                        draw.point((x, y), 0)
            rows.append(_aligned(buffer, 1))
        elif line.image is not None:
            rows.append(_aligned(line.image, line.align))
        else:
            rows.append(text_row(line.text, ALIGN_NAMES.get(line.align, "left"), line.scale, line.bold))
    page = Image.new("L", (WIDTH_DOTS, sum(r.height for r in rows) + 40), 255)
    y = 20
    for row in rows:
        page.paste(row, (0, y))
        y += row.height
    return page


def _aligned(image: Image.Image, align: int) -> Image.Image:
    row = Image.new("L", (WIDTH_DOTS, image.height), 255)
    x = {0: 0, 1: (WIDTH_DOTS - image.width) // 2, 2: WIDTH_DOTS - image.width}.get(align, 0)
    row.paste(image, (max(0, x), 0))
    return row


class PrinterSimulator(PtyDevice):
    """Faults: `paper_near_end`, `paper_out`, `cover_open`, `offline`, `cutter_error`, `silent`."""

    def __init__(self, baud: int = 115200, output_dir: Path | None = None) -> None:
        super().__init__(baud)
        self.state = EscPosState()
        self.output_dir = output_dir
        self.paper_near_end = False
        self.paper_out = False
        self.cover_open = False
        self.offline = False
        self.cutter_error = False
        self.silent = False

    @property
    def receipts(self) -> list[PrintedReceipt]:
        return self.state.receipts

    def status_byte(self, n: int) -> int:
        fixed = 0x12
        if n == 1:
            return fixed | (0x08 if self.offline or self.cover_open or self.paper_out else 0)
        if n == 2:
            return fixed | (0x04 if self.cover_open else 0) | (0x20 if self.paper_out else 0)
        if n == 3:
            return fixed | (0x08 if self.cutter_error else 0)
        return (
            fixed | (0x0C if self.paper_near_end or self.paper_out else 0) | (0x60 if self.paper_out else 0)
        )

    def on_bytes(self, data: bytes) -> None:
        before_requests = len(self.state.status_requests)
        before_receipts = len(self.state.receipts)
        if self.paper_out or self.cover_open or self.offline:
            self._answer_status_only(data)  # a stopped printer still answers real-time status
            return
        self.state.feed(data)
        for n in self.state.status_requests[before_requests:]:
            if not self.silent:
                self.send(bytes([self.status_byte(n)]))
        for receipt in self.state.receipts[before_receipts:]:
            self._save(receipt)

    def _answer_status_only(self, data: bytes) -> None:
        for i in range(len(data) - 2):
            if data[i] == 0x10 and data[i + 1] == 0x04 and not self.silent:
                self.send(bytes([self.status_byte(data[i + 2])]))

    def _save(self, receipt: PrintedReceipt) -> None:
        if self.output_dir is None:
            return
        self.output_dir.mkdir(parents=True, exist_ok=True)
        number = len(self.state.receipts)
        receipt.png = self.output_dir / f"receipt-{number:03d}.png"
        render_receipt(receipt).save(receipt.png)
        (self.output_dir / f"receipt-{number:03d}.txt").write_text(receipt.text + "\n", encoding="utf-8")

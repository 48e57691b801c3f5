"""Printed documents as data: templates in printer_templates/ rendered to print operations.

The operations go to the printer driver (ESC/POS) and to a PNG preview (screen, tests); this module
knows neither serial ports nor Kivy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import segno
from PIL import Image, ImageDraw, ImageFont

import kiosk
from kiosk import fonts, schema
from kiosk.errors import KioskError
from kiosk.idnumber import last_digits, mask_name

Align = Literal["left", "center", "right"]


@dataclass(frozen=True)
class Text:
    text: str
    align: Align = "left"
    scale: int = 1
    bold: bool = False


@dataclass(frozen=True)
class QrCode:
    data: str
    module: int = 6


@dataclass(frozen=True)
class Feed:
    lines: int = 1


@dataclass(frozen=True)
class Cut:
    partial: bool = True


Op = Text | QrCode | Feed | Cut


@dataclass
class Block:
    text: str = ""
    align: Align = "left"
    scale: int = 1
    bold: bool = False
    rule: bool = False
    qr: str = ""
    feed: int = 0
    cut: bool = False
    each: str = ""
    when: str = ""


@dataclass
class Template:
    name: str
    title: str
    blocks: list[Block] = field(default_factory=list)


def templates_dir() -> Path:
    package = Path(kiosk.__file__).parent
    installed = package / "_printer_templates"
    return installed if installed.exists() else package.parent / "printer_templates"


def load_template(name: str) -> Template:
    return schema.load(Template, templates_dir() / f"{name}.toml", KioskError)


def display_width(text: str) -> int:
    """Printer columns: in Chinese mode every non-ASCII character prints full width (two columns)."""
    return sum(1 if ord(c) < 0x80 else 2 for c in text)


def wrap(text: str, columns: int) -> list[str]:
    """Break `text` into lines of at most `columns` display columns (a Han character is two)."""
    lines, line, width = [], "", 0
    for char in text:
        w = display_width(char)
        if width + w > columns:
            lines.append(line)
            line, width = "", 0
        line += char
        width += w
    return [*lines, line]


def render(template: Template, data: dict[str, Any], columns: int = 48) -> list[Op]:
    ops: list[Op] = []
    for block in template.blocks:
        if block.when and not data.get(block.when):
            continue
        items = data.get(block.each, []) if block.each else [None]
        for item in items:
            context = {**data, **(item if isinstance(item, dict) else {"item": item})}
            ops.extend(_block_ops(block, context, columns))
    return ops


def _block_ops(block: Block, context: dict[str, Any], columns: int) -> list[Op]:
    if block.rule:
        return [Text("-" * columns)]
    if block.qr:
        return [QrCode(block.qr.format_map(context))]
    if block.feed:
        return [Feed(block.feed)]
    if block.cut:
        return [Cut()]
    text = block.text.format_map(context)
    return [Text(line, block.align, block.scale, block.bold) for line in wrap(text, columns // block.scale)]


def receipt_data(
    *,
    case_number: str,
    service_name: str,
    applicant_name: str,
    id_number: str,
    materials: list[dict[str, Any]],
    owed_materials: list[str],
    promised_days: int,
    status_url: str,
    terminal_name: str,
    hotline: str,
    submitted_at: str,
    agent_name: str = "",
) -> dict[str, Any]:
    """The acceptance receipt's fields (the RECEIPT.json contract) with the name and number masked.

    Only this masked form is ever printed or kept for a reprint: 王建国 → 王*国, last four digits.
    """
    return {
        "case_number": case_number,
        "service_name": service_name,
        "applicant_name": mask_name(applicant_name),
        "id_number": last_digits(id_number),
        "materials": materials,
        "owed_materials": owed_materials,
        "promised_days": promised_days,
        "status_url": status_url,
        "terminal_name": terminal_name,
        "hotline": hotline,
        "submitted_at": submitted_at,
        "agent_name": mask_name(agent_name) if agent_name else "",
    }


def receipt_context(data: dict[str, Any]) -> dict[str, Any]:
    """Template variables derived from receipt data (masking again is harmless: it is idempotent)."""
    submitted = datetime.fromisoformat(data["submitted_at"])
    return {
        **data,
        "applicant_masked": mask_name(data["applicant_name"]),
        "id_last4": last_digits(data["id_number"]),
        "agent_masked": mask_name(data.get("agent_name", "")),
        "submitted_display": submitted.strftime("%Y-%m-%d %H:%M"),
    }


def acceptance_receipt_ops(data: dict[str, Any], columns: int = 48) -> list[Op]:
    return render(load_template("acceptance_receipt"), receipt_context(data), columns)


# --- PNG preview -------------------------------------------------------------------------------

LINE_DOTS = 24  # Font A is 12x24 dots


def render_png(ops: list[Op], width_dots: int = 576) -> Image.Image:
    """What the printer will print, as a 1-bit-looking greyscale image of `width_dots` width."""
    parts: list[Image.Image] = []
    for op in ops:
        if isinstance(op, Text):
            parts.append(text_row(op.text, op.align, op.scale, op.bold, width_dots))
        elif isinstance(op, QrCode):
            parts.append(_centered(qr_image(op.data, op.module), width_dots))
        elif isinstance(op, Feed):
            parts.append(Image.new("L", (width_dots, LINE_DOTS * op.lines), 255))
    height = sum(p.height for p in parts) or 1
    page = Image.new("L", (width_dots, height), 255)
    y = 0
    for part in parts:
        page.paste(part, (0, y))
        y += part.height
    return page


def qr_image(data: str, module: int) -> Image.Image:
    qr = segno.make_qr(data, error="m")
    size = qr.symbol_size(scale=module, border=2)[0]
    image = Image.new("L", (size, size), 255)
    draw = ImageDraw.Draw(image)
    for r, row in enumerate(qr.matrix_iter(scale=module, border=2)):
        for c, dark in enumerate(row):
            if dark:
                draw.point((c, r), 0)
    return image


def _centered(image: Image.Image, width: int) -> Image.Image:
    line = Image.new("L", (width, image.height + 8), 255)
    line.paste(image, ((width - image.width) // 2, 4))
    return line


def text_row(
    text: str, align: Align = "left", scale: int = 1, bold: bool = False, width: int = 576
) -> Image.Image:
    """One printed line, characters in the printer's cells: 12 dots for ASCII, 24 for Han, times scale."""
    height = LINE_DOTS * scale
    font = ImageFont.truetype(fonts.truetype_cjk(), int(height * 0.9))
    cells = [(c, LINE_DOTS // 2 * scale * display_width(c)) for c in text]
    used = sum(w for _, w in cells)
    row = Image.new("L", (width, height + 6), 255)
    draw = ImageDraw.Draw(row)
    x = {"left": 0, "center": (width - used) // 2, "right": width - used}[align]
    for char, cell in cells:
        glyph = draw.textlength(char, font=font)
        draw.text((x + (cell - glyph) / 2, 3), char, font=font, fill=0, stroke_width=int(bold), stroke_fill=0)
        x += cell
    return row

"""Printed documents as data: templates in printer_templates/ rendered to print operations.

The operations go to the printer driver (ESC/POS) and to a PNG preview (screen, tests); this module
knows neither serial ports nor Kivy. Only masked personal data ever reaches a template.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
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


@dataclass(frozen=True, eq=False)
class Picture:
    """A 1-bit picture printed as a raster image (test patterns)."""

    image: Image.Image
    align: Align = "center"


@dataclass(frozen=True)
class Feed:
    lines: int = 1


@dataclass(frozen=True)
class Cut:
    partial: bool = True


Op = Text | QrCode | Picture | Feed | Cut


@dataclass
class Block:
    """One template line: text (with an optional right-aligned column and an indented note under
    it), a rule, a QR code, a picture, a feed or the cut; `each` repeats it per list item, `when` and
    `unless` keep it only if a key is set or empty."""

    text: str = ""
    right: str = ""
    note: str = ""
    align: Align = "left"
    scale: int = 1
    bold: bool = False
    rule: bool = False
    qr: str = ""
    picture: str = ""
    feed: int = 0
    cut: bool = False
    each: str = ""
    when: str = ""
    unless: str = ""


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


CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def printable(text: str) -> str:
    """Control characters become spaces: data must never smuggle printer commands into a job."""
    return CONTROL.sub(" ", text)


def display_width(text: str) -> int:
    """Printer columns: in Chinese mode every non-ASCII character prints full width (two columns)."""
    return sum(1 if ord(c) < 0x80 else 2 for c in text)


NO_LINE_START = set("，。、；：？！）】》”’…—·,.;:?!)")  # closing marks never begin a line (避头)
NO_LINE_END = set("（【《“‘(")  # nor do opening marks end one (避尾)


def wrap(text: str, columns: int) -> list[str]:
    """Break `text` into lines of at most `columns` display columns (a Han character is two),
    keeping closing marks off the start of a line and opening marks off its end."""
    lines, line = [], ""
    for char in text:
        if display_width(line + char) > columns:
            cut = len(line) - 1 if char in NO_LINE_START else len(line)
            while cut > 1 and line[cut - 1] in NO_LINE_END:
                cut -= 1
            cut = cut if cut > 0 else len(line)
            lines.append(line[:cut])
            line = line[cut:]
        line += char
    return [*lines, line]


def two_columns(left: str, right: str, columns: int) -> list[str]:
    """`left` wrapped, `right` flush right on its last line (or on a line of its own if no room)."""
    lines = wrap(left, columns)
    room = columns - display_width(lines[-1]) - display_width(right)
    if room >= 1:
        lines[-1] += " " * room + right
    else:
        lines.append(" " * (columns - display_width(right)) + right)
    return lines


@dataclass(frozen=True)
class Page:
    """What the template needs to know about the paper."""

    columns: int = 48
    width_dots: int = 576
    qr_module: int = 6


def render(template: Template, data: dict[str, Any], page: Page | None = None) -> list[Op]:
    page = page or Page()
    ops: list[Op] = []
    for block in template.blocks:
        if (block.when and not data.get(block.when)) or (block.unless and data.get(block.unless)):
            continue
        items = data.get(block.each, []) if block.each else [None]
        for item in items:
            context = {**data, **(item if isinstance(item, dict) else {"item": item})}
            ops.extend(_block_ops(block, context, page))
    return ops


def _block_ops(block: Block, context: dict[str, Any], page: Page) -> list[Op]:
    if block.rule:
        return [Text("-" * page.columns)]
    if block.qr:
        return [QrCode(printable(block.qr.format_map(context)), page.qr_module)]
    if block.picture:
        return [Picture(PICTURES[block.picture](page.width_dots))]
    if block.feed:
        return [Feed(block.feed)]
    if block.cut:
        return [Cut()]
    columns = page.columns // block.scale
    text = printable(block.text.format_map(context))
    if block.right:
        lines = two_columns(text, printable(block.right.format_map(context)), columns)
    else:
        lines = wrap(text, columns)
    note = printable(block.note.format_map(context)).strip()
    if note:
        lines += ["   " + line for line in wrap(note, columns - 3)]
    return [Text(line, block.align, block.scale, block.bold) for line in lines]


def ruler(width_dots: int) -> Image.Image:
    """A test pattern: the full printable width with a tick every 8 dots and a long one every 64,
    so a technician sees the printable width, missing dots and the raster path at once."""
    image = Image.new("L", (width_dots, 48), 255)
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, width_dots - 1, 47], outline=0, width=2)
    for x in range(0, width_dots, 8):
        draw.line([x, 2, x, 40 if x % 64 == 0 else 14], fill=0)
    for x in range(0, width_dots, 2):
        draw.point((x, 44), 0)
    return image


PICTURES = {"ruler": ruler}


# --- The acceptance receipt (受理回执) ----------------------------------------------------------

RECEIPT_KEYS = (
    "case_number",
    "service_name",
    "applicant_name",
    "id_number",
    "materials",
    "owed_materials",
    "promised_days",
    "status_url",
    "terminal_name",
    "hotline",
    "submitted_at",
)


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
    terminal_location: str = "",
) -> dict[str, Any]:
    """The acceptance receipt as kept for a reprint: the RECEIPT.json keys with the name and number
    masked (王建国 → 王*国, last four digits), plus the agent and the terminal's location if any.

    Only this masked form is ever printed or kept on the terminal.
    """
    return {
        "case_number": case_number,
        "service_name": service_name,
        "applicant_name": mask_name(applicant_name),
        "id_number": last_digits(id_number),
        "materials": [{"name": m["name"], "pages": int(m["pages"])} for m in materials],
        "owed_materials": list(owed_materials),
        "promised_days": promised_days,
        "status_url": status_url,
        "terminal_name": terminal_name,
        "hotline": hotline,
        "submitted_at": submitted_at,
        "agent_name": mask_name(agent_name) if agent_name else "",
        "terminal_location": terminal_location,
    }


def check_receipt_json(table: Any, source: str) -> dict[str, Any]:
    """A RECEIPT.json object with exactly RECEIPT_KEYS and the right types; a clear error otherwise."""

    def fail(key: str, reason: str) -> KioskError:
        return KioskError("RECEIPT_INVALID", file=source, key=key, reason=reason)

    if not isinstance(table, dict):
        raise fail("-", "not a JSON object")
    for key in RECEIPT_KEYS:
        if key not in table:
            raise fail(key, "missing")
    extra = sorted(set(table) - set(RECEIPT_KEYS))
    if extra:
        raise fail(extra[0], "unknown key")
    for key in RECEIPT_KEYS:
        if key in ("materials", "owed_materials", "promised_days"):
            continue
        if not isinstance(table[key], str) or not table[key].strip():
            raise fail(key, "must be a non-empty string")
    materials = table["materials"]
    if not isinstance(materials, list) or not all(
        isinstance(m, dict)
        and set(m) == {"name", "pages"}
        and isinstance(m["name"], str)
        and isinstance(m["pages"], int)
        and not isinstance(m["pages"], bool)
        and m["pages"] > 0
        for m in materials
    ):
        raise fail("materials", 'must be a list of {"name": text, "pages": number > 0}')
    owed = table["owed_materials"]
    if not isinstance(owed, list) or not all(isinstance(m, str) and m for m in owed):
        raise fail("owed_materials", "must be a list of names")
    days = table["promised_days"]
    if not isinstance(days, int) or isinstance(days, bool) or days < 0:
        raise fail("promised_days", "must be a whole number of days")
    try:
        datetime.fromisoformat(table["submitted_at"])
    except ValueError:
        raise fail("submitted_at", "must be an ISO 8601 time, e.g. 2026-11-28T09:30:00+08:00") from None
    return receipt_data(**table)


def receipt_context(data: dict[str, Any]) -> dict[str, Any]:
    """Template variables derived from receipt data (masking again is harmless: it is idempotent)."""
    submitted = datetime.fromisoformat(data["submitted_at"])
    return {
        **data,
        "applicant_masked": mask_name(data["applicant_name"]),
        "id_last4": last_digits(data["id_number"]),
        "agent_masked": mask_name(data.get("agent_name", "")),
        "submitted_display": submitted.strftime("%Y-%m-%d %H:%M"),
        "materials_total": sum(m["pages"] for m in data["materials"]),
    }


def acceptance_receipt_ops(data: dict[str, Any], page: Page | None = None, reprint: bool = False) -> list[Op]:
    """The acceptance receipt; a reprint says so (补打), so a torn first copy and the reprint are told apart."""
    context = {**receipt_context(data), "reprint": reprint}
    return render(load_template("acceptance_receipt"), context, page)


# --- The one-time notice of required materials (一次性告知单) -----------------------------------


def notice_data(
    service: Any,
    terminal_name: str,
    hotline: str,
    missing: list[str] = (),
    printed_at: datetime | None = None,
) -> dict[str, Any]:
    """Everything the service requires, at once; `missing` names the material keys the resident lacks."""
    materials = []
    for number, m in enumerate(service.materials, start=1):
        kind = "原件" if m.original else "复印件"
        materials.append(
            {
                "number": number,
                "name": m.name,
                "copies": f"{kind}{m.copies}份",
                "note": m.note,
                "mark": "（尚缺）" if m.key in missing else "",
                "optional": "" if m.required else "（视情况提供）",
            }
        )
    return {
        "service_name": service.name,
        "department": service.department,
        "conditions": list(service.acceptance_conditions),
        "materials": materials,
        "time_limit_days": service.time_limit_days,
        "fee": service.fee,
        "visits": service.visits,
        "terminal_name": terminal_name,
        "hotline": hotline,
        "printed_at": (printed_at or datetime.now()).strftime("%Y-%m-%d %H:%M"),
        "missing_count": len(missing),
    }


def notice_ops(data: dict[str, Any], page: Page | None = None) -> list[Op]:
    return render(load_template("one_time_notice"), data, page)


# --- The village agent's daily list (代办员当日清单) --------------------------------------------

STATE_NAMES = {
    "sealed": "待上传",
    "delivered": "已送达",
    "accepted": "已受理",
    "returned": "退回补正",
    "completed": "已办结",
    "rejected": "不予受理",
}


def agent_list_data(
    agent_name: str, terminal_name: str, cases: list[dict[str, Any]], day: date | None = None
) -> dict[str, Any]:
    """`cases`: dicts with case_number, service_name, masked_name, submitted_at (ISO) and state."""
    rows = [
        {
            "time": datetime.fromisoformat(c["submitted_at"]).strftime("%H:%M"),
            "case_number": c["case_number"],
            "service_name": c["service_name"],
            "masked_name": mask_name(c["masked_name"]),
            "state": STATE_NAMES.get(c["state"], c["state"]),
        }
        for c in cases
    ]
    returned = sum(1 for c in cases if c["state"] == "returned")
    return {
        "agent_masked": mask_name(agent_name),
        "terminal_name": terminal_name,
        "day": (day or date.today()).isoformat(),
        "cases": rows,
        "count": len(rows),
        "returned": returned,
    }


def agent_list_ops(data: dict[str, Any], page: Page | None = None) -> list[Op]:
    return render(load_template("agent_daily_list"), data, page)


# --- The technician's test page -----------------------------------------------------------------

RARE_NAME = "王䲜"  # 䲜 (U+4C9C, CJK Extension A) has a 4-byte GB18030 code: it tests the raster path


def test_page_data(
    profile_name: str, port: str, terminal_id: str, page: Page, printed_at: datetime | None = None
) -> dict[str, Any]:
    return {
        "profile_name": profile_name,
        "port": port,
        "terminal_id": terminal_id,
        "columns": page.columns,
        "width_dots": page.width_dots,
        "printed_at": (printed_at or datetime.now()).strftime("%Y-%m-%d %H:%M:%S"),
        "rare_name": RARE_NAME,
        "qr_text": f"KIOSK-TEST {terminal_id}",
    }


def test_page_ops(data: dict[str, Any], page: Page | None = None) -> list[Op]:
    return render(load_template("test_page"), data, page)


# --- PNG preview -------------------------------------------------------------------------------

LINE_DOTS = 24  # Font A is 12x24 dots


def render_png(ops: list[Op], width_dots: int = 576) -> Image.Image:
    """What the printer will print, as a 1-bit-looking greyscale image of `width_dots` width."""
    parts: list[Image.Image] = []
    for op in ops:
        if isinstance(op, Text):
            parts.append(text_row(op.text, op.align, op.scale, op.bold, width_dots))
        elif isinstance(op, QrCode):
            parts.append(aligned(qr_image(op.data, op.module), "center", width_dots))
        elif isinstance(op, Picture):
            parts.append(aligned(op.image, op.align, width_dots))
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


def aligned(image: Image.Image, align: Align, width: int) -> Image.Image:
    """`image` placed on a full-width row as the printer's justification (ESC a) places it."""
    row = Image.new("L", (width, image.height), 255)
    x = {"left": 0, "center": (width - image.width) // 2, "right": width - image.width}[align]
    row.paste(image, (max(0, x), 0))
    return row


@cache
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


def text_row(
    text: str, align: Align = "left", scale: int = 1, bold: bool = False, width: int = 576
) -> Image.Image:
    """One printed line, characters in the printer's cells: 12 dots for ASCII, 24 for Han, times scale."""
    height = LINE_DOTS * scale
    cells = [(c, LINE_DOTS // 2 * scale * display_width(c)) for c in text]
    used = sum(w for _, w in cells)
    row = Image.new("L", (width, height + 6), 255)
    draw = ImageDraw.Draw(row)
    x = {"left": 0, "center": (width - used) // 2, "right": width - used}[align]
    size = int(height * 0.9)
    baseline = 3 + _font(fonts.truetype_cjk(), size).getmetrics()[0]  # one baseline for both fonts
    for char, cell in cells:
        font = _font(fonts.raster_font_for(char), size)
        glyph = draw.textlength(char, font=font)
        draw.text(
            (x + (cell - glyph) / 2, baseline),
            char,
            font=font,
            fill=0,
            anchor="ls",
            stroke_width=int(bold),
            stroke_fill=0,
        )
        x += cell
    return row

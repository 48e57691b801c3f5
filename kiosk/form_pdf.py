"""The signed application form (申请表) as an A4 PDF/A-2b file, built from the application, its service
and the session's files: what the township files.

reportlab draws it with WenQuanYi Micro Hei embedded as subsets; pikepdf adds the sRGB output intent
and the XMP metadata PDF/A needs and validates what it wrote. No device, UI or network code.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from reportlab import rl_config
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from kiosk import fonts
from kiosk.application import Application, Person
from kiosk.catalog import Service
from kiosk.errors import KioskError
from kiosk.session_store import SessionStore

log = logging.getLogger(__name__)

FONT = "WenQuanYiMicroHei"
WIDTH, HEIGHT = A4
MARGIN = 18 * mm
BODY = 10.5
LINE = 6.2 * mm
FORM_FILE = "application_form.pdf"


@contextmanager
def _font_registered() -> Iterator[None]:
    """WenQuanYi registered with reportlab for one form and let go after it. reportlab's parse of it
    is some 20 MB of Python objects (0.3 s a form); held from the first form on, the PDF/A check's
    imports and the receipt came on top of it instead of reusing it (docs/ui.md, "Memory")."""
    # Binary streams: reportlab's pure-Python ASCII85 of the page images would take seconds a page.
    rl_config.useA85 = 0
    font = TTFont(FONT, fonts.truetype_cjk(), subfontIndex=0)
    pdfmetrics.registerFont(font)
    try:
        yield
    finally:  # reportlab has no call to unregister a font: its two registries by name
        pdfmetrics._fonts.pop(FONT, None)
        pdfmetrics._dynFaceNames.pop(font.face.name, None)


@dataclass(frozen=True)
class Terminal:
    """Where the form was signed (from the configuration's [terminal] table)."""

    name: str = ""
    location: str = ""


class _Writer:
    """A page cursor over a reportlab canvas: headings, label/value rows, wrapped paragraphs."""

    def __init__(self, pdf: canvas.Canvas, footer: str, total_pages: int) -> None:
        self.pdf = pdf
        self.footer = footer
        self.total = total_pages
        self.page = 1
        self.y = HEIGHT - MARGIN

    def font(self, size: float = BODY) -> None:
        self.pdf.setFont(FONT, size)

    def title(self, text: str, size: float = 18) -> None:
        self.font(size)
        self.pdf.drawCentredString(WIDTH / 2, self.y - size, text)
        self.y -= size + 5 * mm

    def heading(self, text: str) -> None:
        self.y -= 2 * mm
        self.font(12.5)
        self.pdf.drawString(MARGIN, self.y - 12.5, text)
        self.y -= 12.5 + 1.5 * mm
        self.pdf.setLineWidth(0.6)
        self.pdf.line(MARGIN, self.y, WIDTH - MARGIN, self.y)
        self.y -= 2 * mm

    def row(
        self, label: str, value: str, right: float = WIDTH - MARGIN, label_width: float = 30 * mm
    ) -> None:
        lines = wrap(value or "—", right - MARGIN - label_width, BODY)
        self.font()
        self.pdf.setFillGray(0.35)
        self.pdf.drawString(MARGIN, self.y - BODY, label)
        self.pdf.setFillGray(0)
        for line in lines:
            draw_text(self.pdf, MARGIN + label_width, self.y - BODY, line, BODY)
            self.y -= LINE
        self.y -= 0.5 * mm

    def paragraph(self, text: str, size: float = BODY) -> None:
        self.font(size)
        for line in wrap(text, WIDTH - 2 * MARGIN, size):
            self.pdf.drawString(MARGIN, self.y - size, line)
            self.y -= size * 1.55
        self.y -= 1 * mm

    def next_page(self) -> None:
        self.finish_page()
        self.page += 1
        self.y = HEIGHT - MARGIN

    def finish_page(self) -> None:
        self.font(8.5)
        self.pdf.setFillGray(0.35)
        text = f"{self.footer}    第 {self.page} 页 / 共 {self.total} 页"
        self.pdf.drawCentredString(WIDTH / 2, 10 * mm, text)
        self.pdf.setFillGray(0)
        self.pdf.showPage()


@cache
def _outline_font() -> Any:
    from fontTools.ttLib import TTFont

    return TTFont(fonts.ui_font())


def _covered(char: str) -> bool:
    return ord(char) in fonts.coverage(fonts.truetype_cjk())


def _outline_glyph(pdf: canvas.Canvas, char: str, x: float, y: float, size: float) -> float:
    """A character WenQuanYi lacks (CJK Extension A/B, common in names) drawn as its outline from
    Noto Sans CJK SC: text showing it would reference .notdef, which PDF/A forbids. Returns the advance."""
    from fontTools.pens.basePen import BasePen

    class PathPen(BasePen):
        def __init__(self, glyphs: Any, path: Any) -> None:
            super().__init__(glyphs)
            self.path = path

        def _moveTo(self, p):
            self.path.moveTo(*p)

        def _lineTo(self, p):
            self.path.lineTo(*p)

        def _curveToOne(self, p1, p2, p3):
            self.path.curveTo(*p1, *p2, *p3)

        def _closePath(self):
            self.path.close()

    font = _outline_font()
    name = font.getBestCmap().get(ord(char))
    scale = size / font["head"].unitsPerEm
    if name is None:  # in no font here: an empty box, as a clerk would see an unknown character
        pdf.rect(x + size * 0.1, y - size * 0.1, size * 0.8, size * 0.9)
        return size
    glyph = font.getGlyphSet()[name]
    pen = PathPen(font.getGlyphSet(), pdf.beginPath())
    glyph.draw(pen)
    pdf.saveState()
    pdf.translate(x, y)
    pdf.scale(scale, scale)
    pdf.drawPath(pen.path, stroke=0, fill=1)
    pdf.restoreState()
    return glyph.width * scale


def draw_text(pdf: canvas.Canvas, x: float, y: float, text: str, size: float) -> None:
    """Text in WenQuanYi, with any character it lacks drawn as an outline in its place."""
    run = ""
    for char in text + "\0":
        if char != "\0" and _covered(char):
            run += char
            continue
        if run:
            pdf.setFont(FONT, size)
            pdf.drawString(x, y, run)
            x += pdfmetrics.stringWidth(run, FONT, size)
            run = ""
        if char != "\0":
            x += _outline_glyph(pdf, char, x, y, size)


def _width(text: str, size: float) -> float:
    return sum(pdfmetrics.stringWidth(c, FONT, size) if _covered(c) else size for c in text)


def wrap(text: str, width: float, size: float) -> list[str]:
    """Lines of `text` no wider than `width` points (Chinese breaks anywhere)."""
    lines, line = [], ""
    for char in text:
        if _width(line + char, size) > width and line:
            lines.append(line)
            line = ""
        line += char
    return [*lines, line]


def _date(iso: str) -> str:
    moment = datetime.fromisoformat(iso) if iso else datetime.now()
    return f"{moment.year}年{moment.month}月{moment.day}日"


def _validity(person: Person) -> str:
    end = person.valid_to or ""
    return f"{person.valid_from} 至 {end}" if person.valid_from else end


def _person_rows(writer: _Writer, person: Person, right: float) -> None:
    rows = [
        ("姓名", person.name or person.name_en),
        ("性别", person.sex),
        ("民族", person.nation),
        ("出生日期", person.birth_date),
        ("公民身份号码", person.id_number),
        ("住址", person.address),
        ("签发机关", person.issuer),
        ("有效期限", _validity(person)),
    ]
    if person.name_en and person.name:
        rows.insert(1, ("英文姓名", person.name_en))
    for label, value in rows:
        writer.row(label, value, right)


def _photo_box(writer: _Writer, person: Person, store: SessionStore, top: float) -> None:
    """The ID card photo if the reader's vendor library decoded one, else a labelled empty frame."""
    box_w, box_h = 26 * mm, 32 * mm
    x, y = WIDTH - MARGIN - box_w, top - box_h
    pdf = writer.pdf
    pdf.setLineWidth(0.6)
    pdf.rect(x, y, box_w, box_h)
    if person.photo in store.names():
        pdf.drawImage(
            ImageReader(io.BytesIO(store.get(person.photo))), x, y, box_w, box_h, preserveAspectRatio=True
        )
        return
    writer.font(7.5)
    pdf.setFillGray(0.4)
    for i, line in enumerate(("证件照片", "（阅读器厂商", "解码库未安装）")):
        pdf.drawCentredString(x + box_w / 2, y + box_h / 2 + 4 * mm - i * 4 * mm, line)
    pdf.setFillGray(0)


def _signature(writer: _Writer, image: bytes | None, label: str, date: str) -> None:
    """The signature image at the signature place, with the date beside it."""
    pdf = writer.pdf
    box_w, box_h = 70 * mm, 24 * mm
    x = WIDTH - MARGIN - box_w - 38 * mm
    y = writer.y - box_h
    writer.font()
    pdf.drawString(x - 30 * mm, y + 4 * mm, label)
    pdf.setLineWidth(0.5)
    pdf.line(x, y + 2.5 * mm, x + box_w, y + 2.5 * mm)
    if image:
        pdf.drawImage(
            ImageReader(io.BytesIO(image)), x, y + 1 * mm, box_w, box_h, preserveAspectRatio=True, anchor="sw"
        )
    pdf.drawString(x + box_w + 4 * mm, y + 4 * mm, f"日期：{date}")
    writer.y = y - 4 * mm


DECLARATION = (
    "本人承诺：以上填写的信息和提交的材料真实、准确、完整，如有虚假，愿承担相应的法律责任。"
    "本人同意工作人员为办理本事项核实、使用上述个人信息。"
)
CONSENT = (
    "本人委托上述代办员代为办理本事项，包括在自助终端读取本人身份证、拍摄和提交本人的申请材料、"
    "填写申请表。代办员在本人知情和在场的情况下办理，委托仅限本次申请。"
)


def _file(store: SessionStore, name: str) -> bytes | None:
    return store.get(name) if name and name in store.names() else None


def _applicant_page(
    writer: _Writer, application: Application, service: Service, store: SessionStore, terminal: Terminal
) -> None:
    person = application.applicant
    assert person is not None
    writer.title(f"{service.name}申请表")
    writer.font(9)
    writer.pdf.drawCentredString(
        WIDTH / 2,
        writer.y - 1 * mm,
        f"受理编号 {application.case_number or '（待分配）'}　　办理机关 {service.department}",
    )
    writer.y -= 5 * mm
    writer.heading("一、申请人信息（读取自身份证）")
    top = writer.y
    _person_rows(writer, person, WIDTH - MARGIN - 30 * mm)
    _photo_box(writer, person, store, top)
    writer.heading("二、申请内容")
    labels = {f.key: f.label for f in service.form}
    for key, value in application.form.items():
        writer.row(labels.get(key, key), value)
    writer.heading("三、提交的材料")
    for material in service.materials:
        pages = len(application.pages_for(material.key))
        if material.replaced_by_id_card:
            state = "已读取身份证"
        elif pages:
            state = f"已拍摄 {pages} 页（见附件）"
        else:
            state = "未提交（容缺，须补交）" if material.required else "未提交"
        writer.row(material.name, state, label_width=70 * mm)
    writer.heading("四、申请人承诺")
    writer.paragraph(DECLARATION)
    where = f"提交终端：{terminal.name}　{terminal.location}".strip()
    writer.paragraph(where, 9)
    signed = application.signature
    _signature(
        writer,
        _file(store, signed.image_file) if signed else None,
        "申请人（签名）：",
        _date(application.created_at),
    )


def _agent_page(writer: _Writer, application: Application, store: SessionStore) -> None:
    agent, consent = application.agent, application.consent or {}
    assert agent is not None
    writer.title("代办授权委托书")
    writer.heading("代办员")
    _person_rows(writer, agent, WIDTH - MARGIN)
    writer.heading("委托")
    writer.paragraph(str(consent.get("text") or CONSENT))
    signed_at = str(consent.get("signed_at") or application.created_at)
    image = _file(store, str(consent.get("signature_file", ""))) or (
        _file(store, application.signature.image_file) if application.signature else None
    )
    writer.y -= 4 * mm
    _signature(writer, image, "委托人（签名）：", _date(signed_at))


class _JpegPage(ImageReader):
    """A page photo for reportlab, which embeds a JPEG as it is but names each image by hashing its
    decoded pixels (a second a page): the compressed bytes name it just as well."""

    def __init__(self, jpeg: bytes) -> None:
        super().__init__(io.BytesIO(jpeg))
        self._jpeg = jpeg
        self._dataA = None  # a photo has no alpha channel

    def getRGBData(self) -> bytes:
        return self._jpeg


def _material_pages(writer: _Writer, application: Application, service: Service, store: SessionStore) -> None:
    total = len(application.pages)
    for number, page in enumerate(application.pages, start=1):
        writer.next_page()
        name = service.material(page.material_key).name
        k = application.pages_for(page.material_key).index(page) + 1
        writer.font(10)
        writer.pdf.drawString(
            MARGIN, writer.y - 10, f"附件 {number}/{total}：{name}　第 {k} 页　（{page.dpi} dpi）"
        )
        box_top = writer.y - 10 - 4 * mm
        box_h = box_top - 16 * mm
        image = _JpegPage(store.get(page.file))
        writer.pdf.drawImage(
            image, MARGIN, 16 * mm, WIDTH - 2 * MARGIN, box_h, preserveAspectRatio=True, anchor="n"
        )


def draw(application: Application, service: Service, store: SessionStore, terminal: Terminal) -> bytes:
    """The form as a plain PDF (reportlab), before the PDF/A post-processing."""
    with _font_registered():
        return _drawn(application, service, store, terminal)


def _drawn(application: Application, service: Service, store: SessionStore, terminal: Terminal) -> bytes:
    out = io.BytesIO()
    pdf = canvas.Canvas(
        out, pagesize=A4, initialFontName=FONT, initialFontSize=BODY, lang="zh-CN", pageCompression=1
    )
    pdf.setTitle(f"{service.name}申请表 {application.case_number}")
    pdf.setAuthor(terminal.name or "kiosk")
    pdf.setSubject(service.name)
    pdf.setCreator("kiosk form_pdf")
    total = 1 + (application.agent is not None) + len(application.pages)
    footer = f"受理编号 {application.case_number}" if application.case_number else application.application_id
    writer = _Writer(pdf, footer, total)
    _applicant_page(writer, application, service, store, terminal)
    if application.agent is not None:
        writer.next_page()
        _agent_page(writer, application, store)
    _material_pages(writer, application, service, store)
    writer.finish_page()
    pdf.save()
    return out.getvalue()


def to_pdfa(document: bytes) -> bytes:
    """PDF/A-2b: pikepdf adds the sRGB output intent and the XMP identification, writes the file and
    validates what it wrote (its allow-list validator); raises FORM_PDF_FAILED if it does not pass.

    A failure is tried once more before it counts: pikepdf's content checker records warnings
    process-wide (`warnings.catch_warnings` is not thread-local), so a warning raised meanwhile on
    another thread (the camera's, say) reads as a fault in this file. A real fault comes back."""
    from pikepdf import pdfa

    try:
        return _as_pdfa(document)
    except pdfa.PdfaError:
        log.warning("form.pdfa_retried", extra={"event": "form.pdfa_retried"})
    try:
        return _as_pdfa(document)
    except pdfa.PdfaError as e:
        raise KioskError("FORM_PDF_FAILED", reason=e.report.summary(5)) from None


def _as_pdfa(document: bytes) -> bytes:
    import pikepdf
    from pikepdf import pdfa

    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(document)) as pdf:
        for page in pdf.pages:
            if "/Trans" in page.obj:  # reportlab's empty slide-show transition: not a PDF/A construct
                del page.obj["/Trans"]
        pdfa.save(pdf, out, "2b")
    return out.getvalue()


def build(application: Application, service: Service, store: SessionStore, terminal: Any = None) -> bytes:
    """The signed application form, PDF/A-2b. `terminal` is anything with `name` and `location`
    (the configuration's TerminalConfig)."""
    where = Terminal(getattr(terminal, "name", ""), getattr(terminal, "location", ""))
    return to_pdfa(draw(application, service, store, where))

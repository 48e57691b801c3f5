"""A complete synthetic application (fictional people, generated page images, a written signature)
for tests and benchmarks of what is built from an application: the form PDF, the bundle.

Everything is made in code; nothing here comes from a real person.
"""

from __future__ import annotations

import hashlib
import io

from PIL import Image, ImageDraw, ImageFont

from kiosk import fonts, signature
from kiosk.application import Application, Page, Person, Signature
from kiosk.catalog import Service
from kiosk.demo import form_answers
from kiosk.session_store import SessionStore
from kiosk.sim import people
from kiosk.sim.sigpad import synthetic_signature


def person(card: people.SyntheticCard) -> Person:
    birth = card.birth
    return Person(
        card_type=card.card_type,
        name=card.name,
        id_number=card.id_number,
        sex="男" if card.sex_code == "1" else "女",
        nation="汉",
        birth_date=f"{birth[:4]}年{int(birth[4:6])}月{int(birth[6:])}日",
        address=card.address,
        issuer=card.issuer,
        valid_from=card.valid_from,
        valid_to=card.valid_to,
    )


def page_jpeg(title: str, number: int, dpi: int = 200) -> bytes:
    """An A4 page photographed and corrected: a heading, ruled lines of text, a stamp-like circle."""
    width, height = round(210 / 25.4 * dpi), round(297 / 25.4 * dpi)
    image = Image.new("RGB", (width, height), (250, 249, 244))
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(fonts.truetype_cjk(), dpi // 4)
    draw.text((width // 10, height // 12), f"{title}（示例材料 第{number}页）", font=font, fill=(20, 20, 20))
    for row in range(18):
        y = height // 6 + row * dpi // 3
        draw.text(
            (width // 10, y), f"第{row + 1}行：示例县示例镇示例村 仅供测试", font=font, fill=(40, 40, 40)
        )
    draw.ellipse(
        [width * 0.6, height * 0.75, width * 0.85, height * 0.75 + width * 0.25],
        outline=(190, 30, 30),
        width=8,
    )
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85, dpi=(dpi, dpi))
    return out.getvalue()


def signature_strokes() -> list[list[tuple[float, float, float, float]]]:
    return [
        [(x / 100, y / 100, p / 1023, (k * 80 + i) * 7.5) for i, (x, y, p) in enumerate(stroke)]
        for k, stroke in enumerate(synthetic_signature())
    ]


def synthetic_application(
    store: SessionStore,
    service: Service,
    pages: int = 2,
    agent: bool = False,
    case_number: str = "000126112800019",
) -> Application:
    """An application ready to submit: applicant, form, `pages` page images spread over the
    service's materials, a signature, and an agent with consent if asked."""
    application = Application(service_code=service.code, channel="agent" if agent else "resident")
    application.applicant = person(people.resident())
    application.form = form_answers(service.form)
    application.case_number = case_number
    materials = service.materials_to_photograph
    for index in range(pages):
        material = materials[index % len(materials)]
        jpeg = page_jpeg(material.name, index + 1)
        name = store.put(f"page-{index:03d}-{material.key}.jpg", jpeg)
        page = Page(material.key, name, 1654, 2339, 200, hashlib.sha256(jpeg).hexdigest())
        application.pages.append(page)
    strokes = signature_strokes()
    for name, data in signature.session_files(strokes, "pad").items():
        store.put(name, data)
    application.signature = Signature(strokes, signature.IMAGE_FILE, "pad")
    if agent:
        application.agent = person(people.resident(name="李秀英", sex_code="2", birth="19780512", sequence=7))
        application.consent = {"signed_at": application.created_at}
    return application

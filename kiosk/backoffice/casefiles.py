"""A received case as staff see it: the decrypted manifest and files that intake filed, made readable.

Reads only; knows the manifest's shape (kiosk/application.py) and the service catalog, tolerates
missing parts (an older terminal, a card without a decoded photo). No HTML here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.catalog import Catalog, Service

IMAGE_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".bmp": "image/bmp"}
# The applicant's `photo` is a file name, or "decoded" with the reader's decoded photo under one of these.
DECODED_PHOTOS = ("idcard_photo.bmp", "idcard_photo.png", "idcard_photo.jpg")


@dataclass
class PageView:
    file: str
    width: int
    height: int
    warnings: list[str]


@dataclass
class MaterialView:
    key: str
    name: str
    required: bool
    pages: list[PageView] = field(default_factory=list)


@dataclass
class CaseView:
    manifest: dict[str, Any]
    service_name: str
    department: str
    applicant: dict[str, Any]
    photo: str  # a file name, or "" when no decoded photo came with the card
    form: list[tuple[str, str]]
    materials: list[MaterialView]
    signatures: list[tuple[str, str]]  # (what it signs, image file)
    agent: dict[str, Any] | None
    channel: str
    supersedes: str
    terminal: dict[str, Any]
    phone: str


class CaseFiles:
    def __init__(self, case_dir: Callable[[str], Path], catalog: Catalog) -> None:
        self.case_dir = case_dir
        self.catalog = catalog

    def manifest(self, bundle_id: str) -> dict[str, Any] | None:
        try:
            return json.loads((self.case_dir(bundle_id) / "manifest.json").read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return None

    def file(self, bundle_id: str, name: str) -> Path | None:
        """A file of the case, only if the manifest lists it (names never reach the filesystem raw)."""
        if name not in listed_files(self.manifest(bundle_id) or {}):
            return None
        path = self.case_dir(bundle_id) / "files" / name
        return path if path.is_file() else None

    def view(self, bundle_id: str, service_code: str) -> CaseView | None:
        manifest = self.manifest(bundle_id)
        if manifest is None:
            return None
        application = manifest.get("application") or {}
        service = self.catalog.services.get(service_code)
        files = listed_files(manifest)
        applicant = application.get("applicant") or {}
        return CaseView(
            manifest=manifest,
            service_name=(manifest.get("service") or {}).get("name") or (service.name if service else ""),
            department=(manifest.get("service") or {}).get("department", ""),
            applicant=applicant,
            photo=_photo(str(applicant.get("photo", "")), files),
            form=_form(application.get("form") or {}, service),
            materials=_materials(application.get("pages") or [], service),
            signatures=_signatures(application, files),
            agent=application.get("agent"),
            channel=application.get("channel", "resident"),
            supersedes=application.get("supersedes", ""),
            terminal=manifest.get("terminal") or {},
            phone=phone_number(application.get("form") or {}, service),
        )


def listed_files(manifest: dict[str, Any]) -> set[str]:
    """The names of the bundle's files (docs/bundle-format.md: `files` is a list of name, size, digest)."""
    entries = manifest.get("files")
    return (
        {str(e.get("name")) for e in entries if isinstance(e, dict)} if isinstance(entries, list) else set()
    )


def _is_image(name: str) -> bool:
    return Path(name).suffix.lower() in IMAGE_TYPES


def _photo(photo: str, files: set[str]) -> str:
    candidates = DECODED_PHOTOS if photo == "decoded" else (photo,)
    return next((name for name in candidates if name in files and _is_image(name)), "")


def _form(answers: dict[str, Any], service: Service | None) -> list[tuple[str, str]]:
    labels = {f.key: f.label for f in service.form} if service else {}
    return [(labels.get(key, key), str(value)) for key, value in answers.items()]


def _materials(pages: list[dict[str, Any]], service: Service | None) -> list[MaterialView]:
    views = (
        {m.key: MaterialView(m.key, m.name, m.required) for m in service.materials_to_photograph}
        if service
        else {}
    )
    for page in pages:
        key = str(page.get("material_key", ""))
        view = views.setdefault(key, MaterialView(key, key, False))
        view.pages.append(
            PageView(
                str(page.get("file", "")),
                int(page.get("width", 0)),
                int(page.get("height", 0)),
                list(page.get("warnings", [])),
            )
        )
    return list(views.values())


def _signatures(application: dict[str, Any], files: set[str]) -> list[tuple[str, str]]:
    found = []
    for what, part in (
        ("申请人签名", application.get("signature")),
        ("代办授权签名", application.get("consent")),
    ):
        image = (part or {}).get("image_file", "") if isinstance(part, dict) else ""
        if image in files and _is_image(image):
            found.append((what, image))
    return found


def phone_number(answers: dict[str, Any], service: Service | None) -> str:
    """The resident's phone number from the form: a field of type phone, else the key `phone`."""
    keys = [f.key for f in service.form if f.type == "phone"] if service else []
    for key in [*keys, "phone"]:
        if str(answers.get(key, "")).strip():
            return str(answers[key]).strip()
    return ""

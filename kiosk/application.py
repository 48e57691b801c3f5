"""The application (申请) one transaction builds: who applies, for what, with which pages and signature.

Plain records, JSON-serialisable for the bundle manifest; file contents live in the session store.
"""

from __future__ import annotations

import dataclasses
import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from kiosk.idnumber import last_digits, mask_name


@dataclass
class Person:
    """Identity data as read from a card (the parser's fields, minus the raw blocks)."""

    card_type: str
    name: str
    id_number: str
    sex: str = ""
    nation: str = ""
    birth_date: str = ""
    address: str = ""
    issuer: str = ""
    valid_from: str = ""
    valid_to: str = ""
    name_en: str = ""
    photo: str = "unavailable"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def masked_name(self) -> str:
        return mask_name(self.name or self.name_en)


@dataclass
class Page:
    """One captured page of a material; `file` names the encrypted file in the session store."""

    material_key: str
    file: str
    width: int
    height: int
    dpi: int
    sha256: str
    warnings: list[str] = field(default_factory=list)
    original_file: str = ""


@dataclass
class Signature:
    """Pen samples per stroke as (x_mm, y_mm, pressure 0..1, t_ms) and the rendered image's file."""

    strokes: list[list[tuple[float, float, float, float]]]
    image_file: str
    source: Literal["pad", "touch"] = "pad"

    @property
    def point_count(self) -> int:
        return sum(len(s) for s in self.strokes)


@dataclass
class Application:
    service_code: str
    channel: Literal["resident", "agent"] = "resident"
    application_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    created_at: str = field(default_factory=lambda: datetime.now().astimezone().isoformat(timespec="seconds"))
    applicant: Person | None = None
    agent: Person | None = None
    form: dict[str, str] = field(default_factory=dict)
    pages: list[Page] = field(default_factory=list)
    signature: Signature | None = None
    consent: dict[str, Any] | None = None
    case_number: str = ""
    supersedes: str = ""

    def pages_for(self, material_key: str) -> list[Page]:
        return [p for p in self.pages if p.material_key == material_key]

    def manifest(self) -> dict[str, Any]:
        """Everything but file contents, as it goes into the sealed bundle."""
        return dataclasses.asdict(self)

    def public_summary(self) -> dict[str, str]:
        """The only data kept on the terminal after sealing: nothing that identifies the person.

        `id_check` lets the status query confirm the last six digits of the ID number without
        keeping them; agents are told apart by masked name and last four digits, as on a receipt.
        """
        person, agent = self.applicant, self.agent
        return {
            "case_number": self.case_number,
            "service_code": self.service_code,
            "masked_name": person.masked_name if person else "",
            "id_last4": last_digits(person.id_number) if person else "",
            "id_check": id_check(self.case_number, last_digits(person.id_number, 6)) if person else "",
            "channel": self.channel,
            "agent_masked_name": agent.masked_name if agent else "",
            "agent_id_last4": last_digits(agent.id_number) if agent else "",
            "supersedes": self.supersedes,
        }


def id_check(case_number: str, id_last6: str) -> str:
    """A digest binding a case to the last six characters of its applicant's ID number."""
    return hashlib.sha256(f"{case_number}:{id_last6.upper()}".encode()).hexdigest()[:32]

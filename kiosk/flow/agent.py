"""Village agent mode (代办): the agent's case list with the township's decisions, and the consent
(授权委托) a resident signs. The register of agents and their PINs is kiosk/agents.py.

Kivy-free; nothing here keeps more of a resident than the receipt shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kiosk.application import Person
from kiosk.i18n import tr
from kiosk.idnumber import last_digits
from kiosk.outbox import Entry

# Order of the case list: what needs the agent's action first.
STATE_ORDER = {"returned": 0, "sealed": 1, "delivered": 2, "accepted": 3, "rejected": 4, "completed": 5}


@dataclass(frozen=True)
class CaseRow:
    """One line of the agent's case list: nothing that identifies the resident beyond the receipt."""

    case_number: str
    service_code: str
    service_name: str
    state: str
    note: str
    masked_name: str
    id_last4: str
    created_at: str
    superseded_by: str = ""

    @property
    def correctable(self) -> bool:
        return self.state == "returned" and not self.superseded_by


def belongs_to(summary: dict[str, Any], agent: Person) -> bool:
    return (
        summary.get("channel") == "agent"
        and summary.get("agent_masked_name") == agent.masked_name
        and summary.get("agent_id_last4") == last_digits(agent.id_number)
    )


def agent_cases(entries: list[Entry], agent: Person) -> list[CaseRow]:
    """The agent's submissions on this terminal, cases sent back for correction first."""
    mine = [e for e in entries if belongs_to(e.summary, agent)]
    superseded = {e.summary.get("supersedes"): e.case_number for e in mine if e.summary.get("supersedes")}
    rows = [
        CaseRow(
            case_number=e.case_number,
            service_code=e.service_code,
            service_name=e.summary.get("service_name", e.service_code),
            state=e.state,
            note=e.decision_note,
            masked_name=e.summary.get("masked_name", ""),
            id_last4=e.summary.get("id_last4", ""),
            created_at=e.created_at,
            superseded_by=superseded.get(e.case_number, ""),
        )
        for e in mine
    ]
    rows.sort(key=lambda r: r.created_at, reverse=True)
    rows.sort(key=lambda r: (not r.correctable, STATE_ORDER.get(r.state, 9)))
    return rows


def same_person(person: Person, row: CaseRow) -> bool:
    """Whether a card read now is the applicant of a case (the terminal keeps only masked data)."""
    return person.masked_name == row.masked_name and last_digits(person.id_number) == row.id_last4


def consent_text(resident: Person, agent: Person, service_name: str, language: str) -> str:
    return tr(
        "ui.consent.text",
        language,
        resident=resident.masked_name,
        agent=agent.masked_name,
        agent_last4=last_digits(agent.id_number),
        service=service_name,
    )

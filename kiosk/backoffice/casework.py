"""Staff decisions on a case: which are allowed when, what each must say, and the text message after.

受理 accepted / 退回补正 returned (naming the materials) / 办结 completed / 不予受理 rejected (with a
reason). Every decision is stored with who and when, and kiosks poll for them. No HTTP here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from kiosk.backoffice.casefiles import CaseFiles
from kiosk.backoffice.notify import Notifier, NotifyError
from kiosk.backoffice.store import RECEIVED, Store
from kiosk.errors import KioskError
from kiosk.i18n import tr

log = logging.getLogger(__name__)

ACCEPTED, RETURNED, COMPLETED, REJECTED = "accepted", "returned", "completed", "rejected"
ALLOWED_FROM = {
    ACCEPTED: (RECEIVED,),
    RETURNED: (RECEIVED, ACCEPTED),
    COMPLETED: (ACCEPTED,),
    REJECTED: (RECEIVED, ACCEPTED),
}
OPEN_STATES = (RECEIVED, ACCEPTED)
STATES = (RECEIVED, *ALLOWED_FROM)


class DecisionError(KioskError):
    code = "DECISION_INVALID"


@dataclass(frozen=True)
class Material:
    key: str
    name: str


def state_label(state: str, language: str = "zh_CN") -> str:
    return tr(f"backoffice.state.{state}", language)


def decision_note(state: str, note: str, materials: list[Material]) -> str:
    """The one line a kiosk and a resident see: the materials to bring again, then the staff's words."""
    if state == RETURNED:
        named = "、".join(m.name for m in materials)
        return tr("backoffice.note.returned", materials=named) + (f" {note}" if note else "")
    return note


class Casework:
    def __init__(self, store: Store, files: CaseFiles, notifier: Notifier, township_name: str) -> None:
        self.store = store
        self.files = files
        self.notifier = notifier
        self.township_name = township_name

    def allowed(self, state: str) -> list[str]:
        """The decisions staff may take on a case in `state`."""
        return [decision for decision, sources in ALLOWED_FROM.items() if state in sources]

    def decide(
        self,
        case_number: str,
        decision: str,
        staff: str,
        note: str = "",
        materials: list[Material] | None = None,
    ) -> int:
        """Record the decision; returns its sequence number. Raises DecisionError with a reason."""
        materials = materials or []
        case = self.store.case(case_number)
        if case is None:
            raise DecisionError("DECISION_UNKNOWN_CASE")
        if decision not in self.allowed(case["state"]):
            raise DecisionError("DECISION_NOT_ALLOWED", state=state_label(case["state"]))
        if decision == RETURNED and not materials:
            raise DecisionError("DECISION_NEEDS_MATERIALS")
        if decision == REJECTED and not note.strip():
            raise DecisionError("DECISION_NEEDS_REASON")
        line = decision_note(decision, note.strip(), materials)
        seq = self.store.decide(
            case_number, decision, line, [m.__dict__ for m in materials], staff, expected=case["state"]
        )
        if seq is None:  # someone else decided in between
            raise DecisionError("DECISION_NOT_ALLOWED", state=state_label(case["state"]))
        log.info("case.decided", extra={"event": "case.decided", "state": decision})
        return seq

    def notify(self, case_number: str) -> str:
        """Text the resident the case's current state; returns the outcome recorded for staff."""
        case = self.store.case(case_number)
        if case is None:
            return "unknown case"
        view = self.files.view(case["bundle_id"], case["service_code"])
        if view is None or not view.phone:
            outcome = "no phone number"
        else:
            text = tr(
                f"backoffice.sms.{case['state']}",
                sender=self.township_name,
                case=case_number,
                service=view.service_name,
                note=case["note"],
            )
            try:
                self.notifier.send(view.phone, text)
                outcome = "sent"
            except NotifyError as e:
                outcome = f"failed: {e.detail or e.code}"
                log.warning("sms.failed", extra={"event": "sms.failed", "code": e.code})
        self.store.record_notification(case_number, self.notifier.name, outcome)
        return outcome

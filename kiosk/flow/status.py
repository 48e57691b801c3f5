"""The status query (办理进度查询) and the satisfaction rating (好差评), over what the terminal keeps
after a case is sealed: its masked summary in the outbox, never the person's data.

Kivy-free. A typed query needs the case number and the last six digits of the ID number; the QR
code printed on the receipt is proof enough by itself (whoever holds the receipt may see it).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from kiosk.application import id_check
from kiosk.errors import KioskError
from kiosk.outbox import Entry, Outbox

CASE_NUMBER = re.compile(r"(?<!\d)(\d{15})(?!\d)")
RATING_LEVELS = ("very_satisfied", "satisfied", "basic", "dissatisfied", "very_dissatisfied")
RATING_REASONS = ("fast", "clear", "easy", "slow", "confusing", "device_fault", "too_many_materials")


@dataclass(frozen=True)
class CaseStatus:
    case_number: str
    service_name: str
    state: str
    note: str
    masked_name: str
    created_at: str
    receipt: dict[str, Any]


def _status(entry: Entry) -> CaseStatus:
    summary = entry.summary
    return CaseStatus(
        case_number=entry.case_number,
        service_name=summary.get("service_name", entry.service_code),
        state=entry.state,
        note=entry.decision_note,
        masked_name=summary.get("masked_name", ""),
        created_at=entry.created_at,
        receipt=summary.get("receipt", {}),
    )


def lookup(outbox: Outbox, case_number: str, id_last6: str) -> CaseStatus:
    """The case's status if the number and the six digits match; one error for both mistakes, so a
    guess tells nothing about which cases exist."""
    entry = outbox.by_case(case_number.strip())
    if entry is None or entry.summary.get("id_check") != id_check(
        entry.case_number, id_last6.strip().upper()
    ):
        raise KioskError("STATUS_NOT_FOUND")
    return _status(entry)


def lookup_scanned(outbox: Outbox, code: str) -> CaseStatus:
    """The case named by a scanned receipt QR code (its status URL ends in the case number)."""
    match = CASE_NUMBER.search(code)
    entry = outbox.by_case(match.group(1)) if match else None
    if entry is None:
        raise KioskError("STATUS_NOT_FOUND")
    return _status(entry)


class RatingLog:
    """好差评 ratings as JSON lines (case number, service, level, reasons): no personal data."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "ratings.jsonl"

    def add(self, case_number: str, service_code: str, channel: str, level: str, reasons: list[str]) -> None:
        if level not in RATING_LEVELS or not set(reasons) <= set(RATING_REASONS):
            raise KioskError("FLOW_WRONG_STEP", step="rating")
        record = {
            "case_number": case_number,
            "service_code": service_code,
            "channel": channel,
            "level": level,
            "reasons": reasons,
            "at": datetime.now().astimezone().isoformat(timespec="seconds"),
        }
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
            f.flush()
            os.fsync(f.fileno())

    def records(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines() if line]

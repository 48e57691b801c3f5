"""Structured logging: one JSON object per line on stderr, which systemd writes to the journal.

Each line names its event id from kiosk/events.toml, a role and an outcome. Personal data never
leaves here: fields such as a name or an ID card are dropped, and anything shaped like a valid ID
number is masked, as a last guard behind code that must not log them in the first place.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from datetime import datetime
from typing import Any

from stdnum.cn import ric

from kiosk import events

# Attributes every LogRecord has; anything else came in through `extra=`.
STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}
PERSONAL_FIELDS = {"name_en", "full_name", "id_number", "address", "birth_date", "card", "photo", "applicant"}
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
JOURNAL_PRIORITY = {"DEBUG": 7, "INFO": 6, "WARNING": 4, "ERROR": 3, "CRITICAL": 2}


def _mask_id_numbers(text: str) -> tuple[str, bool]:
    found = False

    def mask(match: re.Match[str]) -> str:
        nonlocal found
        if not ric.is_valid(match.group()):
            return match.group()
        found = True
        return "[ID number]"

    return ID_NUMBER.sub(mask, text), found


class JsonFormatter(logging.Formatter):
    def __init__(self, journal_prefix: bool = False) -> None:
        super().__init__()
        self.journal_prefix = journal_prefix

    def format(self, record: logging.LogRecord) -> str:
        line = json.dumps(self.fields(record), ensure_ascii=False, default=str)
        line, masked = _mask_id_numbers(line)
        if masked:
            line = line[:-1] + ', "redacted_id_number": true}'
        if self.journal_prefix:
            return f"<{JOURNAL_PRIORITY.get(record.levelname, 6)}>{line}"
        return line

    def fields(self, record: logging.LogRecord) -> dict[str, Any]:
        event_id = getattr(record, "event", None)
        event = events.catalog().get(event_id) if event_id else None
        fields: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created).astimezone().isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "event": event_id,
            "role": getattr(record, "role", event.role if event else "system"),
            "outcome": getattr(record, "outcome", "na"),
            "logger": record.name,
            "message": record.getMessage(),
        }
        extras = {k: v for k, v in record.__dict__.items() if k not in STANDARD and k not in fields}
        dropped = sorted(PERSONAL_FIELDS & set(extras))
        fields.update({k: v for k, v in extras.items() if k not in PERSONAL_FIELDS})
        if dropped:
            fields["redacted_fields"] = dropped
        if record.exc_info:
            fields["exception"] = self.formatException(record.exc_info)
        return fields


def configure(json_lines: bool | None = None, level: int | None = None) -> None:
    """Route every logger to stderr: JSON lines under systemd ($KIOSK_LOG_FORMAT=json), else short text."""
    if json_lines is None:
        json_lines = os.environ.get("KIOSK_LOG_FORMAT") == "json"
    handler = logging.StreamHandler(sys.stderr)
    if json_lines:
        handler.setFormatter(JsonFormatter(journal_prefix=bool(os.environ.get("JOURNAL_STREAM"))))
    else:
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.setLevel(level if level is not None else logging.INFO if json_lines else logging.WARNING)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if json_lines else logging.INFO)

"""The log event catalog (kiosk/events.toml): stable ids for what operators and technicians act on.

Read-only data and its Markdown rendering for docs/events.md; no logging happens here.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

CATALOG = Path(__file__).with_name("events.toml")
TYPES = ("user-action", "system-action", "system-status", "application-status")
ROLES = ("resident", "agent", "technician", "system")


@dataclass(frozen=True)
class Event:
    id: str
    type: Literal["user-action", "system-action", "system-status", "application-status"]
    level: Literal["debug", "info", "warning", "error"]
    role: Literal["resident", "agent", "technician", "system"]
    doc: str
    doc_zh: str
    action: str


@cache
def catalog() -> dict[str, Event]:
    """Every event by id, in file order."""
    with CATALOG.open("rb") as f:
        table = tomllib.load(f)
    return {
        group + "." + name: Event(group + "." + name, **fields)
        for group, names in table.items()
        for name, fields in names.items()
    }


def markdown() -> str:
    """docs/events.md: one table row per event."""
    lines = [
        "# Log events",
        "",
        "Generated from `kiosk/events.toml` by `kiosk events --markdown`; do not edit by hand.",
        "Every log line is one JSON object on the journal (`journalctl -u kiosk -o cat`) with `ts`,",
        "`level`, `event`, `role`, `outcome`, `logger`, `message` and the event's own fields.",
        "",
        "| Event | Type | Level | Role | What happened | 说明 | What to do |",
        "|---|---|---|---|---|---|---|",
    ]
    for event in catalog().values():
        cells = [f"`{event.id}`", event.type, event.level, event.role, event.doc, event.doc_zh, event.action]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines) + "\n"

"""The township's decisions on this terminal's cases, polled from the back office into the outbox.

Accepted / returned for correction / completed / rejected (受理 / 退回补正 / 办结 / 不予受理): each
arrives township-signed, in order, after a cursor kept on disk, so none is missed or applied twice.
No UI, no Kivy; the app reads the states from the outbox and listens to `on_decision`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.errors import SyncError
from kiosk.keys import write_file
from kiosk.outbox import DECISIONS, Outbox
from kiosk.township import TownshipClient

log = logging.getLogger(__name__)

CURSOR_FILE = "decisions.cursor"


@dataclass(frozen=True)
class Decision:
    seq: int
    case_number: str
    state: str  # one of kiosk.outbox.DECISIONS
    note: str  # what the resident must know, e.g. the materials to bring again
    decided_at: str
    materials: list[dict[str, str]] = field(default_factory=list)  # [{"key", "name"}] when returned


class DecisionPoller:
    """`poll_once()` fetches and applies every new decision; `start()` does it every `interval_s`."""

    def __init__(
        self,
        client: TownshipClient,
        outbox: Outbox,
        data_dir: Path,
        interval_s: float = 60.0,
        on_decision: Callable[[Decision], None] = lambda decision: None,
        also: list[Callable[[], object]] | None = None,
    ) -> None:
        self.client = client
        self.outbox = outbox
        self.cursor_path = data_dir / CURSOR_FILE
        self.interval_s = interval_s
        self.on_decision = on_decision
        self.also = also or []  # other periodic jobs on the same thread (the agent register sync)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="decisions", daemon=True)

    @property
    def cursor(self) -> int:
        try:
            return int(self.cursor_path.read_text().strip() or 0)
        except (FileNotFoundError, ValueError):
            return 0

    def poll_once(self) -> list[Decision]:
        """Apply every decision after the cursor; raises SyncError when the back office cannot say."""
        applied: list[Decision] = []
        while True:
            answer = self.client.get(f"/api/v1/kiosks/{self.client.kiosk_id}/decisions?since={self.cursor}")
            batch = [_decision(item) for item in answer.get("decisions", [])]
            for decision in batch:
                if decision.state in DECISIONS:
                    self.outbox.set_decision(decision.case_number, decision.state, decision.note)
                    applied.append(decision)
                    self.on_decision(decision)
            if batch:
                write_file(self.cursor_path, str(max(d.seq for d in batch)).encode(), 0o600)
            if not answer.get("more"):
                return applied

    def start(self) -> DecisionPoller:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=5)

    def wake(self) -> None:
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            for job in [self.poll_once, *self.also]:
                try:
                    job()
                except SyncError as e:
                    log.warning(
                        "township.sync_failed", extra={"event": "township.sync_failed", "code": e.code}
                    )
            self._wake.wait(timeout=self.interval_s)
            self._wake.clear()


def _decision(item: dict[str, Any]) -> Decision:
    try:
        return Decision(
            seq=int(item["seq"]),
            case_number=str(item["case_number"]),
            state=str(item["state"]),
            note=str(item.get("note", "")),
            decided_at=str(item.get("decided_at", "")),
            materials=[{"key": str(m["key"]), "name": str(m["name"])} for m in item.get("materials", [])],
        )
    except (KeyError, TypeError, ValueError):
        raise SyncError("SYNC_BAD_ANSWER", detail="decision") from None

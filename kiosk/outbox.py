"""The store-and-forward outbox: sealed bundles waiting for, or confirmed by, the township, and the
township's later decisions, for the status screen and the agent's case list.

SQLite in WAL mode with synchronous=FULL. A bundle is recorded only after its file is fsynced in
place (and only then is the resident told "submitted"); it is "delivered" only with the township's
signed receipt. Holds no personal data beyond a masked name.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from stdnum import luhn

from kiosk.bundle import fsync_directory

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS bundles (
    bundle_id TEXT PRIMARY KEY,
    case_number TEXT NOT NULL UNIQUE,
    service_code TEXT NOT NULL,
    digest TEXT NOT NULL,
    size INTEGER NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt REAL NOT NULL DEFAULT 0,
    uploaded INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    delivered_at TEXT NOT NULL DEFAULT '',
    receipt TEXT NOT NULL DEFAULT '',
    summary TEXT NOT NULL DEFAULT '{}',
    decision_note TEXT NOT NULL DEFAULT '',
    decided_at TEXT NOT NULL DEFAULT '',
    supersedes TEXT NOT NULL DEFAULT '',
    superseded_by TEXT NOT NULL DEFAULT '',
    exported_at TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS case_counters (day TEXT PRIMARY KEY, last INTEGER NOT NULL);
"""
SEALED, DELIVERED, REFUSED = "sealed", "delivered", "refused"
DECISIONS = ("accepted", "returned", "completed", "rejected")  # 受理 / 退回补正 / 办结 / 不予受理
FINAL = ("completed", "rejected")
STATES = (SEALED, DELIVERED, *DECISIONS, REFUSED)
SUFFIX = ".kskb"


def now_iso() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


@dataclass(frozen=True)
class Entry:
    bundle_id: str
    case_number: str
    service_code: str
    digest: str
    size: int
    path: Path
    state: str
    attempts: int
    next_attempt: float
    uploaded: int
    last_error: str
    created_at: str
    delivered_at: str
    receipt: dict[str, Any]
    summary: dict[str, Any]
    decision_note: str
    decided_at: str
    supersedes: str
    superseded_by: str
    exported_at: str


@dataclass(frozen=True)
class Recovery:
    """What start-up found and cleaned: unfinished seals and unrecorded files; recorded ones missing."""

    temporary: int = 0
    unrecorded: int = 0
    missing: int = 0


class Outbox:
    def __init__(self, data_dir: Path) -> None:
        self.dir = data_dir / "outbox"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(
            data_dir / "outbox.sqlite3", check_same_thread=False, isolation_level=None, timeout=30
        )
        self.db.row_factory = sqlite3.Row
        self.lock = threading.Lock()
        with self.lock:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    def bundle_path(self, bundle_id: str) -> Path:
        return self.dir / f"{bundle_id}{SUFFIX}"

    def _run(self, sql: str, *args: Any) -> int:
        with self.lock:
            return self.db.execute(sql, args).rowcount

    def _rows(self, sql: str, *args: Any) -> list[Entry]:
        with self.lock:
            rows = self.db.execute(sql, args).fetchall()
        return [self._entry(row) for row in rows]

    # --- writing --------------------------------------------------------------------------------

    def next_case_number(self, terminal_number: int, today: datetime | None = None) -> str:
        """Terminal (4) + date (6) + sequence of the day (4) + Luhn check digit: 15 digits for a keypad."""
        day = (today or datetime.now()).strftime("%y%m%d")
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute(
                "INSERT INTO case_counters(day, last) VALUES (?, 1) ON CONFLICT(day) DO UPDATE SET last = last + 1",
                (day,),
            )
            (sequence,) = self.db.execute("SELECT last FROM case_counters WHERE day = ?", (day,)).fetchone()
            self.db.execute("COMMIT")
        body = f"{terminal_number:04d}{day}{sequence:04d}"
        return body + luhn.calc_check_digit(body)

    def add(
        self,
        bundle_id: str,
        case_number: str,
        service_code: str,
        digest: str,
        summary: dict[str, Any],
        supersedes: str = "",
    ) -> None:
        """Record a bundle whose file is already complete and fsynced at bundle_path(bundle_id).
        When this returns, the record is durable: the resident may be told "submitted"."""
        size = self.bundle_path(bundle_id).stat().st_size
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute(
                "INSERT INTO bundles(bundle_id, case_number, service_code, digest, size, state, created_at,"
                " summary, supersedes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    bundle_id,
                    case_number,
                    service_code,
                    digest,
                    size,
                    SEALED,
                    now_iso(),
                    json.dumps(summary, ensure_ascii=False),
                    supersedes,
                ),
            )
            if supersedes:
                self.db.execute(
                    "UPDATE bundles SET superseded_by = ? WHERE case_number = ?", (case_number, supersedes)
                )
            self.db.execute("COMMIT")

    def recover(self) -> Recovery:
        """At start-up: finish what a crash or power cut interrupted. Half-written seals and files
        never recorded (the resident was never told "submitted") are deleted; a recorded bundle
        whose file is gone is refused, loudly.
        Only for start-up of the terminal: a seal in progress would look unrecorded."""
        with self.lock:
            rows = {
                r["bundle_id"]: r["state"] for r in self.db.execute("SELECT bundle_id, state FROM bundles")
            }
        counts = {"temporary": 0, "unrecorded": 0, "missing": 0}
        for path in self.dir.iterdir():
            bundle_id = path.name.removesuffix(SUFFIX)
            if path.name.startswith(".") or not path.name.endswith(SUFFIX):
                kind = "temporary"
            elif bundle_id not in rows:
                kind = "unrecorded"
            else:
                continue
            path.unlink(missing_ok=True)
            counts[kind] += 1
        for bundle_id, state in rows.items():
            if state == SEALED and not self.bundle_path(bundle_id).exists():
                self.refused(bundle_id, "BUNDLE_MISSING")
                counts["missing"] += 1
        if any(counts.values()):
            fsync_directory(self.dir)
            log.warning("outbox.recovered", extra={"event": "outbox.recovered", **counts})
        return Recovery(**counts)

    def attempt_failed(self, bundle_id: str, error: str, retry_at: float, progressed: bool) -> None:
        """Count a failed attempt; progress since the last one starts the back-off afresh."""
        self._run(
            "UPDATE bundles SET attempts = CASE WHEN ? THEN 1 ELSE attempts + 1 END, last_error = ?,"
            " next_attempt = ? WHERE bundle_id = ?",
            progressed,
            error,
            retry_at,
            bundle_id,
        )

    def progress(self, bundle_id: str, uploaded: int) -> None:
        self._run("UPDATE bundles SET uploaded = ? WHERE bundle_id = ?", uploaded, bundle_id)

    def delivered(self, bundle_id: str, receipt: dict[str, Any]) -> None:
        """The township's verified receipt is in. The (encrypted) file stays until the nightly
        maintenance removes it after `health.keep_delivered_days`, for a re-send if asked."""
        self._run(
            "UPDATE bundles SET state = ?, delivered_at = ?, receipt = ?, last_error = '', uploaded = size"
            " WHERE bundle_id = ? AND state = ?",
            DELIVERED,
            now_iso(),
            json.dumps(receipt, ensure_ascii=False),
            bundle_id,
            SEALED,
        )

    def refused(self, bundle_id: str, error: str) -> None:
        """The township refused the bundle (or it is damaged): a technician must look; the file is kept."""
        self._run(
            "UPDATE bundles SET state = ?, last_error = ? WHERE bundle_id = ? AND state = ?",
            REFUSED,
            error,
            bundle_id,
            SEALED,
        )

    def set_decision(self, case_number: str, state: str, note: str = "", decided_at: str = "") -> bool:
        """The township's decision on a case; True if it changed anything. A decision also proves
        delivery, so it applies to a bundle whose receipt this terminal has not recorded yet."""
        if state not in DECISIONS:
            raise ValueError(state)
        return bool(
            self._run(
                "UPDATE bundles SET state = ?, decision_note = ?, decided_at = ? WHERE case_number = ?"
                " AND state IN (?, ?, ?, ?, ?, ?) AND (state != ? OR decision_note != ?)",
                state,
                note,
                decided_at or now_iso(),
                case_number,
                SEALED,
                DELIVERED,
                *DECISIONS,
                state,
                note,
            )
        )

    def retry(self, bundle_id: str | None = None) -> int:
        """Send now: clear the back-off of one or every undelivered bundle."""
        if bundle_id is None:
            return self._run("UPDATE bundles SET next_attempt = 0, attempts = 0 WHERE state = ?", SEALED)
        return self._run(
            "UPDATE bundles SET next_attempt = 0, attempts = 0 WHERE state = ? AND bundle_id = ?",
            SEALED,
            bundle_id,
        )

    def exported(self, bundle_id: str) -> None:
        self._run("UPDATE bundles SET exported_at = ? WHERE bundle_id = ?", now_iso(), bundle_id)

    # --- reading --------------------------------------------------------------------------------

    def due(self, now: float | None = None) -> list[Entry]:
        return self._rows(
            "SELECT * FROM bundles WHERE state = ? AND next_attempt <= ? ORDER BY rowid",
            SEALED,
            time.time() if now is None else now,
        )

    def next_due(self) -> float | None:
        with self.lock:
            (when,) = self.db.execute(
                "SELECT MIN(next_attempt) FROM bundles WHERE state = ?", (SEALED,)
            ).fetchone()
        return when

    def undelivered(self) -> list[Entry]:
        return self._rows("SELECT * FROM bundles WHERE state = ? ORDER BY rowid", SEALED)

    def get(self, bundle_id: str) -> Entry | None:
        found = self._rows("SELECT * FROM bundles WHERE bundle_id = ?", bundle_id)
        return found[0] if found else None

    def by_case(self, case_number: str) -> Entry | None:
        found = self._rows("SELECT * FROM bundles WHERE case_number = ?", case_number)
        return found[0] if found else None

    def entries(self) -> list[Entry]:
        return self._rows("SELECT * FROM bundles ORDER BY rowid DESC")

    def depth(self) -> int:
        with self.lock:
            (count,) = self.db.execute("SELECT COUNT(*) FROM bundles WHERE state = ?", (SEALED,)).fetchone()
        return count

    def counts(self) -> dict[str, int]:
        with self.lock:
            rows = self.db.execute("SELECT state, COUNT(*) FROM bundles GROUP BY state").fetchall()
        return {state: 0 for state in STATES} | {state: count for state, count in rows}

    def _entry(self, row: sqlite3.Row) -> Entry:
        values = dict(row)
        values["path"] = self.bundle_path(values["bundle_id"])
        values["receipt"] = json.loads(values["receipt"]) if values["receipt"] else {}
        values["summary"] = json.loads(values["summary"])
        return Entry(**values)

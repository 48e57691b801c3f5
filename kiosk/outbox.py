"""The store-and-forward outbox: sealed bundles waiting for, or confirmed by, the township.

SQLite in WAL mode; a bundle is recorded only after its file is fsynced in place, and "delivered"
only with the township's signed receipt. Holds no personal data beyond a masked name.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from stdnum import luhn

SCHEMA = """
CREATE TABLE IF NOT EXISTS bundles (
    bundle_id TEXT PRIMARY KEY,
    case_number TEXT NOT NULL UNIQUE,
    service_code TEXT NOT NULL,
    path TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt REAL NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    delivered_at TEXT NOT NULL DEFAULT '',
    receipt TEXT NOT NULL DEFAULT '',
    summary TEXT NOT NULL DEFAULT '{}',
    decision_note TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS case_counters (day TEXT PRIMARY KEY, last INTEGER NOT NULL);
"""
SEALED, DELIVERED = "sealed", "delivered"
DECISIONS = ("accepted", "returned", "completed", "rejected")  # 受理 / 退回补正 / 办结 / 不予受理


@dataclass(frozen=True)
class Entry:
    bundle_id: str
    case_number: str
    service_code: str
    path: Path
    state: str
    attempts: int
    next_attempt: float
    last_error: str
    created_at: str
    delivered_at: str
    receipt: dict[str, Any]
    summary: dict[str, Any]
    decision_note: str


class Outbox:
    def __init__(self, data_dir: Path) -> None:
        self.dir = data_dir / "outbox"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(data_dir / "outbox.sqlite3", check_same_thread=False, isolation_level=None)
        self.db.row_factory = sqlite3.Row
        self.lock = threading.Lock()
        with self.lock:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    def bundle_path(self, bundle_id: str) -> Path:
        return self.dir / f"{bundle_id}.kskb"

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

    def add(self, bundle_id: str, case_number: str, service_code: str, summary: dict[str, Any]) -> None:
        """Record a bundle whose file is already complete at bundle_path(bundle_id)."""
        with self.lock:
            self.db.execute(
                "INSERT INTO bundles(bundle_id, case_number, service_code, path, state, created_at, summary)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    bundle_id,
                    case_number,
                    service_code,
                    str(self.bundle_path(bundle_id)),
                    SEALED,
                    datetime.now().astimezone().isoformat(timespec="seconds"),
                    json.dumps(summary, ensure_ascii=False),
                ),
            )

    def due(self, now: float | None = None) -> list[Entry]:
        with self.lock:
            rows = self.db.execute(
                "SELECT * FROM bundles WHERE state = ? AND next_attempt <= ? ORDER BY created_at",
                (SEALED, now if now is not None else time.time()),
            ).fetchall()
        return [self._entry(r) for r in rows]

    def attempt_failed(self, bundle_id: str, error: str, retry_at: float) -> None:
        with self.lock:
            self.db.execute(
                "UPDATE bundles SET attempts = attempts + 1, last_error = ?, next_attempt = ? WHERE bundle_id = ?",
                (error, retry_at, bundle_id),
            )

    def retry_now(self) -> int:
        """Make every waiting bundle due at once (a technician's retry); returns how many."""
        with self.lock:
            cursor = self.db.execute("UPDATE bundles SET next_attempt = 0 WHERE state = ?", (SEALED,))
        return cursor.rowcount

    def delivered(self, bundle_id: str, receipt: dict[str, Any]) -> None:
        with self.lock:
            self.db.execute(
                "UPDATE bundles SET state = ?, delivered_at = ?, receipt = ?, last_error = '' WHERE bundle_id = ?",
                (
                    DELIVERED,
                    datetime.now().astimezone().isoformat(timespec="seconds"),
                    json.dumps(receipt),
                    bundle_id,
                ),
            )

    def set_decision(self, case_number: str, state: str, note: str = "") -> None:
        if state not in DECISIONS:
            raise ValueError(state)
        with self.lock:
            self.db.execute(
                "UPDATE bundles SET state = ?, decision_note = ? WHERE case_number = ?",
                (state, note, case_number),
            )

    def get(self, bundle_id: str) -> Entry | None:
        with self.lock:
            row = self.db.execute("SELECT * FROM bundles WHERE bundle_id = ?", (bundle_id,)).fetchone()
        return self._entry(row) if row else None

    def by_case(self, case_number: str) -> Entry | None:
        with self.lock:
            row = self.db.execute("SELECT * FROM bundles WHERE case_number = ?", (case_number,)).fetchone()
        return self._entry(row) if row else None

    def entries(self) -> list[Entry]:
        with self.lock:
            rows = self.db.execute("SELECT * FROM bundles ORDER BY created_at DESC").fetchall()
        return [self._entry(r) for r in rows]

    def depth(self) -> int:
        with self.lock:
            (count,) = self.db.execute("SELECT COUNT(*) FROM bundles WHERE state = ?", (SEALED,)).fetchone()
        return count

    @staticmethod
    def _entry(row: sqlite3.Row) -> Entry:
        values = dict(row)
        values["path"] = Path(values["path"])
        values["receipt"] = json.loads(values["receipt"]) if values["receipt"] else {}
        values["summary"] = json.loads(values["summary"])
        return Entry(**values)

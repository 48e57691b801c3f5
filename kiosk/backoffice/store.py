"""Back-office storage: enrolled kiosks, received bundles and case states (SQLite by default).

Kept behind this small interface so a city-wide deployment can swap the backend.
"""

from __future__ import annotations

import sqlite3
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

SCHEMA = """
CREATE TABLE IF NOT EXISTS kiosks (
    kiosk_id TEXT PRIMARY KEY,
    public_key TEXT NOT NULL,
    enrolled_at TEXT NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS bundles (
    bundle_id TEXT PRIMARY KEY,
    kiosk_id TEXT NOT NULL,
    case_number TEXT NOT NULL,
    service_code TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS cases (
    case_number TEXT PRIMARY KEY,
    bundle_id TEXT NOT NULL,
    kiosk_id TEXT NOT NULL,
    service_code TEXT NOT NULL,
    state TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS quarantine (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    bundle_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    path TEXT NOT NULL,
    received_at TEXT NOT NULL
);
"""


def now() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


class Store:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.db.row_factory = sqlite3.Row
        self.lock = threading.Lock()
        with self.lock:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.executescript(SCHEMA)

    def _one(self, sql: str, *args: Any) -> dict[str, Any] | None:
        with self.lock:
            row = self.db.execute(sql, args).fetchone()
        return dict(row) if row else None

    def _run(self, sql: str, *args: Any) -> None:
        with self.lock:
            self.db.execute(sql, args)

    def enrol(self, kiosk_id: str, public_key: Ed25519PublicKey) -> None:
        pem = public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self._run(
            "INSERT INTO kiosks(kiosk_id, public_key, enrolled_at) VALUES (?, ?, ?)"
            " ON CONFLICT(kiosk_id) DO UPDATE SET public_key = excluded.public_key, revoked = 0",
            kiosk_id,
            pem.decode(),
            now(),
        )

    def trusted_key(self, kiosk_id: str) -> Ed25519PublicKey | None:
        row = self._one("SELECT public_key FROM kiosks WHERE kiosk_id = ? AND revoked = 0", kiosk_id)
        if not row:
            return None
        key = serialization.load_pem_public_key(row["public_key"].encode())
        return key if isinstance(key, Ed25519PublicKey) else None

    def bundle(self, bundle_id: str) -> dict[str, Any] | None:
        return self._one("SELECT * FROM bundles WHERE bundle_id = ?", bundle_id)

    def record_bundle(self, header: dict[str, Any], case_number: str, sha256: str) -> None:
        stamp = now()
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute(
                "INSERT INTO bundles(bundle_id, kiosk_id, case_number, service_code, sha256, received_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (header["bundle_id"], header["kiosk_id"], case_number, header["service_code"], sha256, stamp),
            )
            self.db.execute(
                "INSERT INTO cases(case_number, bundle_id, kiosk_id, service_code, state, updated_at)"
                " VALUES (?, ?, ?, ?, 'received', ?)",
                (case_number, header["bundle_id"], header["kiosk_id"], header["service_code"], stamp),
            )
            self.db.execute("COMMIT")

    def quarantine(self, bundle_id: str, reason: str, path: Path) -> None:
        self._run(
            "INSERT INTO quarantine(bundle_id, reason, path, received_at) VALUES (?, ?, ?, ?)",
            bundle_id,
            reason,
            str(path),
            now(),
        )

    def case(self, case_number: str) -> dict[str, Any] | None:
        return self._one("SELECT * FROM cases WHERE case_number = ?", case_number)

    def decide(self, case_number: str, state: str, note: str = "") -> None:
        self._run(
            "UPDATE cases SET state = ?, note = ?, updated_at = ? WHERE case_number = ?",
            state,
            note,
            now(),
            case_number,
        )

    def counts(self) -> dict[str, int]:
        with self.lock:
            bundles = self.db.execute("SELECT COUNT(*) FROM bundles").fetchone()[0]
            quarantined = self.db.execute("SELECT COUNT(*) FROM quarantine").fetchone()[0]
            kiosks = self.db.execute("SELECT COUNT(*) FROM kiosks WHERE revoked = 0").fetchone()[0]
        return {"bundles": bundles, "quarantined": quarantined, "kiosks": kiosks}

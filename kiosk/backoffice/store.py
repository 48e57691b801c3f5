"""Back-office storage: kiosks, bundles, cases and decisions, staff, agents, heartbeats.

One portable SQL implementation over a `Database` (SQLite by default, PostgreSQL for a city) and a
`BlobStore` for the sealed bundles. No HTTP, no HTML, no cryptography beyond loading public keys.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kiosk import keys
from kiosk.backoffice.blobs import BlobStore, FileBlobs
from kiosk.backoffice.db import Database, Row, connect
from kiosk.crypto.suites import VerifyKey
from kiosk.errors import BundleError

SCHEMA = """
CREATE TABLE IF NOT EXISTS kiosks (
    kiosk_id TEXT PRIMARY KEY,
    public_key TEXT NOT NULL,
    suite TEXT NOT NULL DEFAULT 'modern',
    village TEXT NOT NULL DEFAULT '',
    enrolled_at TEXT NOT NULL,
    revoked_at TEXT NOT NULL DEFAULT '',
    revoked_reason TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS enrolment_codes (
    code_hash TEXT PRIMARY KEY,
    village TEXT NOT NULL,
    kiosk_id TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires DOUBLE PRECISION NOT NULL,
    used_at TEXT NOT NULL DEFAULT '',
    used_by TEXT NOT NULL DEFAULT ''
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
    received_at TEXT NOT NULL,
    received DOUBLE PRECISION NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS decisions (
    seq {serial},
    case_number TEXT NOT NULL,
    kiosk_id TEXT NOT NULL,
    state TEXT NOT NULL,
    note TEXT NOT NULL,
    materials TEXT NOT NULL,
    decided_by TEXT NOT NULL,
    decided_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS decisions_by_kiosk ON decisions(kiosk_id, seq);
CREATE TABLE IF NOT EXISTS quarantine (
    id {serial},
    bundle_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    path TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS users (
    username TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    csrf TEXT NOT NULL,
    started DOUBLE PRECISION NOT NULL,
    last_seen DOUBLE PRECISION NOT NULL
);
CREATE TABLE IF NOT EXISTS heartbeats (
    kiosk_id TEXT PRIMARY KEY,
    sent_at TEXT NOT NULL,
    received_at TEXT NOT NULL,
    received DOUBLE PRECISION NOT NULL,
    payload TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS agents (
    agent_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    village TEXT NOT NULL,
    id_hash TEXT NOT NULL,
    pin_hash TEXT NOT NULL,
    pin_version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    revoked_at TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS notifications (
    id {serial},
    case_number TEXT NOT NULL,
    notifier TEXT NOT NULL,
    outcome TEXT NOT NULL,
    sent_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS request_nonces (
    kiosk_id TEXT NOT NULL,
    nonce TEXT NOT NULL,
    expires DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (kiosk_id, nonce)
);
CREATE TABLE IF NOT EXISTS status_attempts (
    case_number TEXT NOT NULL,
    at DOUBLE PRECISION NOT NULL
);
"""
SERIAL = {
    "sqlite": "INTEGER PRIMARY KEY AUTOINCREMENT",
    "postgresql": "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
}
RECEIVED = "received"


def now() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class Store:
    def __init__(self, db: Database, blobs: BlobStore) -> None:
        self.db = db
        self.blobs = blobs
        self.db.script(SCHEMA.replace("{serial}", SERIAL[db.dialect]))

    def close(self) -> None:
        self.db.close()

    def _one(self, sql: str, *args: Any) -> Row | None:
        rows = self.db.query(sql, *args)
        return rows[0] if rows else None

    # --- kiosks ------------------------------------------------------------------------------

    def enrol(
        self, kiosk_id: str, public_key: VerifyKey | str, suite: str = "modern", village: str = ""
    ) -> None:
        """Trust `public_key` for `kiosk_id` (re-enrolling replaces the key and lifts a revocation)."""
        pem = public_key if isinstance(public_key, str) else keys.public_pem(public_key).decode()
        self.db.execute(
            "INSERT INTO kiosks(kiosk_id, public_key, suite, village, enrolled_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT(kiosk_id) DO UPDATE SET public_key = excluded.public_key, suite = excluded.suite,"
            " village = excluded.village, enrolled_at = excluded.enrolled_at, revoked_at = '', revoked_reason = ''",
            kiosk_id,
            pem,
            suite,
            village,
            now(),
        )

    def kiosk(self, kiosk_id: str) -> Row | None:
        return self._one("SELECT * FROM kiosks WHERE kiosk_id = ?", kiosk_id)

    def kiosk_key(self, kiosk_id: str, include_revoked: bool = False) -> VerifyKey | None:
        """The enrolled kiosk's key (Ed25519 or SM2); None when unknown, or revoked unless `include_revoked`."""
        row = self.kiosk(kiosk_id)
        if not row or (row["revoked_at"] and not include_revoked):
            return None
        return keys.device_public_from_pem(row["public_key"], f"kiosk {kiosk_id}")

    def trusted_key(self, kiosk_id: str) -> VerifyKey | None:
        """For intake: a revoked kiosk's bundle fails with its own reason, an unknown one with None."""
        row = self.kiosk(kiosk_id)
        if row and row["revoked_at"]:
            raise BundleError("BUNDLE_KIOSK_REVOKED", kiosk=kiosk_id)
        return self.kiosk_key(kiosk_id)

    def revoke_kiosk(self, kiosk_id: str, reason: str) -> bool:
        return bool(
            self.db.execute(
                "UPDATE kiosks SET revoked_at = ?, revoked_reason = ? WHERE kiosk_id = ? AND revoked_at = ''",
                now(),
                reason,
                kiosk_id,
            )
        )

    def fleet(self) -> list[Row]:
        """Every kiosk with its last heartbeat (payload decoded, or None)."""
        rows = self.db.query(
            "SELECT k.kiosk_id, k.village, k.suite, k.enrolled_at, k.revoked_at, k.revoked_reason,"
            " h.sent_at, h.received_at, h.received, h.payload"
            " FROM kiosks k LEFT JOIN heartbeats h ON h.kiosk_id = k.kiosk_id ORDER BY k.kiosk_id"
        )
        for row in rows:
            row["payload"] = json.loads(row["payload"]) if row["payload"] else None
        return rows

    # --- enrolment codes ---------------------------------------------------------------------

    def add_enrolment_code(
        self, code_hash: str, village: str, kiosk_id: str, created_by: str, expires: float
    ) -> None:
        self.db.execute(
            "INSERT INTO enrolment_codes(code_hash, village, kiosk_id, created_by, created_at, expires)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            code_hash,
            village,
            kiosk_id,
            created_by,
            now(),
            expires,
        )

    def redeem_enrolment_code(self, code_hash: str, kiosk_id: str) -> Row | None:
        """Mark the code used by `kiosk_id` if it is unused, unexpired and meant for it; else None."""
        with self.db.transaction():
            row = self._one(
                "SELECT * FROM enrolment_codes WHERE code_hash = ? AND used_at = '' AND expires > ?",
                code_hash,
                time.time(),
            )
            if not row or row["kiosk_id"] not in ("", kiosk_id):
                return None
            self.db.execute(
                "UPDATE enrolment_codes SET used_at = ?, used_by = ? WHERE code_hash = ?",
                now(),
                kiosk_id,
                code_hash,
            )
        return row

    def enrolment_codes(self) -> list[Row]:
        return self.db.query(
            "SELECT village, kiosk_id, created_by, created_at, expires, used_at, used_by"
            " FROM enrolment_codes ORDER BY created_at DESC"
        )

    # --- bundles and quarantine (the intake's side) -------------------------------------------

    def bundle(self, bundle_id: str) -> Row | None:
        return self._one("SELECT * FROM bundles WHERE bundle_id = ?", bundle_id)

    def record_bundle(self, header: dict[str, Any], case_number: str, sha256: str) -> None:
        stamp = now()
        with self.db.transaction():
            self.db.execute(
                "INSERT INTO bundles(bundle_id, kiosk_id, case_number, service_code, sha256, received_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                header["bundle_id"],
                header["kiosk_id"],
                case_number,
                header["service_code"],
                sha256,
                stamp,
            )
            self.db.execute(
                "INSERT INTO cases(case_number, bundle_id, kiosk_id, service_code, state, received_at,"
                " received, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                case_number,
                header["bundle_id"],
                header["kiosk_id"],
                header["service_code"],
                RECEIVED,
                stamp,
                time.time(),
                stamp,
            )

    def quarantine(self, bundle_id: str, reason: str, path: Path | str) -> None:
        self.db.execute(
            "INSERT INTO quarantine(bundle_id, reason, path, received_at) VALUES (?, ?, ?, ?)",
            bundle_id,
            reason,
            str(path),
            now(),
        )

    def quarantined(self, limit: int = 200) -> list[Row]:
        return self.db.query("SELECT * FROM quarantine ORDER BY id DESC LIMIT ?", limit)

    def quarantine_reason(self, bundle_id: str) -> str | None:
        row = self._one(
            "SELECT reason FROM quarantine WHERE bundle_id = ? ORDER BY id DESC LIMIT 1", bundle_id
        )
        return row["reason"] if row else None

    # --- cases and decisions -----------------------------------------------------------------

    def case(self, case_number: str) -> Row | None:
        return self._one(
            "SELECT c.*, k.village FROM cases c LEFT JOIN kiosks k ON k.kiosk_id = c.kiosk_id"
            " WHERE c.case_number = ?",
            case_number,
        )

    def queue(self, states: tuple[str, ...], service: str = "", village: str = "") -> list[Row]:
        """Open cases, oldest first, optionally narrowed to one service and one village."""
        marks = ", ".join("?" for _ in states)
        sql = (
            "SELECT c.*, k.village FROM cases c LEFT JOIN kiosks k ON k.kiosk_id = c.kiosk_id"
            f" WHERE c.state IN ({marks})"
        )
        args: list[Any] = list(states)
        if service:
            sql += " AND c.service_code = ?"
            args.append(service)
        if village:
            sql += " AND k.village = ?"
            args.append(village)
        return self.db.query(sql + " ORDER BY c.received", *args)

    def villages(self) -> list[str]:
        rows = self.db.query("SELECT DISTINCT village FROM kiosks WHERE village <> '' ORDER BY village")
        return [r["village"] for r in rows]

    def decide(
        self, case_number: str, state: str, note: str, materials: list[str], decided_by: str, expected: str
    ) -> int | None:
        """Record a decision if the case is still in state `expected`; returns its sequence number."""
        stamp = now()
        with self.db.transaction():
            if self.db.dialect == "postgresql":
                # Sequence numbers must become visible in order: kiosks poll with `since=<last seq>`.
                self.db.execute("LOCK TABLE decisions IN EXCLUSIVE MODE")
            changed = self.db.execute(
                "UPDATE cases SET state = ?, note = ?, updated_at = ? WHERE case_number = ? AND state = ?",
                state,
                note,
                stamp,
                case_number,
                expected,
            )
            if not changed:
                return None
            row = self._one(
                "INSERT INTO decisions(case_number, kiosk_id, state, note, materials, decided_by, decided_at)"
                " SELECT case_number, kiosk_id, ?, ?, ?, ?, ? FROM cases WHERE case_number = ? RETURNING seq",
                state,
                note,
                json.dumps(materials, ensure_ascii=False),
                decided_by,
                stamp,
                case_number,
            )
        return int(row["seq"]) if row else None

    def decisions_for_case(self, case_number: str) -> list[Row]:
        return self._decoded(
            self.db.query("SELECT * FROM decisions WHERE case_number = ? ORDER BY seq", case_number)
        )

    def decisions_since(self, kiosk_id: str, since: int, limit: int) -> list[Row]:
        return self._decoded(
            self.db.query(
                "SELECT * FROM decisions WHERE kiosk_id = ? AND seq > ? ORDER BY seq LIMIT ?",
                kiosk_id,
                since,
                limit,
            )
        )

    @staticmethod
    def _decoded(rows: list[Row]) -> list[Row]:
        for row in rows:
            row["materials"] = json.loads(row["materials"])
        return rows

    def record_notification(self, case_number: str, notifier: str, outcome: str) -> None:
        self.db.execute(
            "INSERT INTO notifications(case_number, notifier, outcome, sent_at) VALUES (?, ?, ?, ?)",
            case_number,
            notifier,
            outcome,
            now(),
        )

    def notifications(self, case_number: str) -> list[Row]:
        return self.db.query("SELECT * FROM notifications WHERE case_number = ? ORDER BY id", case_number)

    def status_attempt(self, case_number: str, window_s: float) -> int:
        """Record a failed status lookup; returns how many failed within the window (this one included)."""
        stamp = time.time()
        with self.db.transaction():
            self.db.execute("DELETE FROM status_attempts WHERE at < ?", stamp - window_s)
            self.db.execute("INSERT INTO status_attempts(case_number, at) VALUES (?, ?)", case_number, stamp)
            row = self._one("SELECT COUNT(*) AS n FROM status_attempts WHERE case_number = ?", case_number)
        return int(row["n"]) if row else 0

    def status_failures(self, case_number: str, window_s: float) -> int:
        row = self._one(
            "SELECT COUNT(*) AS n FROM status_attempts WHERE case_number = ? AND at >= ?",
            case_number,
            time.time() - window_s,
        )
        return int(row["n"]) if row else 0

    # --- staff and sessions ------------------------------------------------------------------

    def put_user(self, username: str, display_name: str, password_hash: str) -> None:
        self.db.execute(
            "INSERT INTO users(username, display_name, password_hash, created_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(username) DO UPDATE SET display_name = excluded.display_name,"
            " password_hash = excluded.password_hash",
            username,
            display_name,
            password_hash,
            now(),
        )

    def user(self, username: str) -> Row | None:
        return self._one("SELECT * FROM users WHERE username = ?", username)

    def add_session(self, token_hash: str, username: str, csrf: str) -> None:
        stamp = time.time()
        self.db.execute(
            "INSERT INTO sessions(token_hash, username, csrf, started, last_seen) VALUES (?, ?, ?, ?, ?)",
            token_hash,
            username,
            csrf,
            stamp,
            stamp,
        )

    def live_session(self, token_hash: str, idle_s: float, max_s: float) -> Row | None:
        """The session if it has been neither idle nor alive too long (and mark it seen); else None."""
        stamp = time.time()
        self.db.execute(
            "DELETE FROM sessions WHERE last_seen < ? OR started < ?", stamp - idle_s, stamp - max_s
        )
        row = self._one(
            "SELECT s.*, u.display_name FROM sessions s JOIN users u ON u.username = s.username"
            " WHERE s.token_hash = ?",
            token_hash,
        )
        if row:
            self.db.execute("UPDATE sessions SET last_seen = ? WHERE token_hash = ?", stamp, token_hash)
        return row

    def end_session(self, token_hash: str) -> None:
        self.db.execute("DELETE FROM sessions WHERE token_hash = ?", token_hash)

    # --- kiosk requests and heartbeats -------------------------------------------------------

    def use_nonce(self, kiosk_id: str, nonce: str, expires: float) -> bool:
        """False if this kiosk already used `nonce` (a replayed request)."""
        with self.db.transaction():
            self.db.execute("DELETE FROM request_nonces WHERE expires < ?", time.time())
            if self._one(
                "SELECT 1 AS seen FROM request_nonces WHERE kiosk_id = ? AND nonce = ?", kiosk_id, nonce
            ):
                return False
            self.db.execute(
                "INSERT INTO request_nonces(kiosk_id, nonce, expires) VALUES (?, ?, ?)",
                kiosk_id,
                nonce,
                expires,
            )
        return True

    def heartbeat(self, kiosk_id: str) -> Row | None:
        return self._one("SELECT * FROM heartbeats WHERE kiosk_id = ?", kiosk_id)

    def record_heartbeat(self, kiosk_id: str, sent_at: str, payload: dict[str, Any]) -> str:
        stamp = now()
        self.db.execute(
            "INSERT INTO heartbeats(kiosk_id, sent_at, received_at, received, payload) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT(kiosk_id) DO UPDATE SET sent_at = excluded.sent_at,"
            " received_at = excluded.received_at, received = excluded.received, payload = excluded.payload",
            kiosk_id,
            sent_at,
            stamp,
            time.time(),
            json.dumps(payload, ensure_ascii=False),
        )
        return stamp

    # --- village agents ----------------------------------------------------------------------

    def add_agent(self, agent_id: str, name: str, village: str, id_hash: str, pin_hash: str) -> None:
        self.db.execute(
            "INSERT INTO agents(agent_id, name, village, id_hash, pin_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            agent_id,
            name,
            village,
            id_hash,
            pin_hash,
            now(),
        )

    def agents(self, village: str | None = None) -> list[Row]:
        if village is None:
            return self.db.query("SELECT * FROM agents ORDER BY village, name")
        return self.db.query("SELECT * FROM agents WHERE village = ? ORDER BY name", village)

    def agent(self, agent_id: str) -> Row | None:
        return self._one("SELECT * FROM agents WHERE agent_id = ?", agent_id)

    def revoke_agent(self, agent_id: str) -> bool:
        return bool(
            self.db.execute(
                "UPDATE agents SET revoked_at = ? WHERE agent_id = ? AND revoked_at = ''", now(), agent_id
            )
        )

    def reset_agent_pin(self, agent_id: str, pin_hash: str) -> bool:
        """A new PIN; the version bump also lifts a lock-out on every terminal."""
        return bool(
            self.db.execute(
                "UPDATE agents SET pin_hash = ?, pin_version = pin_version + 1 WHERE agent_id = ?",
                pin_hash,
                agent_id,
            )
        )

    # --- overview ----------------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        def count(sql: str) -> int:
            row = self._one(sql)
            return int(row["n"]) if row else 0

        return {
            "bundles": count("SELECT COUNT(*) AS n FROM bundles"),
            "quarantined": count("SELECT COUNT(*) AS n FROM quarantine"),
            "kiosks": count("SELECT COUNT(*) AS n FROM kiosks WHERE revoked_at = ''"),
        }


def open_store(database_url: str, data_dir: Path) -> Store:
    """The configured metadata database, with sealed bundles as files under `data_dir`."""
    return Store(connect(database_url, data_dir), FileBlobs(data_dir))

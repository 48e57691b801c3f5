"""Township staff accounts and their browser sessions: scrypt-hashed passwords, expiring sessions, CSRF.

A session token lives only in an HttpOnly, SameSite=Strict cookie and only its SHA-256 in the database;
every form carries the session's CSRF token. No HTML here.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from functools import cache

from kiosk import kdf
from kiosk.backoffice.settings import Settings
from kiosk.backoffice.store import Store
from kiosk.errors import KioskError

SESSION_COOKIE = "kiosk_staff"
LOGIN_CSRF_COOKIE = "kiosk_login_csrf"
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,31}$")
MIN_PASSWORD = 10


class StaffError(KioskError):
    code = "STAFF_INVALID"


@dataclass(frozen=True)
class StaffSession:
    username: str
    display_name: str
    csrf: str


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@cache
def _decoy_hash() -> str:
    return kdf.hash_secret(secrets.token_hex(16))


def add_user(store: Store, username: str, display_name: str, password: str) -> None:
    """Create a staff account, or set a new password and name for an existing one."""
    if not USERNAME.match(username):
        raise StaffError("STAFF_BAD_USERNAME")
    if len(password) < MIN_PASSWORD:
        raise StaffError("STAFF_SHORT_PASSWORD", n=MIN_PASSWORD)
    store.put_user(username, display_name.strip() or username, kdf.hash_secret(password))


def login(store: Store, username: str, password: str) -> str | None:
    """A new session token for right credentials, else None (equally slow either way)."""
    user = store.user(username) if USERNAME.match(username) else None
    if not kdf.verify_secret(password, user["password_hash"] if user else _decoy_hash()) or not user:
        return None
    token = secrets.token_urlsafe(32)
    store.add_session(token_hash(token), username, secrets.token_urlsafe(24))
    return token


def current(store: Store, token: str, settings: Settings) -> StaffSession | None:
    if not token:
        return None
    row = store.live_session(token_hash(token), settings.session_idle_s, settings.session_max_s)
    return StaffSession(row["username"], row["display_name"], row["csrf"]) if row else None


def logout(store: Store, token: str) -> None:
    store.end_session(token_hash(token))


def same_token(sent: str, expected: str) -> bool:
    return bool(sent) and bool(expected) and hmac.compare_digest(sent.encode(), expected.encode())

"""Enrolment of kiosks by one-time code: staff create a code, a technician types it on the kiosk.

A code is 12 characters from an alphabet without look-alikes (about 59 bits), stored only as its
SHA-256, valid once and until it expires, optionally only for one kiosk id. No HTTP here.
"""

from __future__ import annotations

import hashlib
import secrets
import time

from kiosk.backoffice.store import Row, Store

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
GROUPS, GROUP_LENGTH = 3, 4


def normalise(code: str) -> str:
    return "".join(c for c in code.upper() if c.isalnum())


def code_hash(code: str) -> str:
    return hashlib.sha256(normalise(code).encode()).hexdigest()


def new_code(store: Store, village: str, created_by: str, ttl_h: float, kiosk_id: str = "") -> str:
    """A fresh code, shown once (e.g. `7KQM-3XPA-W9RT`)."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(GROUPS * GROUP_LENGTH))
    store.add_enrolment_code(code_hash(raw), village, kiosk_id, created_by, time.time() + ttl_h * 3600)
    return "-".join(raw[i : i + GROUP_LENGTH] for i in range(0, len(raw), GROUP_LENGTH))


def redeem(store: Store, code: str, kiosk_id: str) -> Row | None:
    """The code's record if it was valid for this kiosk (and is now used up); None otherwise."""
    return store.redeem_enrolment_code(code_hash(code), kiosk_id)

"""Which kiosk is asking: requests and bodies signed with an enrolled kiosk's device key.

A request carries `X-Kiosk-Auth` (kiosk/signed.py) naming its method, path, time and a nonce; a
revoked or unknown kiosk, a bad signature, a stale time or a reused nonce is refused. No HTML here.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from fastapi import HTTPException, Request

from kiosk import signed
from kiosk.backoffice.store import Store
from kiosk.crypto.suites import VerifyKey


def parse_time(text: Any) -> float | None:
    """Seconds since the epoch for an ISO 8601 time with a zone (a trailing Z allowed); else None."""
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.timestamp() if moment.tzinfo else None


def _refuse(status: int, code: str) -> HTTPException:
    return HTTPException(status, code)


def kiosk_key(store: Store, kiosk_id: str) -> VerifyKey:
    kiosk = store.kiosk(kiosk_id)
    if kiosk is None:
        raise _refuse(403, "KIOSK_UNKNOWN")
    if kiosk["revoked_at"]:
        raise _refuse(403, "KIOSK_REVOKED")
    key = store.kiosk_key(kiosk_id)
    if key is None:
        raise _refuse(403, "KIOSK_UNKNOWN")
    return key


def signed_body(store: Store, kiosk_id: str, envelope: Any) -> dict[str, Any]:
    """The payload of an envelope signed by `kiosk_id`'s device key and naming that kiosk."""
    payload = signed.verify(envelope, kiosk_key(store, kiosk_id))
    if payload is None:
        raise _refuse(401, "KIOSK_AUTH_SIGNATURE")
    if payload.get("kiosk_id") != kiosk_id:
        raise _refuse(403, "KIOSK_AUTH_WRONG_KIOSK")
    return payload


def verify_request(store: Store, request: Request, kiosk_id: str, window_s: float) -> None:
    """Raise 401/403 unless the request is signed by `kiosk_id` for exactly this method and path."""
    header = request.headers.get(signed.REQUEST_HEADER)
    if not header:
        raise _refuse(401, "KIOSK_AUTH_MISSING")
    payload = signed_body(store, kiosk_id, signed.parse_request_header(header))
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if payload.get("method") != request.method or payload.get("path") != path:
        raise _refuse(401, "KIOSK_AUTH_WRONG_REQUEST")
    sent = parse_time(payload.get("sent_at"))
    if sent is None or abs(sent - time.time()) > window_s:
        raise _refuse(401, "KIOSK_AUTH_CLOCK")
    nonce = str(payload.get("nonce", ""))
    if not 16 <= len(nonce) <= 128:
        raise _refuse(401, "KIOSK_AUTH_WRONG_REQUEST")
    if not store.use_nonce(kiosk_id, nonce, time.time() + 2 * window_s):
        raise _refuse(401, "KIOSK_AUTH_REPLAY")

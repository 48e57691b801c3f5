"""Signed JSON messages between the township and its terminals (receipts, decisions, case states) and
requests a terminal signs with its device key.

The signature (Ed25519 or SM2, by the key's suite) covers a context string and the canonical JSON
(sorted keys, no spaces, UTF-8) of the payload. No network, no files.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from datetime import UTC, datetime
from typing import Any

from kiosk.bundle.layout import canonical_json
from kiosk.crypto.suites import SigningKey, VerifyKey

CONTEXT = b"KSKB v1 signed message\x00"


def canonical(payload: Any) -> bytes:
    return canonical_json(payload)


def sign(payload: dict[str, Any], key: SigningKey) -> dict[str, Any]:
    return {
        "payload": payload,
        "signature": base64.b64encode(key.sign(CONTEXT + canonical(payload))).decode(),
    }


def verify(envelope: Any, key: VerifyKey) -> dict[str, Any] | None:
    """The payload if the envelope is well formed and its signature verifies, else None."""
    if not isinstance(envelope, dict) or not isinstance(envelope.get("payload"), dict):
        return None
    try:
        signature = base64.b64decode(envelope.get("signature", ""), validate=True)
    except (binascii.Error, TypeError, ValueError):
        return None
    return envelope["payload"] if key.verify(signature, CONTEXT + canonical(envelope["payload"])) else None


# --- Requests from a terminal, signed with its device key ---------------------------------------

REQUEST_HEADER = "X-Kiosk-Auth"


def request_header(
    kiosk_id: str, key: SigningKey, method: str, path: str, sent_at: str | None = None
) -> dict[str, str]:
    """The header that proves a GET/POST comes from this kiosk: a signed envelope naming the request.

    `path` includes the query string; `sent_at` (ISO 8601) defaults to now. A fresh nonce makes every
    request single-use.
    """
    payload = {
        "kiosk_id": kiosk_id,
        "method": method.upper(),
        "path": path,
        "sent_at": sent_at or datetime.now(UTC).isoformat(timespec="seconds"),
        "nonce": secrets.token_hex(16),
    }
    return {REQUEST_HEADER: base64.urlsafe_b64encode(canonical(sign(payload, key))).decode()}


def parse_request_header(value: str) -> Any:
    """The envelope carried in the header, or None when it is not base64 JSON."""
    try:
        return json.loads(base64.urlsafe_b64decode(value.encode()))
    except (ValueError, UnicodeDecodeError):
        return None

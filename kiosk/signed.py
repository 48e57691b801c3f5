"""Signed JSON messages between the township and its terminals (receipts, decisions, requests).

The signature covers the canonical JSON (sorted keys, no spaces) of the payload.
"""

from __future__ import annotations

import base64
import json
import secrets
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


def canonical(payload: Any) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign(payload: dict[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    return {"payload": payload, "signature": base64.b64encode(key.sign(canonical(payload))).decode()}


def verify(envelope: Any, key: Ed25519PublicKey) -> dict[str, Any] | None:
    """The payload if the envelope is well formed and its signature verifies, else None."""
    if not isinstance(envelope, dict) or not isinstance(envelope.get("payload"), dict):
        return None
    try:
        key.verify(
            base64.b64decode(envelope.get("signature", ""), validate=True), canonical(envelope["payload"])
        )
    except (InvalidSignature, ValueError, TypeError):
        return None
    return envelope["payload"]


# --- Requests from a terminal, signed with its device key ---------------------------------------

REQUEST_HEADER = "X-Kiosk-Auth"


def request_header(
    kiosk_id: str, key: Ed25519PrivateKey, method: str, path: str, sent_at: str | None = None
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

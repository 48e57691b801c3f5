"""Signed JSON messages between the township and its terminals (receipts, decisions).

The signature covers the canonical JSON (sorted keys, no spaces) of the payload.
"""

from __future__ import annotations

import base64
import json
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

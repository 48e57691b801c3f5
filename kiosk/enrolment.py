"""Enrolment of this terminal with the township back office by a one-time code a technician types.

POST /api/v1/enrolments {code, kiosk_id, device_public_key, suite} answers 201 {kiosk_id,
township_public_key, key_id}. The answer's authenticity rests on the pinned TLS certificate;
the terminal then keeps township.pub and a record of the key id. No UI here.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

import requests

from kiosk import keys
from kiosk.crypto.suites import SigningKey
from kiosk.errors import KioskError


@dataclass(frozen=True)
class Enrolment:
    kiosk_id: str
    key_id: str
    suite: str
    device_key_id: str
    url: str
    enrolled_at: str


def enrol(
    session: requests.Session,
    url: str,
    code: str,
    kiosk_id: str,
    device_key: SigningKey,
    township_path: Path,
    record_path: Path,
    timeout: float = 20.0,
) -> Enrolment:
    """Send this terminal's public key with the code; keep the township's keys it answers with."""
    suite = device_key.public.suite
    body = {
        "code": code,
        "kiosk_id": kiosk_id,
        "device_public_key": keys.public_pem(device_key.public).decode(),
        "suite": suite.name,
    }
    try:
        response = session.post(f"{url.rstrip('/')}/api/v1/enrolments", json=body, timeout=timeout)
    except requests.RequestException as e:
        raise KioskError("ENROL_FAILED", reason=type(e).__name__) from None
    if response.status_code == 403:
        raise KioskError("ENROL_REFUSED")
    if response.status_code != 201:
        raise KioskError("ENROL_FAILED", reason=f"HTTP {response.status_code}")
    township = _township(response, kiosk_id, suite.name)
    keys.write_file(township_path, township.pem(), 0o644)
    record = Enrolment(
        kiosk_id=kiosk_id,
        key_id=township.key_id,
        suite=suite.name,
        device_key_id=keys.fingerprint(device_key.public),
        url=url,
        enrolled_at=datetime.now().astimezone().isoformat(timespec="seconds"),
    )
    keys.write_file(record_path, json.dumps(asdict(record), indent=1).encode(), 0o644)
    return record


def _township(response: requests.Response, kiosk_id: str, suite: str) -> keys.TownshipPublic:
    """The township's keys from the answer, checked against the key id and suite it states."""
    try:
        answer = response.json()
        township = keys.township_public_from_pem(answer["township_public_key"], "enrolment answer")
        stated_id, stated_kiosk = answer["key_id"], answer["kiosk_id"]
    except (ValueError, KeyError, TypeError, AttributeError):
        raise KioskError("ENROL_FAILED", reason="malformed answer") from None
    except KioskError:
        raise KioskError("ENROL_FAILED", reason="township key unreadable") from None
    if stated_kiosk != kiosk_id:
        raise KioskError("ENROL_FAILED", reason=f"answer names terminal {stated_kiosk}")
    if township.key_id != stated_id:
        raise KioskError("ENROL_FAILED", reason="key id does not match the township key")
    if township.suite.name != suite:
        raise KioskError(
            "ENROL_FAILED", reason=f"township uses suite {township.suite.name}, terminal {suite}"
        )
    return township

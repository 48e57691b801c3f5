"""This terminal's signed conversation with the township back office (decisions, agents, heartbeat).

Every request carries the device key's signature (kiosk/signed.py); every answer must carry the
township's signature and name this kiosk. The clock offset learnt from /api/v1/time corrects the
request time when the terminal's clock is off. No UI, no outbox.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import requests

from kiosk import signed
from kiosk.crypto.suites import SigningKey
from kiosk.errors import SyncError
from kiosk.keys import TownshipPublic


class TownshipClient:
    def __init__(
        self,
        base_url: str,
        kiosk_id: str,
        device_key: SigningKey,
        township: TownshipPublic,
        timeout: float = 20.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.kiosk_id = kiosk_id
        self.device_key = device_key
        self.township = township
        self.timeout = timeout
        self.clock_offset = 0.0  # township time minus ours, in seconds
        self.session = requests.Session()

    def _now(self) -> str:
        moment = datetime.fromtimestamp(time.time() + self.clock_offset, UTC)
        return moment.isoformat(timespec="seconds")

    def check_clock(self) -> float:
        """Ask the township for its time; returns and remembers the offset (township minus ours)."""
        before = time.time()
        response = self._send("GET", "/api/v1/time", {})
        after = time.time()
        try:
            township_time = datetime.fromisoformat(response.json()["time"].replace("Z", "+00:00"))
        except (ValueError, KeyError, TypeError, AttributeError):
            raise SyncError("SYNC_BAD_ANSWER", detail="time") from None
        self.clock_offset = township_time.timestamp() - (before + after) / 2
        return self.clock_offset

    def get(self, path: str) -> dict[str, Any]:
        """GET a township-signed resource meant for this kiosk; returns its verified payload."""
        return self.get_envelope(path)["payload"]

    def get_envelope(self, path: str) -> dict[str, Any]:
        """The verified envelope itself, for answers worth keeping as signed (the agent register)."""
        return self._signed("GET", path, None)

    def post(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        """POST `payload` signed with the device key; returns the township-signed answer's payload."""
        return self._signed("POST", path, payload)["payload"]

    def _signed(self, method: str, path: str, payload: dict[str, Any] | None) -> dict[str, Any]:
        response = self._attempt(method, path, payload)
        if response.status_code == 401 and _detail(response) == "KIOSK_AUTH_CLOCK":
            self.check_clock()
            response = self._attempt(method, path, payload)
        if response.status_code != 200:
            raise SyncError("SYNC_REFUSED", reason=_detail(response), detail=f"HTTP {response.status_code}")
        try:
            envelope = response.json()
        except ValueError:
            envelope = None
        answer = signed.verify(envelope, self.township.signing)
        if answer is None or answer.get("kiosk_id") != self.kiosk_id:
            raise SyncError("SYNC_BAD_ANSWER", detail=path.split("?")[0])
        return envelope

    def _attempt(self, method: str, path: str, payload: dict[str, Any] | None) -> requests.Response:
        if payload is None:
            headers = signed.request_header(self.kiosk_id, self.device_key, method, path, self._now())
            return self._send(method, path, headers)
        body = signed.sign({**payload, "kiosk_id": self.kiosk_id}, self.device_key)
        return self._send(method, path, {}, body)

    def _send(self, method: str, path: str, headers: dict[str, str], body: Any = None) -> requests.Response:
        try:
            return self.session.request(
                method, self.base_url + path, headers=headers, json=body, timeout=self.timeout
            )
        except requests.RequestException as e:
            raise SyncError("SYNC_UNREACHABLE", detail=type(e).__name__) from None


def _detail(response: requests.Response) -> str:
    try:
        return str(response.json().get("detail", ""))[:200]
    except (ValueError, AttributeError):
        return response.text[:200]

"""Delivery of sealed bundles to the township back office, in the background, until confirmed.

Only the township's signed receipt naming the bundle and its digest counts as delivery: a plain 200
(a captive portal answers 200) does not. Retries back off exponentially with jitter, without limit.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from typing import Any

import requests

from kiosk import signed
from kiosk.bundle import file_sha256
from kiosk.errors import UploadError
from kiosk.keys import TownshipPublic
from kiosk.outbox import Entry, Outbox

log = logging.getLogger(__name__)


class Uploader:
    def __init__(self, base_url: str, township: TownshipPublic, kiosk_id: str, timeout: float = 20.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.township = township
        self.kiosk_id = kiosk_id
        self.timeout = timeout
        self.session = requests.Session()

    def deliver(self, entry: Entry) -> dict[str, Any]:
        """Send one bundle; returns the verified receipt payload."""
        digest = file_sha256(entry.path)
        url = f"{self.base_url}/api/v1/bundles/{entry.bundle_id}"
        try:
            with entry.path.open("rb") as body:
                response = self.session.put(
                    url,
                    data=body,
                    headers={"Content-Type": "application/octet-stream", "X-Kiosk-Id": self.kiosk_id},
                    timeout=self.timeout,
                )
        except requests.RequestException as e:
            raise UploadError("UPLOAD_UNREACHABLE", detail=type(e).__name__) from None
        if response.status_code in (400, 409, 413, 422):
            raise UploadError("UPLOAD_REJECTED", reason=_reason(response), detail=str(response.status_code))
        if response.status_code not in (200, 201):
            raise UploadError("UPLOAD_FAILED", detail=f"HTTP {response.status_code}")
        return self._verified_receipt(response, entry.bundle_id, digest)

    def _verified_receipt(self, response: requests.Response, bundle_id: str, digest: str) -> dict[str, Any]:
        try:
            envelope = response.json()
        except ValueError:
            envelope = None
        receipt = signed.verify(envelope, self.township.signing)
        if not receipt or receipt.get("bundle_id") != bundle_id or receipt.get("sha256") != digest:
            raise UploadError("UPLOAD_BAD_RECEIPT", detail=f"HTTP {response.status_code}")
        return receipt


def _reason(response: requests.Response) -> str:
    try:
        return str(response.json().get("detail", ""))[:200]
    except ValueError:
        return response.text[:200]


def backoff_delay(attempts: int, minimum: float, maximum: float) -> float:
    """Exponential back-off with jitter between half and the whole of the step."""
    step = min(maximum, minimum * 2 ** min(attempts, 30))
    return random.uniform(step / 2, step)


class UploadWorker:
    """Delivers due bundles on its own thread; `wake()` after sealing to send at once."""

    def __init__(
        self,
        outbox: Outbox,
        uploader: Uploader,
        retry_min: float,
        retry_max: float,
        on_change: Callable[[str, str], None] = lambda bundle_id, state: None,
    ) -> None:
        self.outbox = outbox
        self.uploader = uploader
        self.retry_min, self.retry_max = retry_min, retry_max
        self.on_change = on_change
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="upload", daemon=True)

    def start(self) -> UploadWorker:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=5)

    def wake(self) -> None:
        self._wake.set()

    def run_once(self) -> int:
        """Try every due bundle once; returns how many were delivered."""
        delivered = 0
        for entry in self.outbox.due():
            try:
                receipt = self.uploader.deliver(entry)
            except UploadError as e:
                retry_at = time.time() + backoff_delay(entry.attempts, self.retry_min, self.retry_max)
                self.outbox.attempt_failed(entry.bundle_id, e.code, retry_at)
                log.warning("upload.failed", extra={"event": "upload.failed", "code": e.code})
                continue
            self.outbox.delivered(entry.bundle_id, receipt)
            delivered += 1
            self.on_change(entry.bundle_id, "delivered")
        return delivered

    def _run(self) -> None:
        while not self._stop.is_set():
            self.run_once()
            self._wake.wait(timeout=1.0)
            self._wake.clear()

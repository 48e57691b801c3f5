"""Delivery of sealed bundles to the township back office over tus 1.0 (resumable upload), in the
background, until the township's signed receipt confirms each one.

A dropped link costs at most the bytes in flight: the server keeps what arrived and the next
attempt resumes at its offset. Only a signed receipt naming the bundle and its digest counts as
delivery; a plain 200 (a captive portal answers 200) does not. Failures back off exponentially with
jitter, without limit, honouring Retry-After; progress restarts the back-off. No UI here.
"""

from __future__ import annotations

import base64
import email.utils
import fcntl
import logging
import random
import threading
import time
from collections.abc import Callable
from typing import Any, BinaryIO
from urllib.parse import urljoin, urlsplit

import requests

from kiosk import bundle, signed
from kiosk.errors import BundleError, UploadError, UploadRefused
from kiosk.keys import TownshipPublic
from kiosk.outbox import Entry, Outbox

log = logging.getLogger(__name__)

TUS = {"Tus-Resumable": "1.0.0"}
NOT_YET_ENROLLED = ("BUNDLE_UNKNOWN_KIOSK", "BUNDLE_KEY_NOT_ENROLLED")
MAX_RETRY_AFTER = 24 * 3600.0
SEND_BLOCK = 16 * 1024
IDLE_WAIT_S = 60.0  # with nothing due, look again at least this often (another process may have sealed)


class RateLimiter:
    """A byte budget per second shared by every request (token bucket, one second of burst)."""

    def __init__(self, bytes_per_second: float) -> None:
        self.rate = bytes_per_second
        self.tokens = bytes_per_second
        self.stamp = time.monotonic()
        self.lock = threading.Lock()

    def take(self, count: int) -> None:
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.rate, self.tokens + (now - self.stamp) * self.rate) - count
            self.stamp = now
            wait = -self.tokens / self.rate if self.tokens < 0 else 0.0
        if wait:
            time.sleep(wait)


class _Chunk:
    """One PATCH body read straight from the bundle file: known length, paced by the limiter,
    counting what left (requests streams any object with read() and __len__)."""

    def __init__(self, stream: BinaryIO, length: int, limiter: RateLimiter | None) -> None:
        self.stream, self.left, self.limiter = stream, length, limiter
        self.length = length

    def __len__(self) -> int:
        return self.length

    def read(self, size: int = -1) -> bytes:
        size = self.left if size < 0 else min(size, self.left, SEND_BLOCK)
        data = self.stream.read(size)
        self.left -= len(data)
        if self.limiter and data:
            self.limiter.take(len(data))
        return data


def retry_after(response: requests.Response) -> float | None:
    """Retry-After in seconds (delta-seconds or an HTTP date), capped at a day."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, min(when.timestamp() - time.time(), MAX_RETRY_AFTER))


def _detail(response: requests.Response) -> str:
    """The back office's reason code ({"detail": "BUNDLE_…"}), "" for anything else."""
    try:
        detail = response.json().get("detail", "")
    except (ValueError, AttributeError):
        detail = ""
    return detail if isinstance(detail, str) else ""


def _what(response: requests.Response) -> str:
    """For the log: the reason code, else the start of whatever answered."""
    return _detail(response) or f"{response.status_code} {response.request.method} {response.text[:120]!r}"


class _Restart(Exception):
    """The server no longer has this upload (expired, or thrown away as corrupt): create it anew."""


class Uploader:
    def __init__(
        self,
        base_url: str,
        township: TownshipPublic,
        kiosk_id: str,
        session: requests.Session,
        timeout: float = 20.0,
        chunk_bytes: int = 256 * 1024,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.township = township
        self.kiosk_id = kiosk_id
        self.session = session
        self.timeout = timeout
        self.chunk_bytes = chunk_bytes
        self.limiter = limiter
        self.sent = 0  # body bytes handed to the network, for the bench's re-send figure

    # --- one bundle -------------------------------------------------------------------------------

    def deliver(
        self, entry: Entry, on_progress: Callable[[int], None] = lambda offset: None
    ) -> dict[str, Any]:
        """Upload one bundle (resuming where the server stands) and return the verified receipt."""
        receipt = self.receipt(entry)
        if receipt:
            return receipt
        progressed = 0
        try:
            for _ in range(3):  # a restart (expired or corrupt upload) twice in a row is not normal
                try:
                    url = self._create(entry)
                    offset = start = self._offset(url, entry)
                    while True:
                        offset = self._patch(url, entry, offset)
                        progressed += max(0, offset - start)
                        start = offset
                        on_progress(offset)
                        if offset == entry.size:
                            break
                    break
                except _Restart:
                    continue
            else:
                raise UploadError("UPLOAD_FAILED", detail="upload restarted three times")
        except UploadError as e:
            e.progressed = e.progressed or progressed
            raise
        receipt = self.receipt(entry)
        if not receipt:
            raise UploadError(
                "UPLOAD_BAD_RECEIPT", detail="no receipt after the last chunk", progressed=progressed
            )
        return receipt

    def receipt(self, entry: Entry) -> dict[str, Any] | None:
        """The township's verified receipt for this bundle, None if it has not received it."""
        payload = self._signed(f"{self.base_url}/api/v1/bundles/{entry.bundle_id}/receipt")
        if payload is None:
            return None
        if payload.get("bundle_id") != entry.bundle_id:
            raise UploadError("UPLOAD_BAD_RECEIPT", detail="receipt for another bundle")
        if payload.get("bundle_digest") != entry.digest:
            raise UploadRefused("UPLOAD_CONFLICT", detail="the township holds another bundle under this id")
        return payload

    def _signed(self, url: str) -> dict[str, Any] | None:
        """A message the township signed, None on 404. Anything unsigned (a captive portal's 200
        page, a proxy's answer) is UPLOAD_BAD_RECEIPT, never taken as an answer."""
        response = self._call("GET", url)
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            self._fail(response)
        try:
            envelope = response.json()
        except ValueError:
            envelope = None
        payload = signed.verify(envelope, self.township.signing)
        if payload is None:
            raise UploadError("UPLOAD_BAD_RECEIPT", detail=f"HTTP {response.status_code}, not signed")
        return payload

    # --- tus ------------------------------------------------------------------------------------

    def _create(self, entry: Entry) -> str:
        metadata = {"bundle_id": entry.bundle_id, "bundle_digest": entry.digest, "kiosk_id": self.kiosk_id}
        response = self._call(
            "POST",
            f"{self.base_url}/api/v1/uploads",
            headers={
                "Upload-Length": str(entry.size),
                "Upload-Metadata": ",".join(
                    f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in metadata.items()
                ),
            },
        )
        if response.status_code != 201 or "Location" not in response.headers:
            self._fail(response)
        url = urljoin(self.base_url + "/", response.headers["Location"])
        if urlsplit(url)[:2] != urlsplit(self.base_url)[:2] or not url.endswith(f"/{entry.bundle_id}"):
            raise UploadError("UPLOAD_FAILED", detail="upload location elsewhere, or cut off")
        return url

    def _offset(self, url: str, entry: Entry) -> int:
        response = self._call("HEAD", url)
        if response.status_code in (404, 410):
            raise _Restart
        if response.status_code not in (200, 204):
            self._fail(response)
        offset, length = response.headers.get("Upload-Offset", ""), response.headers.get("Upload-Length", "")
        if not offset.isdigit() or length != str(entry.size) or int(offset) > entry.size:
            raise UploadError("UPLOAD_FAILED", detail="HEAD without a valid Upload-Offset")
        return int(offset)

    def _patch(self, url: str, entry: Entry, offset: int) -> int:
        """Send the chunk at `offset` (an empty one finalises a complete upload); the new offset."""
        length = min(self.chunk_bytes, entry.size - offset)
        try:
            with entry.path.open("rb") as stream:
                stream.seek(offset)
                body = _Chunk(stream, length, self.limiter)
                try:
                    response = self._call(
                        "PATCH",
                        url,
                        data=body,
                        headers={
                            "Content-Type": "application/offset+octet-stream",
                            "Upload-Offset": str(offset),
                        },
                    )
                finally:
                    self.sent += length - body.left
        except FileNotFoundError:
            raise UploadRefused("BUNDLE_MISSING") from None
        if response.status_code == 409 and _detail(response) in ("", "TUS_OFFSET"):
            return self._offset(url, entry)  # another attempt moved the offset: ask where it stands
        if response.status_code in (404, 410) or _detail(response) == "UPLOAD_CORRUPT":
            raise _Restart
        if response.status_code != 204:
            self._fail(response)
        new = response.headers.get("Upload-Offset", "")
        if not new.isdigit() or not offset <= int(new) <= entry.size or (length and int(new) == offset):
            raise UploadError("UPLOAD_FAILED", detail="PATCH answer without progress")
        return int(new)

    def _call(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        headers = {**TUS, "X-Kiosk-Id": self.kiosk_id, **kwargs.pop("headers", {})}
        try:
            response = self.session.request(method, url, headers=headers, timeout=self.timeout, **kwargs)
            _ = response.content  # read the body within the timeout, then release the connection
        except requests.RequestException as e:
            raise UploadError("UPLOAD_UNREACHABLE", detail=type(e).__name__) from None
        return response

    def _fail(self, response: requests.Response) -> None:
        """Only a well-formed refusal of the back office ({"detail": "BUNDLE_…"}) is final; any
        other answer (a cut-off response, a proxy's page) is a failure to retry."""
        code, status = _detail(response), response.status_code
        if code in NOT_YET_ENROLLED:
            raise UploadError("UPLOAD_NOT_ENROLLED", detail=code, retry_after=retry_after(response))
        if status == 409 and code == "BUNDLE_CONFLICT":
            raise UploadRefused("UPLOAD_CONFLICT", detail=code)
        if status in (403, 409, 413, 422) and code.startswith("BUNDLE_"):
            raise UploadRefused("UPLOAD_REJECTED", reason=code, detail=code)
        raise UploadError("UPLOAD_FAILED", detail=_what(response), retry_after=retry_after(response))


def backoff_delay(attempts: int, minimum: float, maximum: float) -> float:
    """Exponential back-off with jitter between half and the whole of the step."""
    step = min(maximum, minimum * 2 ** min(max(attempts - 1, 0), 30))
    return random.uniform(step / 2, step)


class UploadWorker:
    """Delivers due bundles on its own thread; `wake()` after sealing to send at once. One worker
    per data folder uploads at a time (a lock file). Decisions come back through kiosk/decisions.py."""

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
        self.checked: set[str] = set()  # bundles whose local file passed its integrity check
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="upload", daemon=True)
        self._lock_path = outbox.dir.parent / "upload.lock"

    def start(self) -> UploadWorker:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=self.uploader.timeout + 5)

    def wake(self) -> None:
        self._wake.set()

    def run_once(self) -> int:
        """Try every due bundle once; returns how many were delivered."""
        with self._lock_path.open("a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return 0  # another process (kiosk-uploader, a technician's command) is uploading
            return self._deliver_due()

    def _deliver_due(self) -> int:
        delivered = 0
        for entry in self.outbox.due():
            if self._stop.is_set():
                break
            try:
                self._check_local(entry)
                receipt = self.uploader.deliver(
                    entry, lambda offset, e=entry: self.outbox.progress(e.bundle_id, offset)
                )
            except UploadRefused as e:
                self.outbox.refused(entry.bundle_id, e.code if not e.detail else f"{e.code}: {e.detail}")
                log.error(
                    "upload.refused", extra={"event": "upload.refused", "code": e.code, "detail": e.detail}
                )
                self.on_change(entry.bundle_id, "refused")
                continue
            except UploadError as e:
                self._failed(entry, e)
                if e.code in ("UPLOAD_UNREACHABLE", "UPLOAD_FAILED"):
                    break  # the link or the server is down: the others wait for the next round
                continue
            self.outbox.delivered(entry.bundle_id, receipt)
            delivered += 1
            log.info("upload.delivered", extra={"event": "upload.delivered", "attempts": entry.attempts + 1})
            self.on_change(entry.bundle_id, "delivered")
        return delivered

    def _check_local(self, entry: Entry) -> None:
        """A bundle damaged on this terminal's storage would be refused: never send it."""
        if entry.bundle_id in self.checked:
            return
        try:
            header = bundle.check_integrity(entry.path)
        except FileNotFoundError:
            raise UploadRefused("BUNDLE_MISSING") from None
        except BundleError as e:
            raise UploadRefused("UPLOAD_LOCAL_CORRUPT", detail=e.code) from None
        if header.bundle_digest() != entry.digest:
            raise UploadRefused("UPLOAD_LOCAL_CORRUPT", detail="digest")
        self.checked.add(entry.bundle_id)

    def _failed(self, entry: Entry, error: UploadError) -> None:
        progressed = bool(error.progressed)
        attempts = 1 if progressed else entry.attempts + 1
        delay = backoff_delay(attempts, self.retry_min, self.retry_max)
        if error.retry_after is not None:
            delay = max(delay, error.retry_after)
        self.outbox.attempt_failed(entry.bundle_id, error.code, time.time() + delay, progressed)
        log.warning(
            "upload.failed",
            extra={
                "event": "upload.failed",
                "code": error.code,
                "detail": error.detail,
                "retry_in_s": round(delay, 1),
            },
        )

    def _run(self) -> None:
        while not self._stop.is_set():
            self.run_once()
            due = self.outbox.next_due()
            wait = IDLE_WAIT_S if due is None else max(0.05, min(due - time.time(), IDLE_WAIT_S))
            self._wake.wait(timeout=wait)
            self._wake.clear()

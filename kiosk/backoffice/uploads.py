"""The resumable upload endpoint (tus 1.0 core + creation, termination, expiration) and the signed
receipt, as a FastAPI router under /api/v1.

Written here rather than taken from tuspyserver, whose 4.4.3 stores bytes of refused requests and
never cleans expired uploads (shared/research/tus.md). Every PATCH is checked before a byte is
written, appended with fsync, and never past the declared length; the upload address is the bundle
id, so creation is idempotent. The bundle's own signature is checked as soon as its header has
arrived, and the whole bundle is verified and filed when the last byte has.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import os
import re
import time
from email.utils import formatdate
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from starlette.requests import ClientDisconnect

from kiosk import bundle
from kiosk.backoffice.api import Problem
from kiosk.backoffice.blobs import bundle_key
from kiosk.backoffice.intake import TRANSIENT, Conflict, Corrupt, Intake
from kiosk.backoffice.services import services_of
from kiosk.errors import BundleError
from kiosk.keys import write_file

TUS_VERSION = "1.0.0"
EXTENSIONS = "creation,termination,expiration"
BundleId = Annotated[str, PathParam(pattern=r"^[0-9a-f]{32}$")]
DIGEST = re.compile(r"[0-9a-f]{64}")
KIOSK_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
EXPIRY_S = 7 * 24 * 3600.0  # terminals may be offline for days; an expired upload only costs a restart
SWEEP_EVERY_S = 600.0
BODY_IDLE_S = 15.0  # a PATCH silent this long is over: its lock must not outlive a dead link


def _headers(**extra: str) -> dict[str, str]:
    return {"Tus-Resumable": TUS_VERSION, "Cache-Control": "no-store", **extra}


def _answer(status: int, detail: str = "", **headers: str) -> Response:
    if detail:
        return JSONResponse({"detail": detail}, status_code=status, headers=_headers(**headers))
    return Response(status_code=status, headers=_headers(**headers))


def parse_metadata(value: str) -> dict[str, str] | None:
    """tus Upload-Metadata: comma-separated "key base64(value)" pairs; None if malformed."""
    pairs: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in value.split(","))):
        key, _, encoded = item.partition(" ")
        try:
            pairs[key] = base64.b64decode(encoded, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None
    return pairs


class Uploads:
    """Upload state on disk: <id>.part (the bytes so far; its size is the offset) and <id>.json."""

    def __init__(self, directory: Path, expiry_s: float) -> None:
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self.expiry_s = expiry_s
        self.locks: dict[str, asyncio.Lock] = {}
        self.swept = 0.0

    def part(self, bundle_id: str) -> Path:
        return self.dir / f"{bundle_id}.part"

    def info(self, bundle_id: str) -> dict[str, Any] | None:
        """The upload's record, None if there is none or it has expired."""
        try:
            info = json.loads((self.dir / f"{bundle_id}.json").read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return None
        return info if info["expires"] >= time.time() else None

    def save(self, bundle_id: str, info: dict[str, Any]) -> None:
        write_file(self.dir / f"{bundle_id}.json", json.dumps(info).encode(), 0o600)

    def create(self, bundle_id: str, length: int, digest: str, kiosk_id: str) -> dict[str, Any]:
        self.remove(bundle_id)
        self.part(bundle_id).touch(mode=0o600)
        info = {
            "length": length,
            "bundle_digest": digest,
            "kiosk_id": kiosk_id,
            "expires": time.time() + self.expiry_s,
            "header_checked": False,
        }
        self.save(bundle_id, info)
        bundle.fsync_directory(self.dir)
        return info

    def remove(self, bundle_id: str) -> None:
        (self.dir / f"{bundle_id}.json").unlink(missing_ok=True)
        self.part(bundle_id).unlink(missing_ok=True)

    def offset(self, bundle_id: str) -> int:
        try:
            return self.part(bundle_id).stat().st_size
        except FileNotFoundError:
            return 0

    def sweep(self, now: float) -> int:
        """Remove uploads past their expiry (at most every few minutes)."""
        if now - self.swept < SWEEP_EVERY_S:
            return 0
        self.swept, removed = now, 0
        for path in self.dir.glob("*.json"):
            if self.info(path.stem) is None:
                self.remove(path.stem)
                removed += 1
        return removed

    def lock(self, bundle_id: str) -> asyncio.Lock:
        return self.locks.setdefault(bundle_id, asyncio.Lock())


def expires_header(info: dict[str, Any]) -> str:
    return formatdate(info["expires"], usegmt=True)


router = APIRouter(prefix="/api/v1", tags=["uploads"])
WHY = {
    200: "the upload's offset and length",
    201: "created (or found again): Location names the upload",
    204: "done; Upload-Offset is the new offset",
    400: "malformed tus request (detail names it)",
    403: "the terminal is not (yet) enrolled: enrol, then send again",
    404: "no such upload (or expired), or no such bundle received",
    409: "offset mismatch (no body, Upload-Offset tells the right one), BUNDLE_CONFLICT or UPLOAD_CORRUPT",
    412: "Tus-Resumable: 1.0.0 missing",
    413: "BUNDLE_TOO_LARGE",
    415: "Content-Type must be application/offset+octet-stream",
    422: "the bundle is refused (quarantined); detail is the reason",
    423: "another PATCH on this upload is running; Retry-After",
}


def documented(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"description": WHY[code], **({"model": Problem} if code >= 400 else {})} for code in codes}


def _context(request: Request) -> tuple[Intake, Uploads, int]:
    """The intake, the uploads in progress (one set per app) and the size limit."""
    services = services_of(request)
    uploads = getattr(request.app.state, "uploads", None)
    if uploads is None:
        uploads = request.app.state.uploads = Uploads(services.data_dir / "uploads", EXPIRY_S)
    return services.intake, uploads, services.settings.max_bundle_bytes


def _tus_refused(request: Request) -> Response | None:
    if request.headers.get("tus-resumable") != TUS_VERSION:
        return _answer(412, "TUS_VERSION", **{"Tus-Version": TUS_VERSION})
    return None


def _state(intake: Intake, uploads: Uploads, bundle_id: str) -> tuple[int, int] | None:
    """(length, offset) of an upload in progress, or of a bundle already filed."""
    info = uploads.info(bundle_id)
    if info is not None:
        return info["length"], uploads.offset(bundle_id)
    key = bundle_key(bundle_id)
    if intake.store.bundle(bundle_id) and intake.store.blobs.exists(key):
        size = intake.store.blobs.size(key)
        return size, size
    return None


@router.options("/uploads", status_code=204, responses=documented(204))
def capabilities(request: Request) -> Response:
    """tus: the protocol version, extensions and the largest bundle accepted."""
    max_bytes = _context(request)[2]
    return _answer(
        204, **{"Tus-Version": TUS_VERSION, "Tus-Extension": EXTENSIONS, "Tus-Max-Size": str(max_bytes)}
    )


@router.post("/uploads", status_code=201, responses=documented(201, 400, 409, 412, 413, 422))
def create(request: Request) -> Response:
    """tus creation; Upload-Metadata carries bundle_id, bundle_digest and kiosk_id. Idempotent."""
    refused = _tus_refused(request)
    if refused:
        return refused
    intake, uploads, max_bytes = _context(request)
    uploads.sweep(time.time())
    length = request.headers.get("upload-length", "")
    metadata = parse_metadata(request.headers.get("upload-metadata", "")) or {}
    bundle_id, digest = metadata.get("bundle_id", ""), metadata.get("bundle_digest", "")
    kiosk_id = metadata.get("kiosk_id", "")
    if not (length.isdigit() and re.fullmatch(r"[0-9a-f]{32}", bundle_id) and DIGEST.fullmatch(digest)):
        return _answer(400, "TUS_BAD_CREATION")
    if not KIOSK_ID.fullmatch(kiosk_id):
        return _answer(400, "TUS_BAD_CREATION")
    if int(length) > max_bytes:
        return _answer(413, "BUNDLE_TOO_LARGE")
    location = {"Location": f"/api/v1/uploads/{bundle_id}"}
    known = intake.store.bundle(bundle_id)
    if known:
        return _answer(201, **location) if known["sha256"] == digest else _answer(409, "BUNDLE_CONFLICT")
    reason = intake.refusal(bundle_id)
    if reason:
        return _answer(422, reason)
    info = uploads.info(bundle_id)
    if not info or info["bundle_digest"] != digest or info["length"] != int(length):
        info = uploads.create(bundle_id, int(length), digest, kiosk_id)
    return _answer(201, **location, **{"Upload-Expires": expires_header(info)})


@router.options("/uploads/{bundle_id}", status_code=204, responses=documented(204, 422))
def upload_capabilities(bundle_id: BundleId, request: Request) -> Response:
    """tus: the same answer as OPTIONS /uploads, for clients that ask the upload itself."""
    return capabilities(request)


@router.head("/uploads/{bundle_id}", responses=documented(200, 404, 412, 422))
def offset(bundle_id: BundleId, request: Request) -> Response:
    """tus: how many bytes of this upload the back office holds."""
    refused = _tus_refused(request)
    if refused:
        return refused
    intake, uploads, _ = _context(request)
    found = _state(intake, uploads, bundle_id)
    if found is None:
        return _answer(404, "TUS_NOT_FOUND")
    return _answer(200, **{"Upload-Length": str(found[0]), "Upload-Offset": str(found[1])})


@router.delete("/uploads/{bundle_id}", status_code=204, responses=documented(204, 404, 412, 422))
def terminate(bundle_id: BundleId, request: Request) -> Response:
    """tus termination: forget an unfinished upload."""
    refused = _tus_refused(request)
    if refused:
        return refused
    uploads = _context(request)[1]
    if uploads.info(bundle_id) is None:
        return _answer(404, "TUS_NOT_FOUND")
    uploads.remove(bundle_id)
    return _answer(204)


@router.patch(
    "/uploads/{bundle_id}", status_code=204, responses=documented(204, 400, 403, 404, 409, 412, 415, 422, 423)
)
async def append(bundle_id: BundleId, request: Request) -> Response:
    """tus: append at Upload-Offset. The PATCH that completes the bundle verifies and files it."""
    refused = _tus_refused(request)
    if refused:
        return refused
    if request.headers.get("content-type") != "application/offset+octet-stream":
        return _answer(415, "TUS_CONTENT_TYPE")
    offset = request.headers.get("upload-offset", "")
    if not offset.isdigit():
        return _answer(400, "TUS_BAD_OFFSET")
    intake, uploads, _ = _context(request)
    lock = uploads.lock(bundle_id)
    if lock.locked():
        return _answer(423, "TUS_LOCKED", **{"Retry-After": "1"})
    async with lock:
        found = _state(intake, uploads, bundle_id)
        if found is None:
            return _answer(404, "TUS_NOT_FOUND")
        length, current = found
        if int(offset) != current:
            return _answer(409, "TUS_OFFSET", **{"Upload-Offset": str(current)})
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and current + int(declared) > length:
            return _answer(400, "TUS_PAST_LENGTH")
        info = uploads.info(bundle_id)
        if info is not None and current < length:
            if not await _receive(request, uploads.part(bundle_id), current, length):
                return _answer(400, "TUS_PAST_LENGTH")
            current = uploads.offset(bundle_id)
            refusal = await run_in_threadpool(_early_check, intake, uploads, bundle_id, info, current)
            if refusal:
                return refusal
        if current == length:
            return await run_in_threadpool(_finalize, intake, uploads, bundle_id, info)
        return _answer(
            204, **{"Upload-Offset": str(current), "Upload-Expires": expires_header(info or {"expires": 0})}
        )


async def _receive(request: Request, part: Path, start: int, length: int) -> bool:
    """Append the body at `start`; keep what arrived if the client drops or falls silent, refuse
    (and keep nothing of this request) if it runs past the declared length."""
    written, chunks = 0, request.stream().__aiter__()
    with part.open("r+b") as f:
        f.seek(start)
        try:
            while True:
                chunk = await asyncio.wait_for(chunks.__anext__(), BODY_IDLE_S)
                if start + written + len(chunk) > length:
                    f.truncate(start)
                    return False
                f.write(chunk)
                written += len(chunk)
        except (StopAsyncIteration, ClientDisconnect, TimeoutError):
            pass  # done, or the client went away (or silent): keep what arrived
        finally:
            f.flush()
            await run_in_threadpool(os.fsync, f.fileno())
    return True


def _early_check(
    intake: Intake, uploads: Uploads, bundle_id: str, info: dict[str, Any], offset: int
) -> Response | None:
    if info["header_checked"]:
        return None
    with uploads.part(bundle_id).open("rb") as f:
        head = f.read(bundle.layout.PREAMBLE.size)
        needed = bundle.layout.header_size_needed(head)
        if offset < needed:
            return None
        head += f.read(needed - len(head))
    try:
        intake.check_header(head, bundle_id)
    except BundleError as e:
        return _refused(intake, uploads, bundle_id, e)
    uploads.save(bundle_id, {**info, "header_checked": True})
    return None


def _refused(intake: Intake, uploads: Uploads, bundle_id: str, error: BundleError) -> Response:
    if error.code in TRANSIENT:
        uploads.remove(bundle_id)
        return _answer(403, error.code)
    intake.refuse(bundle_id, error, uploads.part(bundle_id))
    uploads.remove(bundle_id)
    return _answer(422, error.code)


def _finalize(intake: Intake, uploads: Uploads, bundle_id: str, info: dict[str, Any] | None) -> Response:
    if info is None:  # filed already (an empty PATCH after the last one): nothing to redo
        return _answer(204, **{"Upload-Offset": str(intake.store.blobs.size(bundle_key(bundle_id)))})
    try:
        intake.finalize(bundle_id, uploads.part(bundle_id), info["bundle_digest"])
    except (Conflict, Corrupt) as e:
        uploads.remove(bundle_id)
        return _answer(409, e.code)
    except BundleError as e:
        if e.code in TRANSIENT:
            return _answer(403, e.code)
        uploads.remove(bundle_id)
        return _answer(422, e.code)
    uploads.remove(bundle_id)
    uploads.locks.pop(bundle_id, None)
    return _answer(204, **{"Upload-Offset": str(info["length"])})


@router.get("/bundles/{bundle_id}/receipt", responses=documented(200, 404, 422))
def receipt(bundle_id: BundleId, request: Request) -> Response:
    """The township-signed receipt of a filed bundle; 422 with the reason if it was refused."""
    intake = _context(request)[0]
    signed_receipt = intake.receipt(bundle_id)
    if signed_receipt:
        return JSONResponse(signed_receipt)
    reason = intake.refusal(bundle_id)
    if reason:
        return _answer(422, reason)
    return _answer(404, "BUNDLE_NOT_RECEIVED")


def _not_allowed(allowed: str) -> Any:
    def answer() -> Response:
        return _answer(405, "METHOD_NOT_ALLOWED", Allow=allowed)

    return answer


# Every other method gets a 405 naming all the methods of the path, not only those of its first route.
router.add_api_route(
    "/uploads",
    _not_allowed("OPTIONS, POST"),
    methods=["GET", "PUT", "PATCH", "DELETE"],
    include_in_schema=False,
)
router.add_api_route(
    "/uploads/{bundle_id}", _not_allowed("OPTIONS, HEAD, PATCH, DELETE"), methods=["GET", "PUT", "POST"],
    include_in_schema=False,
)  # fmt: skip

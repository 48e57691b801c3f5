"""The API terminals call (/api/v1): bundles, enrolment, heartbeat, decisions, agent register, time.

Every answer meant for a kiosk is an envelope signed with the township key (kiosk/signed.py); every
kiosk-specific request is signed with that kiosk's device key (kiosk_auth.py). No HTML here.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError

from kiosk import keys, signed
from kiosk.backoffice import agent_registry, enrolment, kiosk_auth
from kiosk.backoffice.intake import Conflict
from kiosk.backoffice.services import Services, services_of
from kiosk.crypto.suites import VerifyKey
from kiosk.errors import BundleError
from kiosk.keys import public_pem

log = logging.getLogger(__name__)

BundleId = Annotated[str, PathParam(pattern=r"^[0-9a-f]{32}$")]
CaseNumber = Annotated[str, PathParam(pattern=r"^[0-9]{15}$")]
KioskId = Annotated[str, PathParam(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
DECISION_PAGE = 100


class Problem(BaseModel):
    """Every refusal: a stable code in `detail` (see docs/backoffice.md), details for invalid input."""

    detail: str
    errors: list[dict[str, Any]] | None = None


class Envelope(BaseModel):
    payload: dict[str, Any]
    signature: str = Field(
        description="base64 signature (Ed25519 or SM2, raw 64 bytes) over a context string and the canonical JSON of payload (docs/bundle-format.md)"
    )


class ReceiptPayload(BaseModel):
    bundle_id: str
    bundle_digest: str = Field(
        description="hash of the bundle's signed header and signature (docs/bundle-format.md)"
    )
    case_number: str
    received_at: str
    key_id: str = Field(description="key id of the township key that wrapped the bundle")


class Receipt(BaseModel):
    payload: ReceiptPayload
    signature: str


class CasePayload(BaseModel):
    case_number: str
    bundle_id: str
    service_code: str
    state: str
    note: str
    updated_at: str


class CaseStatus(BaseModel):
    payload: CasePayload
    signature: str


class EnrolmentRequest(BaseModel):
    code: str = Field(min_length=1, max_length=64, description="the one-time code staff created")
    kiosk_id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
    device_public_key: str = Field(max_length=4096, description="PEM SubjectPublicKeyInfo")
    suite: Literal["modern", "gm"] = "modern"


class EnrolmentAnswer(BaseModel):
    kiosk_id: str
    township_public_key: str = Field(
        description="PEM text of township.pub (encryption key, then signing key)"
    )
    key_id: str


class DeviceState(BaseModel):
    ok: bool
    code: str = Field(max_length=64)


class DeviceCard(BaseModel):
    """设备身份证: what the technician wrote on the terminal's card."""

    name: str = Field(max_length=200)
    type: str = Field(max_length=200)
    location: str = Field(max_length=200)
    maintainer: str = Field(max_length=100)
    phone: str = Field(max_length=40)


class HeartbeatPayload(BaseModel):
    kiosk_id: str
    sent_at: str = Field(description="ISO 8601 with zone")
    version: str = Field(max_length=64)
    uptime_s: float = Field(ge=0)
    devices: dict[Literal["idcard", "printer", "sigpad", "camera"], DeviceState]
    outbox_depth: int = Field(ge=0)
    oldest_unsent_age_s: float | None = Field(default=None, ge=0)
    disk_free_bytes: int = Field(ge=0)
    printer_paper_near_end: bool
    device_card: DeviceCard


class HeartbeatEnvelope(BaseModel):
    payload: HeartbeatPayload
    signature: str


class HeartbeatAnswerPayload(BaseModel):
    kiosk_id: str
    received_at: str


class HeartbeatAnswer(BaseModel):
    payload: HeartbeatAnswerPayload
    signature: str


class MaterialRef(BaseModel):
    key: str
    name: str


class DecisionItem(BaseModel):
    seq: int
    case_number: str
    state: Literal["accepted", "returned", "completed", "rejected"]
    note: str
    materials: list[MaterialRef]
    decided_at: str


class DecisionsPayload(BaseModel):
    kiosk_id: str
    decisions: list[DecisionItem]
    next: int = Field(description="pass as `since` next time")
    more: bool


class Decisions(BaseModel):
    payload: DecisionsPayload
    signature: str


class RegisteredAgent(BaseModel):
    agent_id: str
    name: str
    village: str
    id_hash: str = Field(description="scrypt PHC string of the ID number")
    pin_hash: str = Field(description="scrypt PHC string of the 6-digit PIN")
    pin_version: int = Field(description="a change (PIN reset, unlock) clears a terminal's lock-out")
    revoked: bool


class AgentRegisterPayload(BaseModel):
    kiosk_id: str
    village: str
    issued: float = Field(description="seconds since the epoch; a terminal refuses an older register")
    agents: list[RegisteredAgent]


class AgentRegister(BaseModel):
    payload: AgentRegisterPayload
    signature: str


class ServerTime(BaseModel):
    time: str


def refusals(*codes: int) -> dict[int | str, dict[str, Any]]:
    """Documented refusals: the given codes, 400 (a body that does not parse) and 422 (invalid input)."""
    return {code: {"model": Problem} for code in (400, *codes, 422)}


KIOSK_REFUSALS = refusals(401, 403)
router = APIRouter(prefix="/api/v1", tags=["kiosks"])


@router.put(
    "/bundles/{bundle_id}",
    status_code=201,
    response_model=Receipt,
    responses=refusals(409, 413),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def receive_bundle(bundle_id: BundleId, request: Request) -> JSONResponse:
    """Deliver one sealed bundle in one request; answers with the township-signed receipt."""
    services = services_of(request)
    data = await _read_limited(request, services.settings.max_bundle_bytes)
    try:
        receipt = services.intake.receive(bundle_id, data)
    except Conflict:
        raise HTTPException(409, "BUNDLE_CONFLICT") from None
    except BundleError as e:
        raise HTTPException(422, e.code) from None
    return JSONResponse(receipt, status_code=201)


async def _read_limited(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, "BUNDLE_TOO_LARGE")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise HTTPException(413, "BUNDLE_TOO_LARGE")
    return bytes(body)


@router.get("/cases/{case_number}", response_model=CaseStatus, responses=refusals(404))
def case_status(case_number: CaseNumber, request: Request) -> dict[str, Any]:
    """A case's state, township-signed (no personal data)."""
    services = services_of(request)
    case = services.store.case(case_number)
    if not case:
        raise HTTPException(404, "CASE_UNKNOWN")
    payload = {
        k: case[k] for k in ("case_number", "bundle_id", "service_code", "state", "note", "updated_at")
    }
    return signed.sign(payload, services.township.signing)


@router.post("/enrolments", status_code=201, response_model=EnrolmentAnswer, responses=refusals(403))
def enrol(body: EnrolmentRequest, request: Request) -> dict[str, Any]:
    """Trust a kiosk's device key, given a one-time code; answers with the township's public keys.

    403 for a wrong, used or expired code (and for a code created for another kiosk id).
    """
    services = services_of(request)
    _device_key(body.device_public_key, body.suite)
    code = enrolment.redeem(services.store, body.code, body.kiosk_id)
    if code is None:
        raise HTTPException(403, "ENROL_BAD_CODE")
    services.store.enrol(body.kiosk_id, body.device_public_key.strip() + "\n", body.suite, code["village"])
    log.info("kiosk.enrolled", extra={"event": "kiosk.enrolled", "kiosk": body.kiosk_id})
    public = services.township.public
    return {
        "kiosk_id": body.kiosk_id,
        "township_public_key": (public_pem(public.encryption) + public_pem(public.signing)).decode(),
        "key_id": public.key_id,
    }


def _device_key(pem: str, suite: str) -> VerifyKey:
    """The kiosk's signing key (Ed25519 or SM2), of the suite it says."""
    try:
        key = keys.device_public_from_pem(pem)
    except BundleError:
        raise HTTPException(422, "ENROL_BAD_KEY") from None
    if key.suite.name != suite:
        raise HTTPException(422, "ENROL_BAD_KEY")
    return key


@router.post(
    "/kiosks/{kiosk_id}/heartbeat",
    response_model=HeartbeatAnswer,
    responses=refusals(401, 403, 409),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HeartbeatEnvelope"}}},
        }
    },
)
async def heartbeat(kiosk_id: KioskId, request: Request) -> dict[str, Any]:
    """A kiosk's health, signed with its device key; answers with the township-signed receipt time.

    409 when `sent_at` is not later than the last heartbeat's (a replay).
    """
    services = services_of(request)
    raw = await _json_body(request)
    payload = kiosk_auth.signed_body(services.store, kiosk_id, raw)
    try:
        beat = HeartbeatPayload.model_validate(payload)
    except ValidationError as e:
        raise HTTPException(422, "HEARTBEAT_INVALID") from e
    sent = kiosk_auth.parse_time(beat.sent_at)
    if sent is None:
        raise HTTPException(422, "HEARTBEAT_INVALID")
    last = services.store.heartbeat(kiosk_id)
    if last and sent <= (kiosk_auth.parse_time(last["sent_at"]) or 0):
        raise HTTPException(409, "HEARTBEAT_STALE")
    received_at = services.store.record_heartbeat(kiosk_id, beat.sent_at, payload)
    return signed.sign({"kiosk_id": kiosk_id, "received_at": received_at}, services.township.signing)


async def _json_body(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        raise HTTPException(422, "REQUEST_INVALID") from None


@router.get("/kiosks/{kiosk_id}/decisions", response_model=Decisions, responses=KIOSK_REFUSALS)
def decisions(
    kiosk_id: KioskId,
    request: Request,
    since: Annotated[int, Query(ge=0, le=2**62, description="the `next` of the previous answer")] = 0,
) -> dict[str, Any]:
    """This kiosk's decisions after `since`, oldest first, township-signed. Signed request required."""
    services = _verified(request, kiosk_id)
    rows = services.store.decisions_since(kiosk_id, since, DECISION_PAGE + 1)
    page = rows[:DECISION_PAGE]
    items = [
        {k: row[k] for k in ("seq", "case_number", "state", "note", "materials", "decided_at")}
        for row in page
    ]
    payload = {
        "kiosk_id": kiosk_id,
        "decisions": items,
        "next": page[-1]["seq"] if page else since,
        "more": len(rows) > DECISION_PAGE,
    }
    return signed.sign(payload, services.township.signing)


@router.get("/kiosks/{kiosk_id}/agents", response_model=AgentRegister, responses=KIOSK_REFUSALS)
def agents(kiosk_id: KioskId, request: Request) -> dict[str, Any]:
    """The village agents of this kiosk's village, township-signed. Signed request required."""
    services = _verified(request, kiosk_id)
    kiosk = services.store.kiosk(kiosk_id)
    assert kiosk is not None  # _verified checked it
    return agent_registry.signed_registry(services.store, services.township, kiosk)


@router.get("/time", response_model=ServerTime)
def server_time() -> dict[str, str]:
    """The township's clock, for the kiosks' clock check."""
    return {"time": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")}


def _verified(request: Request, kiosk_id: str) -> Services:
    services = services_of(request)
    kiosk_auth.verify_request(services.store, request, kiosk_id, services.settings.clock_window_s)
    return services

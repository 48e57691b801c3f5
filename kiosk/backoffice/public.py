"""What anyone may open: /healthz for monitoring, `/` (to the log-in page), and the status page that the
receipt's QR code points at (/status/{case}), which shows a case's state only to someone who knows
the last six digits of the applicant's ID number, and never any personal data.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from kiosk import __version__
from kiosk.backoffice import staff
from kiosk.backoffice.services import services_of
from kiosk.backoffice.web import page

router = APIRouter()


class Health(BaseModel):
    status: str
    version: str
    bundles: int
    quarantined: int
    kiosks: int


@router.get("/healthz", response_model=Health, tags=["operations"])
def healthz(request: Request) -> dict:
    """200 while the service can read its database."""
    return {"status": "ok", "version": __version__, **services_of(request).store.counts()}


@router.get("/", include_in_schema=False)
def home(request: Request) -> Response:
    services = services_of(request)
    signed_in = staff.current(
        services.store, request.cookies.get(staff.SESSION_COOKIE, ""), services.settings
    )
    return RedirectResponse("/queue" if signed_in else "/login", status_code=303)


@router.get("/status/{case_number}", response_class=HTMLResponse, include_in_schema=False)
def status_form(request: Request, case_number: str) -> HTMLResponse:
    return _status(request, case_number[:20])


@router.post("/status/{case_number}", response_class=HTMLResponse, include_in_schema=False)
def status_answer(
    request: Request, case_number: str, id_tail: Annotated[str, Form(max_length=10)] = ""
) -> HTMLResponse:
    services = services_of(request)
    settings = services.settings
    store = services.store
    case_number = case_number[:20]
    if store.status_failures(case_number, settings.status_window_s) >= settings.status_tries:
        return _status(request, case_number, error="尝试次数过多，请15分钟后再试", status=429)
    case = store.case(case_number)
    manifest = services.files.manifest(case["bundle_id"]) if case else None
    applicant = ((manifest or {}).get("application") or {}).get("applicant") or {}
    expected = str(applicant.get("id_number", ""))[-6:].upper()
    if not expected or not staff.same_token(id_tail.strip().upper(), expected):
        store.status_attempt(case_number, settings.status_window_s)
        return _status(request, case_number, error="受理编号或身份证号后六位不正确", status=400)
    service = (manifest or {}).get("service") or {}
    result = {
        "service": service.get("name", ""),
        "state": case["state"],
        "note": case["note"],
        "updated_at": case["updated_at"],
    }
    return _status(request, case_number, result=result)


def _status(request: Request, case_number: str, status: int = 200, **context: object) -> HTMLResponse:
    context = {"result": None, "error": "", **context}
    return page(request, "status.html", None, status=status, case_number=case_number, **context)

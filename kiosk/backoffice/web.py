"""The staff pages (server-rendered, Chinese): log-in, the queue, one case and its decision, the fleet,
enrolment codes, village agents and the quarantine.

Every page needs a live session; every form checks the session's CSRF token. Pages only call the
store, casework and registries; no SQL, no cryptography here.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Form, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from kiosk.backoffice import agent_registry, enrolment, staff
from kiosk.backoffice.casefiles import IMAGE_TYPES
from kiosk.backoffice.casework import OPEN_STATES, STATES, DecisionError, Material, state_label
from kiosk.backoffice.kiosk_auth import parse_time
from kiosk.backoffice.services import Services, services_of
from kiosk.backoffice.staff import StaffSession
from kiosk.errors import KioskError
from kiosk.i18n import tr

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
TEMPLATES.env.globals.update(state_label=state_label, tr=tr)
# Pages load only their own stylesheet, script and images, and may not be framed (click-jacking).
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
DEVICE_NAMES = {"idcard": "身份证阅读器", "printer": "打印机", "sigpad": "签名板", "camera": "高拍仪"}
HEARTBEAT_LATE_S = 15 * 60


class LoginRequired(Exception):
    """Raised by `signed_in`; answered with a redirect to the log-in page."""


async def to_login(request: Request, exc: Exception) -> Response:
    return RedirectResponse("/login", status_code=303)


def age(seconds: float) -> str:
    """'3天4小时', '2小时5分', '7分钟': how long something has waited, as staff say it."""
    minutes = int(max(0, seconds) // 60)
    days, hours = divmod(minutes // 60, 24)
    if days:
        return f"{days}天{hours}小时"
    if hours:
        return f"{hours}小时{minutes % 60}分"
    return f"{minutes}分钟"


TEMPLATES.env.filters["waited"] = lambda since: time.time() - float(since or 0)
TEMPLATES.env.filters["age"] = lambda since: age(time.time() - float(since or 0))


def signed_in(request: Request) -> StaffSession:
    services = services_of(request)
    session = staff.current(services.store, request.cookies.get(staff.SESSION_COOKIE, ""), services.settings)
    if session is None:
        raise LoginRequired
    return session


Staff = Annotated[StaffSession, Depends(signed_in)]
Csrf = Annotated[str, Form()]


def checked(session: StaffSession, csrf: str) -> None:
    if not staff.same_token(csrf, session.csrf):
        raise HTTPException(403, "CSRF_MISMATCH")


def page(
    request: Request, name: str, session: StaffSession | None, status: int = 200, **context: Any
) -> HTMLResponse:
    services = services_of(request)
    return TEMPLATES.TemplateResponse(
        request,
        name,
        {"staff": session, "township": services.settings.township_name, "nav": name.split(".")[0], **context},
        status_code=status,
        headers=PAGE_HEADERS,
    )


def back(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


router = APIRouter(include_in_schema=False)


# --- log-in ----------------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, error: str = "") -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    response = page(request, "login.html", None, status=401 if error else 200, error=error, csrf=token)
    _cookie(request, response, staff.LOGIN_CSRF_COOKIE, token, max_age=3600)
    return response


@router.post("/login")
def login(
    request: Request,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    csrf: Csrf = "",
) -> Response:
    services = services_of(request)
    if not staff.same_token(csrf, request.cookies.get(staff.LOGIN_CSRF_COOKIE, "")):
        return login_page(request, error="页面已过期，请重新登录")
    token = staff.login(services.store, username.strip(), password)
    if token is None:
        return login_page(request, error="用户名或密码不正确")
    response = back("/queue")
    _cookie(request, response, staff.SESSION_COOKIE, token, max_age=int(services.settings.session_max_s))
    response.delete_cookie(staff.LOGIN_CSRF_COOKIE)
    return response


def _cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    secure = services_of(request).settings.secure_cookies
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="strict", secure=secure)


@router.post("/logout")
def logout(request: Request, session: Staff, csrf: Csrf) -> Response:
    checked(session, csrf)
    staff.logout(services_of(request).store, request.cookies.get(staff.SESSION_COOKIE, ""))
    response = back("/login")
    response.delete_cookie(staff.SESSION_COOKIE)
    return response


# --- the queue and one case -----------------------------------------------------------------


@router.get("/queue", response_class=HTMLResponse)
def queue(
    request: Request, session: Staff, service: str = "", village: str = "", state: str = "open"
) -> HTMLResponse:
    services = services_of(request)
    states = OPEN_STATES if state == "open" else (state,) if state in STATES else STATES
    cases = services.store.queue(states, service=service, village=village)
    catalog = services.files.catalog
    return page(
        request,
        "queue.html",
        session,
        cases=cases,
        services={s.code: s.name for s in catalog},
        villages=services.store.villages(),
        states=STATES,
        chosen={"service": service, "village": village, "state": state},
    )


def _case_or_404(services: Services, case_number: str) -> dict[str, Any]:
    case = services.store.case(case_number)
    if case is None:
        raise HTTPException(404, "CASE_UNKNOWN")
    return case


@router.get("/cases/{case_number}", response_class=HTMLResponse)
def case_page(
    request: Request, case_number: str, session: Staff, error: str = "", status: int = 200
) -> HTMLResponse:
    services = services_of(request)
    case = _case_or_404(services, case_number)
    service = services.files.catalog.services.get(case["service_code"])
    return page(
        request,
        "case.html",
        session,
        status=status,
        case=case,
        view=services.files.view(case["bundle_id"], case["service_code"]),
        all_materials=service.materials if service else [],
        allowed=services.casework.allowed(case["state"]),
        decisions=services.store.decisions_for_case(case_number),
        notifications=services.store.notifications(case_number),
        error=error,
        csrf=session.csrf,
    )


@router.get("/cases/{case_number}/files/{name}")
def case_file(request: Request, case_number: str, name: str, session: Staff) -> FileResponse:
    services = services_of(request)
    case = _case_or_404(services, case_number)
    path = services.files.file(case["bundle_id"], name)
    media = IMAGE_TYPES.get(Path(name).suffix.lower())
    if path is None or media is None:
        raise HTTPException(404, "FILE_UNKNOWN")
    return FileResponse(path, media_type=media, headers=PAGE_HEADERS)


@router.post("/cases/{case_number}/decision")
def decide(
    request: Request,
    case_number: str,
    session: Staff,
    background: BackgroundTasks,
    csrf: Csrf,
    decision: Annotated[str, Form(max_length=20)],
    note: Annotated[str, Form(max_length=500)] = "",
    materials: Annotated[list[str] | None, Form()] = None,
) -> Response:
    checked(session, csrf)
    services = services_of(request)
    case = _case_or_404(services, case_number)
    service = services.files.catalog.services.get(case["service_code"])
    names = {m.key: m.name for m in service.materials} if service else {}
    chosen = [Material(key, names[key]) for key in materials or [] if key in names]
    try:
        services.casework.decide(case_number, decision, session.username, note, chosen)
    except DecisionError as e:
        return case_page(request, case_number, session, error=e.message(), status=400)
    background.add_task(services.casework.notify, case_number)
    return back(f"/cases/{case_number}")


# --- fleet, enrolment, agents, quarantine ------------------------------------------------------


@router.get("/fleet", response_class=HTMLResponse)
def fleet(request: Request, session: Staff) -> HTMLResponse:
    kiosks = services_of(request).store.fleet()
    now = time.time()
    for kiosk in kiosks:
        beat = kiosk["payload"] or {}
        kiosk["late"] = not kiosk["received"] or now - kiosk["received"] > HEARTBEAT_LATE_S
        kiosk["skew_s"] = _skew(kiosk)
        kiosk["card"] = beat.get("device_card") or {}
        kiosk["devices"] = beat.get("devices") or {}
    return page(request, "fleet.html", session, kiosks=kiosks, device_names=DEVICE_NAMES, csrf=session.csrf)


def _skew(kiosk: dict[str, Any]) -> int | None:
    sent = parse_time(kiosk["sent_at"]) if kiosk["sent_at"] else None
    return None if sent is None or not kiosk["received"] else round(sent - kiosk["received"])


@router.post("/fleet/{kiosk_id}/revoke")
def revoke_kiosk(
    request: Request,
    kiosk_id: str,
    session: Staff,
    csrf: Csrf,
    reason: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    checked(session, csrf)
    services_of(request).store.revoke_kiosk(kiosk_id, reason.strip() or "停用")
    return back("/fleet")


@router.get("/enrolment", response_class=HTMLResponse)
def enrolment_page(request: Request, session: Staff, code: str = "") -> HTMLResponse:
    services = services_of(request)
    return page(
        request,
        "enrolment.html",
        session,
        codes=services.store.enrolment_codes(),
        villages=services.store.villages(),
        ttl_h=services.settings.enrolment_code_ttl_h,
        new_code=code,
        now=time.time(),
        csrf=session.csrf,
    )


@router.post("/enrolment", response_class=HTMLResponse)
def create_code(
    request: Request,
    session: Staff,
    csrf: Csrf,
    village: Annotated[str, Form(min_length=1, max_length=100)],
    kiosk_id: Annotated[str, Form(max_length=64)] = "",
) -> HTMLResponse:
    checked(session, csrf)
    services = services_of(request)
    code = enrolment.new_code(
        services.store,
        village.strip(),
        session.username,
        services.settings.enrolment_code_ttl_h,
        kiosk_id.strip(),
    )
    return enrolment_page(request, session, code=code)


@router.get("/agents", response_class=HTMLResponse)
def agents_page(request: Request, session: Staff, error: str = "", status: int = 200) -> HTMLResponse:
    services = services_of(request)
    return page(
        request,
        "agents.html",
        session,
        status=status,
        agents=services.store.agents(),
        villages=services.store.villages(),
        error=error,
        csrf=session.csrf,
    )


@router.post("/agents", response_class=HTMLResponse)
def add_agent(
    request: Request,
    session: Staff,
    csrf: Csrf,
    name: Annotated[str, Form(max_length=50)],
    village: Annotated[str, Form(max_length=100)],
    id_number: Annotated[str, Form(max_length=18)],
    pin: Annotated[str, Form(max_length=6)],
) -> Response:
    checked(session, csrf)
    try:
        agent_registry.add_agent(services_of(request).store, name, village, id_number, pin)
    except KioskError as e:
        return agents_page(request, session, error=e.message(), status=400)
    return back("/agents")


@router.post("/agents/{agent_id}/revoke")
def revoke_agent(request: Request, agent_id: str, session: Staff, csrf: Csrf) -> Response:
    checked(session, csrf)
    services_of(request).store.revoke_agent(agent_id)
    return back("/agents")


@router.post("/agents/{agent_id}/pin")
def reset_pin(
    request: Request, agent_id: str, session: Staff, csrf: Csrf, pin: Annotated[str, Form(max_length=6)]
) -> Response:
    checked(session, csrf)
    try:
        agent_registry.reset_pin(services_of(request).store, agent_id, pin)
    except KioskError as e:
        return agents_page(request, session, error=e.message(), status=400)
    return back("/agents")


@router.get("/quarantine", response_class=HTMLResponse)
def quarantine(request: Request, session: Staff) -> HTMLResponse:
    return page(request, "quarantine.html", session, items=services_of(request).store.quarantined())

"""The back office as one FastAPI application: services wired from settings, routers included in one place.

Terminals only call /api/v1 (api.py); staff use the pages (web.py); the public gets /healthz, /status
and the login page (public.py). Every router is included in `include_routers` and nowhere else.
"""

from __future__ import annotations

import json
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from kiosk import __version__
from kiosk import catalog as catalog_module
from kiosk.backoffice import api, public, uploads, web
from kiosk.backoffice.agent_registry import check_submission
from kiosk.backoffice.casefiles import CaseFiles
from kiosk.backoffice.casework import Casework
from kiosk.backoffice.intake import Intake
from kiosk.backoffice.notify import Notifier, make_notifier
from kiosk.backoffice.services import Services
from kiosk.backoffice.settings import Settings
from kiosk.backoffice.store import Store, open_store
from kiosk.keys import TownshipPrivate

STATIC_DIR = Path(__file__).parent / "static"


def include_routers(app: FastAPI) -> None:
    app.include_router(api.router)
    app.include_router(uploads.router)
    app.include_router(public.router)
    app.include_router(web.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")


def create_app(
    data_dir: Path,
    township: TownshipPrivate,
    settings: Settings | None = None,
    notifier: Notifier | None = None,
    store: Store | None = None,
) -> FastAPI:
    settings = settings or Settings()
    store = store or open_store(settings.database, data_dir)
    intake = Intake(
        store, township, data_dir, admit=lambda header, manifest: check_submission(store, header, manifest)
    )
    files = CaseFiles(intake.case_dir, catalog_module.load())
    notifier = notifier or make_notifier(settings.notifier, data_dir)
    services = Services(
        settings=settings,
        data_dir=data_dir,
        township=township,
        store=store,
        intake=intake,
        files=files,
        casework=Casework(store, files, notifier, settings.township_name),
    )
    app = build_app()
    app.state.services = services
    app.state.store = store  # the demo and the tests enrol kiosks through it
    app.state.intake = intake
    return app


def build_app() -> FastAPI:
    """The routes and handlers without any state: what the OpenAPI document is made from."""
    app = FastAPI(
        title="乡镇后台 Township back office",
        version=__version__,
        description="Intake of sealed bundles, enrolment, heartbeats, decisions and agent registers for "
        "village terminals. Every answer meant for a kiosk is signed with the township key; requests "
        "for one kiosk's data carry that kiosk's signature (header X-Kiosk-Auth). Refusals carry a "
        "stable code in `detail`.",
    )
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(web.LoginRequired, web.to_login)
    include_routers(app)
    return app


def openapi_text() -> str:
    """The OpenAPI document as committed in docs/backoffice-openapi.json."""
    return json.dumps(build_app().openapi(), ensure_ascii=False, indent=2) + "\n"


async def _invalid_request(request: Request, exc: Exception) -> JSONResponse:
    """422 with a stable code first (the same shape as every other refusal), the details after."""
    errors = [
        {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))}
        for e in getattr(exc, "errors", list)()
    ]
    return JSONResponse({"detail": "REQUEST_INVALID", "errors": errors}, status_code=422)

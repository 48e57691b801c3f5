"""The back office's HTTP API (FastAPI): bundle intake, case status for kiosks, health.

Staff pages and decisions build on this app; terminals only ever call /api/v1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import FastAPI, HTTPException, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, JSONResponse

from kiosk import signed
from kiosk.backoffice.intake import Conflict, Intake
from kiosk.backoffice.store import Store
from kiosk.errors import BundleError
from kiosk.keys import TownshipPrivate

BundleId = Annotated[str, PathParam(pattern=r"^[0-9a-f]{32}$")]
CaseNumber = Annotated[str, PathParam(pattern=r"^[0-9]{15}$")]
MAX_BUNDLE_BYTES = 256 * 1024 * 1024


def create_app(
    data_dir: Path, township: TownshipPrivate, max_bundle_bytes: int = MAX_BUNDLE_BYTES
) -> FastAPI:
    store = Store(data_dir / "backoffice.sqlite3")
    intake = Intake(store, township, data_dir)
    app = FastAPI(title="乡镇后台 Township back office", version="0.1.0")
    app.state.store = store
    app.state.intake = intake

    @app.put("/api/v1/bundles/{bundle_id}", status_code=201)
    async def receive_bundle(bundle_id: BundleId, request: Request) -> JSONResponse:
        data = await _read_limited(request, max_bundle_bytes)
        try:
            receipt = intake.receive(bundle_id, data)
        except Conflict:
            raise HTTPException(409, "bundle id already used for other content") from None
        except BundleError as e:
            raise HTTPException(422, e.code) from None
        return JSONResponse(receipt, status_code=201)

    @app.get("/api/v1/cases/{case_number}")
    def case_status(case_number: CaseNumber) -> dict:
        case = store.case(case_number)
        if not case:
            raise HTTPException(404, "unknown case")
        payload = {
            k: case[k] for k in ("case_number", "bundle_id", "service_code", "state", "note", "updated_at")
        }
        return signed.sign(payload, township.signing)

    @app.get("/healthz")
    def healthz() -> dict:
        return {"status": "ok", **store.counts()}

    @app.get("/", response_class=HTMLResponse)
    def home() -> str:
        counts = store.counts()
        return (
            "<!doctype html><html lang='zh-CN'><meta charset='utf-8'><title>乡镇后台</title>"
            f"<h1>乡镇后台</h1><p>已收申请 {counts['bundles']} 件，隔离 {counts['quarantined']} 件，"
            f"登记终端 {counts['kiosks']} 台。</p></html>"
        )

    return app


async def _read_limited(request: Request, limit: int) -> bytes:
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise HTTPException(413, "bundle too large")
    return bytes(body)

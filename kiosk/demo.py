"""The demo world: the township back office on loopback, simulated devices on ptys, a virtual camera,
fresh keys, and one resident's transaction driven through the flow.

`kiosk demo` runs it with the Kivy app under Xvfb; `--headless` drives the flow controller directly.
Everything is synthetic: a fictional resident with a valid card number.
"""

from __future__ import annotations

import contextlib
import shutil
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from kiosk import config as config_module
from kiosk import keys
from kiosk.catalog import FormField, Material, Service
from kiosk.config import Config
from kiosk.errors import KioskError
from kiosk.flow.controller import FlowController, Step
from kiosk.flow.terminal import Terminal
from kiosk.imaging.pages import paper_size_mm
from kiosk.sim import people
from kiosk.sim.camera import VirtualMat
from kiosk.sim.idcard import IdCardSimulator
from kiosk.sim.printer import PrinterSimulator
from kiosk.sim.sigpad import SignaturePadSimulator

DEMO_SERVICE = "senior-age-allowance"
STEP_TIMEOUT_S = 30.0


@dataclass
class DemoResult:
    case_number: str
    bundle_id: str
    receipt: str
    verified: bool
    receipt_text: str = ""
    screenshots: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "case_number": self.case_number,
            "bundle_id": self.bundle_id,
            "receipt": self.receipt,
            "verified": self.verified,
            "screenshots": self.screenshots,
        }


class DemoRig:
    """Context manager that builds and tears down the demo world under `workdir`."""

    def __init__(self, workdir: Path, base: Config | None = None) -> None:
        self.workdir = workdir
        self.base = base or Config()
        self.resident = people.resident()

    def __enter__(self) -> DemoRig:
        from kiosk.backoffice.app import create_app
        from kiosk.backoffice.server import EmbeddedServer

        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(self.workdir / "kiosk-data")
        suite = keys.suite_named(self.base.keys.suite)
        township = keys.create_township_key(self.workdir / "township", suite)
        device_key = keys.create_device_key(self.workdir / "keys", suite)
        self.app = create_app(self.workdir / "backoffice", township)
        self.server = EmbeddedServer(self.app).start()
        self.app.state.store.enrol(self.base.terminal.id, device_key.public, suite.name, village="示例村")
        self.idcard = IdCardSimulator().start()
        self.printer = PrinterSimulator(output_dir=self.workdir / "receipts").start()
        self.sigpad = SignaturePadSimulator().start()
        self.mat = VirtualMat(self.workdir / "camera")
        self.mat.clear()
        self.config = config_module.with_overrides(
            self.base,
            {
                "terminal.data_dir": str(self.workdir / "kiosk-data"),
                "terminal.status_url": f"{self.server.url}/status",
                "terminal.idle_timeout_s": 600.0,
                "devices.idcard.port": self.idcard.port,
                "devices.printer.port": self.printer.port,
                "devices.sigpad.port": self.sigpad.port,
                "devices.camera.source": str(self.workdir / "camera"),
                "backoffice.url": self.server.url,
                "backoffice.township_key": str(self.workdir / "township" / "township.pub"),
                "backoffice.retry_min_s": 0.5,
                "keys.dir": str(self.workdir / "keys"),
            },
        )
        return self

    def __exit__(self, *exc: object) -> None:
        for device in (self.idcard, self.printer, self.sigpad):
            device.stop()
        self.server.stop()

    # --- what a resident does with their hands ---

    def place_card(self) -> None:
        self.idcard.place(self.resident)

    def lift_card(self) -> None:
        self.idcard.lift()

    def place_material(self, material: Material) -> None:
        name = self.resident.name
        lines = [f"姓名：{name}", "住址：贵州省惠水县示例镇示例村三组18号", "（示例材料，仅供演示）"]
        self.mat.place_document(material.name, lines, paper_size_mm(material.size))

    def verified(self, bundle_id: str) -> bool:
        """True when the back office has verified, decrypted and filed this bundle."""
        store = self.app.state.store
        return (
            store.bundle(bundle_id) is not None
            and (self.workdir / "backoffice" / "cases" / bundle_id).is_dir()
        )

    def receipt_png(self) -> str:
        printed = self.printer.receipts
        return str(printed[-1].png) if printed and printed[-1].png else ""


def form_answers(fields: list[FormField]) -> dict[str, str]:
    """Plausible answers a resident would type, by field type."""
    samples = {
        "phone": "13900000000",
        "number": "1",
        "text": "示例",
        "date": str(date.today() + timedelta(days=30)),
    }
    return {f.key: f.choices[0] if f.type == "choice" else samples[f.type] for f in fields}


def materials_to_capture(service: Service) -> list[Material]:
    return [m for m in service.materials_to_photograph if m.required]


def wait(terminal: Terminal, done: Any, what: str) -> None:
    if not terminal.bus.run_until(done, STEP_TIMEOUT_S):
        notice = terminal.flow.notice
        raise KioskError("DEMO_FAILED", reason=f"{what} ({notice.code if notice else terminal.flow.step})")


def delivered(terminal: Terminal, rig: DemoRig, bundle_id: str) -> bool:
    """The kiosk holds the township's verified receipt and the back office has filed the bundle."""
    entry = terminal.outbox.get(bundle_id)
    return entry is not None and entry.state == "delivered" and rig.verified(bundle_id)


def identify(terminal: Terminal, rig: DemoRig, service_code: str = DEMO_SERVICE) -> FlowController:
    """A resident starts, chooses the service, reads the guide and lays the ID card down: the flow
    is at the materials step (the card still lies on the reader)."""
    flow = terminal.flow
    flow.start()
    flow.choose_service(service_code)
    flow.accept_guide()
    rig.place_card()
    wait(terminal, lambda: flow.step == Step.MATERIALS, "ID card read")
    return flow


def capture_materials(terminal: Terminal, rig: DemoRig) -> None:
    """Each required material laid on the mat and captured by touch."""
    flow = terminal.flow
    for material in materials_to_capture(flow.service):
        rig.place_material(material)
        before = len(flow.application.pages)
        flow.capture(material.key)
        wait(terminal, lambda before=before: len(flow.application.pages) > before, f"capture {material.key}")


def run_headless(rig: DemoRig, service_code: str = DEMO_SERVICE) -> DemoResult:
    """One resident transaction through the flow controller, no Kivy."""
    terminal = Terminal(rig.config).start()
    flow = terminal.flow
    try:
        identify(terminal, rig, service_code)
        rig.lift_card()
        service = terminal.catalog.get(service_code)
        capture_materials(terminal, rig)
        flow.finish_materials()
        if not flow.submit_form(form_answers(service.form)):
            raise KioskError("DEMO_FAILED", reason=f"form: {sorted(flow.form_errors)}")
        wait(terminal, lambda: rig.sigpad.replays >= 1 and bool(flow.strokes), "signature")
        if not flow.finish_signature():
            raise KioskError("DEMO_FAILED", reason="signature refused")
        flow.confirm()
        wait(
            terminal, lambda: flow.step == Step.RECEIPT and flow.print_state in ("done", "failed"), "receipt"
        )
        submitted = flow.submitted
        wait(terminal, lambda: delivered(terminal, rig, submitted.bundle_id), "delivery to the back office")
        flow.finish()
        return DemoResult(
            case_number=submitted.case_number,
            bundle_id=submitted.bundle_id,
            receipt=rig.receipt_png(),
            verified=delivered(terminal, rig, submitted.bundle_id),
            receipt_text=rig.printer.receipts[-1].text if rig.printer.receipts else "",
        )
    finally:
        terminal.stop()

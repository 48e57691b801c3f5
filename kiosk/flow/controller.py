"""The state machine of one transaction: choose service → guide → identify → materials → form → sign
→ review → submit → receipt.

Kivy screens, tests and `kiosk demo --headless` drive this same controller. It calls the device
service and core modules, never a driver or the network, and it leaves nothing personal behind
when a session ends, however it ends.
"""

from __future__ import annotations

import hashlib
import io
import logging
import threading
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from kiosk import receipts, signature
from kiosk.application import Application, Page, Person, Signature
from kiosk.catalog import Catalog, Material, Service
from kiosk.config import Config
from kiosk.devices.idcard import CardData
from kiosk.errors import DeviceError, FlowError, KioskError
from kiosk.flow.bus import Event, EventBus
from kiosk.flow.devices import DeviceService
from kiosk.forms import validate
from kiosk.imaging.pdf import material_pdf
from kiosk.session_store import SessionStore
from kiosk.submission import Submitted, Submitter

log = logging.getLogger(__name__)


class Step(StrEnum):
    ATTRACT = "attract"
    CATALOG = "catalog"
    GUIDE = "guide"
    IDENTIFY = "identify"
    MATERIALS = "materials"
    FORM = "form"
    SIGN = "sign"
    REVIEW = "review"
    SUBMIT = "submit"
    RECEIPT = "receipt"


# The steps a person can go back through, in order.
EDITABLE = [Step.CATALOG, Step.GUIDE, Step.IDENTIFY, Step.MATERIALS, Step.FORM, Step.SIGN, Step.REVIEW]


def person_from_card(card: CardData) -> Person:
    return Person(
        card_type=card.card_type,
        name=card.name,
        id_number=card.id_number,
        sex=card.sex,
        nation=card.nation,
        birth_date=card.birth_date,
        address=card.address,
        issuer=card.issuer,
        valid_from=card.valid_from,
        valid_to=card.valid_to,
        name_en=card.name_en,
        photo=card.photo,
        extra=dict(card.extra),
    )


class FlowController:
    def __init__(
        self, config: Config, catalog: Catalog, devices: DeviceService, bus: EventBus, submitter: Submitter
    ) -> None:
        self.config = config
        self.catalog = catalog
        self.devices = devices
        self.bus = bus
        self.submitter = submitter
        self.listeners: list[Callable[[], None]] = []
        self.step = Step.ATTRACT
        self._reset_session_state()
        for name, handler in {
            "card.read": self._on_card,
            "device.error": self._on_device_error,
            "page.captured": self._on_page,
            "page.not_found": self._on_page_not_found,
            "page.ready": self._on_page_ready,
            "pen.down": self._on_pen_down,
            "pen.points": self._on_pen_points,
            "sigpad.unavailable": self._on_sigpad_unavailable,
            "submit.done": self._on_submitted,
            "submit.failed": self._on_submit_failed,
            "print.done": self._on_printed,
            "print.failed": self._on_print_failed,
        }.items():
            bus.subscribe(name, handler)

    def _reset_session_state(self) -> None:
        self.service: Service | None = None
        self.application: Application | None = None
        self.store: SessionStore | None = None
        self.notice: KioskError | None = None
        self.form_errors: dict[str, KioskError] = {}
        self.strokes: list[list[tuple[float, float, float, float]]] = []
        self.signature_source = "pad"
        self.capturing: str = ""
        self.submitted: Submitted | None = None
        self.print_state = ""  # "", "printing", "done", "failed"
        self.channel = "resident"

    # --- observers ---

    def _changed(self) -> None:
        for listener in list(self.listeners):
            listener()

    def _go(self, step: Step) -> None:
        self.step = step
        self.devices.watch_cards(step == Step.IDENTIFY)
        self.devices.watch_camera(step == Step.MATERIALS)
        if step != Step.SIGN:
            self.devices.stop_signature()
        log.info("flow.step", extra={"event": "flow.step", "step": step.value})
        self._changed()

    def _require(self, *steps: Step) -> None:
        if self.step not in steps:
            raise FlowError("FLOW_WRONG_STEP", step=self.step.value)

    # --- transitions ---

    def start(self, channel: str = "resident") -> None:
        """Attract screen touched: a new session with its own encrypted working store."""
        self._require(Step.ATTRACT)
        self.store = SessionStore(self.config.data_dir)
        self.channel = channel
        self._go(Step.CATALOG)

    def choose_service(self, code: str) -> None:
        self._require(Step.CATALOG)
        self.service = self.catalog.get(code)
        self.application = Application(service_code=code, channel=self.channel)
        self._go(Step.GUIDE)

    def accept_guide(self) -> None:
        self._require(Step.GUIDE)
        self.notice = None
        self._go(Step.IDENTIFY)

    def capture(self, material_key: str) -> None:
        """Photograph the page now lying on the mat as a page of `material_key`."""
        self._require(Step.MATERIALS)
        material = self._service().material(material_key)
        self.capturing = material_key
        self.notice = None
        self.devices.capture(material_key, material.size, material.capture)
        self._changed()

    def remove_page(self, index: int) -> None:
        self._require(Step.MATERIALS, Step.REVIEW)
        removed = self._application().pages.pop(index)
        self._store_material_pdf(removed.material_key)
        self._changed()

    def missing_materials(self) -> list[Material]:
        application = self._application()
        return [
            m
            for m in self._service().materials_to_photograph
            if m.required and not application.pages_for(m.key)
        ]

    def finish_materials(self) -> None:
        self._require(Step.MATERIALS)
        missing = self.missing_materials()
        if missing:
            self.notice = FlowError("FLOW_MATERIAL_MISSING", names="、".join(m.name for m in missing))
            self._changed()
            return
        self.notice = None
        self._go(Step.FORM)

    def submit_form(self, values: dict[str, str]) -> bool:
        self._require(Step.FORM)
        cleaned, self.form_errors = validate(self._service().form, values)
        self._application().form = cleaned
        if self.form_errors:
            self._changed()
            return False
        self._begin_signature()
        return True

    def _begin_signature(self) -> None:
        self.strokes = []
        self.notice = None
        self._go(Step.SIGN)
        self.signature_source = "pad" if self.devices.start_signature() else "touch"
        self._changed()

    def clear_signature(self) -> None:
        self._require(Step.SIGN)
        self.strokes = []
        self._changed()

    def finish_signature(self) -> bool:
        self._require(Step.SIGN)
        try:
            signature.check(self.strokes)
        except KioskError as e:
            self.notice = e
            self.strokes = []
            self._changed()
            return False
        for name, data in signature.session_files(self.strokes, self.signature_source).items():
            self._store().put(name, data)
        self._application().signature = Signature(self.strokes, signature.IMAGE_FILE, self.signature_source)
        self.notice = None
        self._go(Step.REVIEW)
        return True

    def edit(self, step: Step) -> None:
        """From review (or any later editable step) back to an earlier step."""
        if step not in EDITABLE or EDITABLE.index(step) > EDITABLE.index(self.step):
            raise FlowError("FLOW_WRONG_STEP", step=self.step.value)
        if step == Step.SIGN:
            self._begin_signature()
        else:
            self._go(step)

    def back(self) -> None:
        if self.step in (Step.ATTRACT, Step.SUBMIT, Step.RECEIPT):
            return
        if self.step == Step.CATALOG:
            self.start_over()
            return
        self.edit(EDITABLE[EDITABLE.index(self.step) - 1])

    def confirm(self) -> None:
        """Review accepted: seal and queue the bundle off the UI thread, then print the receipt."""
        self._require(Step.REVIEW)
        self._go(Step.SUBMIT)
        application, service, store = self._application(), self._service(), self._store()

        def seal() -> None:
            try:
                self.bus.publish("submit.done", submitted=self.submitter.submit(application, service, store))
            except Exception as e:  # any failure must reach the screen, not vanish
                log.exception("submit.failed", extra={"event": "submit.failed"})
                self.bus.publish("submit.failed", error=e)

        threading.Thread(target=seal, name="seal", daemon=True).start()

    def reprint(self) -> None:
        self._require(Step.RECEIPT)
        assert self.submitted is not None
        self._print(self.submitted.receipt)

    def finish(self) -> None:
        """The resident is done: end the session."""
        self._require(Step.RECEIPT)
        self.start_over()

    def start_over(self) -> None:
        """End the session, from any step: wipe everything personal, back to the attract screen."""
        self.devices.watch_cards(False)
        self.devices.watch_camera(False)
        self.devices.stop_signature()
        if self.store:
            self.store.wipe()
        self._reset_session_state()
        self.step = Step.ATTRACT
        log.info("flow.session_end", extra={"event": "flow.session_end"})
        self._changed()

    # --- device events ---

    def _on_card(self, event: Event) -> None:
        if self.step != Step.IDENTIFY:
            return
        application = self._application()
        card: CardData = event.data["card"]
        application.applicant = person_from_card(card)
        self._store().put("idcard_text.bin", card.raw_text)
        self._store().put("idcard_photo.wlt", card.raw_photo)
        self.notice = None
        self._go(Step.MATERIALS if self._service().materials_to_photograph else Step.FORM)

    def _on_device_error(self, event: Event) -> None:
        error: DeviceError = event.data["error"]
        relevant = {"idcard": Step.IDENTIFY, "camera": Step.MATERIALS, "sigpad": Step.SIGN}
        if relevant.get(event.data["device"]) == self.step and error.code != "IDCARD_NO_CARD":
            self.notice = error
            self.capturing = ""
            self._changed()

    def _on_page(self, event: Event) -> None:
        if self.step != Step.MATERIALS or self.application is None:
            return
        data = event.data
        index = len(self.application.pages)
        name = self._store().put(f"page-{index:03d}-{data['material_key']}.jpg", data["jpeg"])
        original = self._store().put(
            f"original-{index:03d}-{data['material_key']}.jpg", data["original_jpeg"]
        )
        digest = hashlib.sha256(data["jpeg"]).hexdigest()
        page = Page(
            data["material_key"],
            name,
            data["width"],
            data["height"],
            data["dpi"],
            digest,
            data["warnings"],
            original,
        )
        self.application.pages.append(page)
        self._store_material_pdf(data["material_key"])
        self.capturing = ""
        self._changed()

    def _store_material_pdf(self, material_key: str) -> None:
        """Every page of one material in one PDF, rewritten whenever its pages change."""
        files = [p.file for p in self._application().pages_for(material_key)]
        if files:
            title = self._service().material(material_key).name
            self._store().put(
                f"material-{material_key}.pdf", material_pdf([self._store().get(f) for f in files], title)
            )

    def _on_page_ready(self, event: Event) -> None:
        """Auto-capture: a page has lain still and sharp; it becomes a page of the first material
        that has none yet (further pages of a material are taken with its button)."""
        if self.step != Step.MATERIALS or self.capturing or self.application is None:
            return
        waiting = [
            m for m in self._service().materials_to_photograph if not self.application.pages_for(m.key)
        ]
        if waiting:
            self.capture(waiting[0].key)

    def _on_page_not_found(self, event: Event) -> None:
        if self.step == Step.MATERIALS:
            self.capturing = ""
            self.notice = KioskError("CAMERA_NO_PAGE")
            self._changed()

    def _on_pen_down(self, event: Event) -> None:
        if self.step == Step.SIGN:
            self.strokes.append([])

    def _on_pen_points(self, event: Event) -> None:
        if self.step != Step.SIGN:
            return
        if not self.strokes:
            self.strokes.append([])
        self.strokes[-1].extend(event.data["points"])
        self.signature_source = event.data["source"]
        self._changed()

    def _on_sigpad_unavailable(self, event: Event) -> None:
        if self.step == Step.SIGN:
            self.signature_source = "touch"
            self.notice = KioskError("SIGPAD_NO_PAD")
            self._changed()

    def _on_submitted(self, event: Event) -> None:
        if self.step != Step.SUBMIT:
            return
        self.submitted = event.data["submitted"]
        self._go(Step.RECEIPT)
        self._print(self.submitted.receipt)

    def _on_submit_failed(self, event: Event) -> None:
        if self.step == Step.SUBMIT:
            self.notice = event.data["error"] if isinstance(event.data["error"], KioskError) else KioskError()
            self._go(Step.REVIEW)

    def _print(self, receipt: dict[str, Any]) -> None:
        reprint = self.print_state != ""  # any second copy says 补打
        self.print_state = "printing"
        self.devices.print_receipt(receipt, reprint=reprint)
        self._changed()

    def _on_printed(self, event: Event) -> None:
        if self.step == Step.RECEIPT:
            self.print_state = "done"
            self.notice = None
            self._changed()

    def _on_print_failed(self, event: Event) -> None:
        if self.step == Step.RECEIPT:
            self.print_state = "failed"
            self.notice = event.data["error"]
            self._changed()

    # --- for screens ---

    def file(self, name: str) -> bytes:
        """A working file of this session (page, signature), decrypted, for display."""
        return self._store().get(name)

    def receipt_preview_png(self) -> bytes:
        """The receipt as the printer prints it, for the screen."""
        assert self.submitted is not None
        out = io.BytesIO()
        receipts.render_png(receipts.acceptance_receipt_ops(self.submitted.receipt)).save(out, format="PNG")
        return out.getvalue()

    # --- helpers ---

    def _service(self) -> Service:
        if self.service is None:
            raise FlowError("FLOW_WRONG_STEP", step=self.step.value)
        return self.service

    def _application(self) -> Application:
        if self.application is None:
            raise FlowError("FLOW_WRONG_STEP", step=self.step.value)
        return self.application

    def _store(self) -> SessionStore:
        if self.store is None:
            raise FlowError("FLOW_WRONG_STEP", step=self.step.value)
        return self.store

"""The state machine of the terminal: a resident's transaction (choose service → guide → identify →
materials → form → sign → review → submit → receipt → rating → farewell), the status query, the
village agent's sign-in, case list, consent and corrections, and the technician's way into
diagnostics; plus the idle countdown, spoken guidance and help that every step shares.

Kivy screens, tests and `kiosk demo --headless` drive this same controller. It calls the device
service and core modules, never a driver or the network, and it leaves nothing personal behind
when a session ends, however it ends.
"""

from __future__ import annotations

import hashlib
import io
import logging
import math
import threading
import time
from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from typing import Any

from kiosk import receipts, signature
from kiosk.agents import Agent, AgentRegistry
from kiosk.application import Application, Page, Person, Signature
from kiosk.catalog import Catalog, Material, Service
from kiosk.config import Config
from kiosk.devices.idcard import CardData
from kiosk.errors import AgentError, DeviceError, FlowError, KioskError
from kiosk.flow.agent import CaseRow, agent_cases, consent_text, same_person
from kiosk.flow.bus import Event, EventBus
from kiosk.flow.devices import DeviceService
from kiosk.flow.diagnostics import SECTIONS, Diagnostics, pin_matches
from kiosk.flow.speech import Speaker
from kiosk.flow.status import CaseStatus, RatingLog, lookup, lookup_scanned
from kiosk.forms import validate
from kiosk.i18n import tr
from kiosk.imaging.pdf import material_pdf
from kiosk.session_store import SessionStore
from kiosk.submission import Submitted, Submitter

log = logging.getLogger(__name__)

SECRET_TAPS = 5  # taps on the attract screen's top-left corner that open the technician PIN
SECRET_WINDOW_S = 4.0
PIN_TRIES = 5
PIN_LOCK_S = 600.0
STILL_PX = 4.0  # a page outline moving more than this between preview frames: hands at work


def moved(corners: Any, before: Any) -> bool:
    """Whether a page outline moved between two preview frames (appearing or going counts)."""
    if corners is None or before is None:
        return corners is not before
    return float(abs(corners - before).max()) > STILL_PX


class Step(StrEnum):
    ATTRACT = "attract"
    CATALOG = "catalog"
    GUIDE = "guide"
    IDENTIFY = "identify"
    CONSENT = "consent"
    MATERIALS = "materials"
    FORM = "form"
    SIGN = "sign"
    REVIEW = "review"
    SUBMIT = "submit"
    RECEIPT = "receipt"
    RATING = "rating"
    FAREWELL = "farewell"
    STATUS = "status"
    AGENT_SIGNIN = "agent_signin"
    AGENT_CASES = "agent_cases"
    TECH_PIN = "tech_pin"
    DIAGNOSTICS = "diagnostics"


# The steps of an application, in order; `FlowController.path()` gives the ones this one takes.
EDITABLE = [
    Step.CATALOG,
    Step.GUIDE,
    Step.IDENTIFY,
    Step.CONSENT,
    Step.MATERIALS,
    Step.FORM,
    Step.SIGN,
    Step.REVIEW,
]
# Steps where nobody may be cut off by the idle timeout: sealing is under way.
NO_TIMEOUT = (Step.ATTRACT, Step.SUBMIT)
# Steps that end (or stand outside) an application: "back" leads nowhere from them.
NO_BACK = (Step.ATTRACT, Step.SUBMIT, Step.RECEIPT, Step.RATING, Step.FAREWELL)


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


class FlowView:
    """The flow as a touch not yet made would leave it: the values that touch changes, the flow's
    own for everything else. Its methods are the flow's, so a control built on it drives the flow
    itself; it changes nothing by being looked at."""

    def __init__(self, flow: FlowController, **changed: Any) -> None:
        self._flow = flow
        self.__dict__.update(changed)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._flow, name)

    def path(self) -> list[Step]:
        return FlowController.path(self)  # type: ignore[arg-type]  # from the values changed


class FlowController:
    def __init__(
        self,
        config: Config,
        catalog: Catalog,
        devices: DeviceService,
        bus: EventBus,
        submitter: Submitter,
        *,
        speaker: Speaker | None = None,
        agents: AgentRegistry | None = None,
        diagnostics: Diagnostics | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.catalog = catalog
        self.devices = devices
        self.bus = bus
        self.submitter = submitter
        self.outbox = submitter.outbox
        self.speaker = speaker or Speaker(enabled=False)
        self.agents = agents
        self.diagnostics = diagnostics or Diagnostics(config, devices, bus, self.outbox)
        self.diagnostics.on_change = self._changed
        self.ratings = RatingLog(config.data_dir)
        self.clock = clock
        self.listeners: list[Callable[[], None]] = []
        self.language = config.terminal.language
        self.step = Step.ATTRACT
        self._spoken: tuple[Any, ...] = ()
        self._secret_taps: list[float] = []
        self._tech_failures: list[float] = []
        self._reset_session()
        for name, handler in {
            "card.read": self._on_card,
            "device.error": self._on_device_error,
            "camera.preview": self._on_preview,
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
            "code.read": self._on_code,
        }.items():
            bus.subscribe(name, handler)

    def _reset_session(self) -> None:
        """Everything a session holds, person by person; the next person starts from this."""
        self.agent: Person | None = None
        self.agent_card: Person | None = None  # read at sign-in, before the PIN
        self._agent_entry: Agent | None = None  # … and its entry in the township's register
        self.muted = False
        self.speaker.set_muted(False)
        self.language = self.config.terminal.language
        self.elderly = self.config.screen.elderly_mode  # larger text, chosen per session
        self._reset_application()

    def _reset_application(self) -> None:
        self.service: Service | None = None
        self.application: Application | None = None
        self.store: SessionStore | None = None
        self.notice: KioskError | None = None
        self.form_errors: dict[str, KioskError] = {}
        self.strokes: list[list[tuple[float, float, float, float]]] = []
        self.signature_source = "pad"
        self.capturing: str = ""
        self.auto_capture = True
        self.mat_outline: Any = None  # the page outline in the latest preview frame
        self.submitted: Submitted | None = None
        self.print_state = ""  # "", "printing", "done", "failed"
        self.channel = "agent" if self.agent else "resident"
        self.correcting: CaseRow | None = None
        self.finished: dict[str, str] = {}  # case number, service: all that outlives the personal data
        self.rated = False
        self.mat_clear: bool | None = None  # farewell: the camera sees the mat empty
        self.case_status: CaseStatus | None = None
        self.help_open = False
        self.last_touch = self.clock()
        self.countdown: int | None = None

    # --- observers, speech and help ---

    def _changed(self) -> None:
        self._speak()
        for listener in list(self.listeners):
            listener()

    def tr(self, message_key: str, /, **params: object) -> str:
        return tr(message_key, self.language, **params)

    def _speak(self) -> None:
        """Say each new step, notice and countdown once (speech never blocks: it has its own thread)."""
        notice = self.notice.code if self.notice else ""
        key = (self.step, notice, self.countdown is not None, self.help_open)
        if key == self._spoken:
            return
        previous, self._spoken = self._spoken, key
        if self.countdown is not None and (not previous or not previous[2]):
            text = self.tr("ui.idle.warning", seconds=self.countdown)
        elif self.help_open:
            text = self.tr(f"ui.help.{self.step.value}")
        elif notice and (not previous or previous[1] != notice):
            text = self.notice.message(self.language)
        elif not previous or previous[0] != self.step:
            text = self.tr(f"ui.speak.{self.step.value}")
        else:
            return
        self.speaker.say(text, self.language)

    def toggle_mute(self) -> None:
        self.muted = not self.muted
        self.speaker.set_muted(self.muted)
        self._changed()

    def show_help(self) -> None:
        self.help_open = True
        self._changed()

    def close_help(self) -> None:
        self.help_open = False
        self._changed()

    def set_elderly(self, on: bool) -> None:
        self.elderly = on
        self._changed()

    def set_language(self, language: str) -> None:
        self.language = language
        self._spoken = ()
        self._changed()

    # --- idle countdown ---

    def touched(self) -> None:
        """Someone touched the screen (or used a device): the idle countdown starts again."""
        self.last_touch = self.clock()
        if self.countdown is not None:
            self.countdown = None
            self._changed()

    def tick(self) -> None:
        """Called about once a second: after `idle_timeout_s` a countdown, then the session ends."""
        if self.step in NO_TIMEOUT:
            return
        terminal = self.config.terminal
        idle = self.clock() - self.last_touch
        if idle < terminal.idle_timeout_s:
            return
        left = math.ceil(terminal.idle_timeout_s + terminal.idle_countdown_s - idle)
        if left <= 0:
            log.info("flow.idle_timeout", extra={"event": "flow.idle_timeout", "step": self.step.value})
            self.end_session()
        elif left != self.countdown:
            self.countdown = left
            self._changed()

    # --- steps ---

    def path(self) -> list[Step]:
        """The steps this application goes through, in order."""
        skip = set()
        if self.channel != "agent":
            skip.add(Step.CONSENT)
        if self.service is not None and not self.service.materials_to_photograph:
            skip.add(Step.MATERIALS)
        if self.correcting is not None:
            skip |= {Step.CATALOG, Step.GUIDE}
        return [s for s in EDITABLE if s not in skip]

    def _go(self, step: Step) -> None:
        self.step = step
        self.help_open = False
        self._apply_devices()
        log.info("flow.step", extra={"event": "flow.step", "step": step.value})
        self._changed()

    def _apply_devices(self) -> None:
        """Each step turns on only the devices it needs."""
        diag = self.diagnostics
        diag.active = self.step == Step.DIAGNOSTICS
        section = diag.section if diag.active else ""
        wants_card = self.step == Step.IDENTIFY or (
            self.step == Step.AGENT_SIGNIN and self.agent_card is None
        )
        self.devices.watch_cards(wants_card or section == "idcard")
        self.devices.watch_camera(
            self.step in (Step.MATERIALS, Step.STATUS, Step.FAREWELL) or section == "camera"
        )
        if self.step in (Step.SIGN, Step.CONSENT):
            self.strokes = []
            self.signature_source = "pad" if self.devices.start_signature() else "touch"
        elif section == "sigpad":
            diag.start_pad_test()
        else:
            self.devices.stop_signature()

    def _require(self, *steps: Step) -> None:
        if self.step not in steps:
            raise FlowError("FLOW_WRONG_STEP", step=self.step.value)

    def _next_after(self, step: Step) -> Step:
        path = self.path()
        return path[path.index(step) + 1]

    # --- a resident's transaction ---

    def start(self) -> None:
        """Attract screen touched: a new session with its own encrypted working store."""
        self._require(Step.ATTRACT)
        self._begin_application()
        self._go(Step.CATALOG)

    def _begin_application(self) -> None:
        self._reset_application()
        self.store = SessionStore(self.config.data_dir)

    def services(self, category: str = "", query: str = "") -> list[Service]:
        """The catalog filtered by category and by words in a service's name or summary."""
        query = query.strip()
        return [
            s
            for s in self.catalog
            if (not category or s.category == category)
            and (not query or query in s.name or query in s.summary or query in s.category)
            and (self.channel != "agent" or s.agent_allowed)
        ]

    def choose_service(self, code: str) -> None:
        self._require(Step.CATALOG)
        self.service = self.catalog.get(code)
        self.application = Application(service_code=code, channel=self.channel, agent=self.agent)
        self._go(Step.GUIDE)

    def as_if_chosen(self, code: str) -> FlowView:
        """The flow as touching `code` would leave it (`touched`, then `choose_service`), for a
        screen built ahead of the touch."""
        service = self.catalog.get(code)
        return FlowView(self, step=Step.GUIDE, service=service, help_open=False, countdown=None)

    def print_notice(self) -> None:
        """Print the one-time notice (一次性告知单) for a resident who lacks a material."""
        self._require(Step.GUIDE)
        self.print_state = "printing"
        terminal = self.config.terminal
        self.devices.print_notice(receipts.notice_data(self._service(), terminal.name, terminal.hotline))
        self._changed()

    def accept_guide(self) -> None:
        self._require(Step.GUIDE)
        self.notice = None
        self.print_state = ""
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
        """Retake: drop a captured page (its encrypted files go with it)."""
        self._require(Step.MATERIALS, Step.REVIEW)
        page = self._application().pages.pop(index)
        self._store().remove(page.file, page.original_file)
        self._store_material_pdf(page.material_key)
        self._changed()

    def set_auto_capture(self, on: bool) -> None:
        self.auto_capture = on
        self._changed()

    def auto_target(self) -> Material | None:
        """The material an auto-captured page is filed under: the first one still without pages."""
        if self.application is None or self.service is None:
            return None
        return next(
            (m for m in self.service.materials_to_photograph if not self.application.pages_for(m.key)), None
        )

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
        self.notice = None
        self._go(Step.SIGN)
        return True

    def clear_signature(self) -> None:
        self._require(Step.SIGN, Step.CONSENT)
        self.strokes = []
        self._changed()

    def _signed(self, name: str) -> tuple[str, str] | None:
        """Check and keep the strokes as `name`.png/.json; None (with a notice) when too short."""
        try:
            signature.check(self.strokes)
        except KioskError as e:
            self.notice = e
            self.strokes = []
            self._changed()
            return None
        for file_name, data in signature.session_files(self.strokes, self.signature_source).items():
            self._store().put(file_name.replace("signature", name, 1), data)
        self.notice = None
        return signature.IMAGE_FILE.replace("signature", name, 1), f"{name}.json"

    def finish_signature(self) -> bool:
        self._require(Step.SIGN)
        kept = self._signed("signature")
        if kept is None:
            return False
        self._application().signature = Signature(self.strokes, kept[0], self.signature_source)
        self._go(Step.REVIEW)
        return True

    def edit(self, step: Step) -> None:
        """From review (or any later step of the application) back to an earlier step."""
        path = self.path()
        if step not in path or self.step not in path or path.index(step) > path.index(self.step):
            raise FlowError("FLOW_WRONG_STEP", step=self.step.value)
        self.notice = None
        self._go(step)

    def back(self) -> None:
        if self.step in NO_BACK:
            return
        path = self.path()
        if self.step in (Step.DIAGNOSTICS, Step.TECH_PIN, Step.STATUS, Step.AGENT_SIGNIN, Step.AGENT_CASES):
            self.end_session()
        elif self.step == path[0]:
            self.start_over()
        else:
            self.edit(path[path.index(self.step) - 1])

    def confirm(self) -> None:
        """Review accepted: seal and queue the bundle off the UI thread, then print the receipt."""
        self._require(Step.REVIEW)
        self.notice = None
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
        self._require(Step.RECEIPT, Step.STATUS)
        receipt = self.submitted.receipt if self.step == Step.RECEIPT else self._case_status().receipt
        self._print(receipt)

    def finish(self) -> None:
        """The receipt is in hand: forget the person's data now, then rating (resident) and reminders."""
        self._require(Step.RECEIPT)
        assert self.submitted is not None
        application = self._application()
        self.finished = {
            "case_number": self.submitted.case_number,
            "service_code": application.service_code,
            "channel": self.channel,
        }
        self._forget_application()
        self.notice = None
        self._go(Step.FAREWELL if self.agent else Step.RATING)

    def rate(self, level: str, reasons: list[str]) -> None:
        self._require(Step.RATING)
        f = self.finished
        self.ratings.add(f["case_number"], f["service_code"], f["channel"], level, reasons)
        log.info("flow.rated", extra={"event": "flow.rated", "level": level})
        self.rated = True
        self._go(Step.FAREWELL)

    def skip_rating(self) -> None:
        self._require(Step.RATING)
        self._go(Step.FAREWELL)

    def farewell_done(self) -> None:
        """The reminders were seen: a resident's session ends; an agent goes back to the case list."""
        self._require(Step.FAREWELL)
        if self.agent:
            self._reset_application()
            self._go(Step.AGENT_CASES)
        else:
            self.end_session()

    def start_over(self) -> None:
        """Abandon this application: everything personal is wiped. An agent stays signed in."""
        if self.agent is not None and self.step not in (Step.AGENT_CASES, Step.AGENT_SIGNIN):
            self._forget_application()
            self._reset_application()
            self._go(Step.AGENT_CASES)
            return
        self.end_session()

    def end_session(self) -> None:
        """End the session, from any step: wipe everything personal, back to the attract screen."""
        self._forget_application()
        self.devices.watch_cards(False)
        self.devices.watch_camera(False)
        self.devices.stop_signature()
        self.diagnostics.active = False
        self.diagnostics.strokes = []
        self._reset_session()
        self.step = Step.ATTRACT
        self.speaker.stop()
        log.info("flow.session_end", extra={"event": "flow.session_end"})
        self._changed()

    def _forget_application(self) -> None:
        if self.store:
            self.store.wipe()
        self.store = None
        self.application = None
        self.strokes = []
        self.agent_card = None

    # --- status query ---

    def open_status(self) -> None:
        self._require(Step.ATTRACT)
        self._reset_application()
        self._go(Step.STATUS)

    def query_status(self, case_number: str, id_last6: str) -> bool:
        self._require(Step.STATUS)
        try:
            self.case_status = lookup(self.outbox, case_number, id_last6)
        except KioskError as e:
            self.case_status, self.notice = None, e
            self._changed()
            return False
        self.notice = None
        self._changed()
        return True

    def clear_status(self) -> None:
        self._require(Step.STATUS)
        self.case_status, self.notice = None, None
        self._apply_devices()
        self._changed()

    def _on_code(self, event: Event) -> None:
        if self.step != Step.STATUS or self.case_status is not None:
            return
        try:
            self.case_status = lookup_scanned(self.outbox, event.data["text"])
            self.notice = None
            self.devices.watch_camera(False)
        except KioskError as e:
            self.notice = e
        self._changed()

    # --- village agent ---

    def open_agent_signin(self) -> None:
        self._require(Step.ATTRACT)
        if self.agents is None or not self.agents.agents():
            self.notice = KioskError("AGENT_UNAVAILABLE")
            self._changed()
            return
        self._reset_application()
        self._go(Step.AGENT_SIGNIN)

    def enter_agent_pin(self, pin: str) -> bool:
        self._require(Step.AGENT_SIGNIN)
        if self.agent_card is None or self._agent_entry is None or self.agents is None:
            raise FlowError("FLOW_NO_APPLICANT")
        try:
            self.agents.verify_pin(self._agent_entry, pin)  # five wrong PINs lock the agent
        except AgentError as e:
            self.notice = e
            log.info("agent.pin_refused", extra={"event": "agent.pin_refused", "code": e.code})
            self._changed()
            return False
        self.agent, self.agent_card, self._agent_entry = self.agent_card, None, None
        log.info("agent.signed_in", extra={"event": "agent.signed_in"})
        self._reset_application()
        self._go(Step.AGENT_CASES)
        return True

    def retry_agent_card(self) -> None:
        self._require(Step.AGENT_SIGNIN)
        self.agent_card, self._agent_entry, self.notice = None, None, None
        self._apply_devices()
        self._changed()

    def cases(self) -> list[CaseRow]:
        """The signed-in agent's cases, those sent back for correction first."""
        return agent_cases(self.outbox.entries(), self.agent) if self.agent else []

    def new_application(self) -> None:
        self._require(Step.AGENT_CASES)
        self._begin_application()
        self._go(Step.CATALOG)

    def correct(self, case_number: str) -> None:
        """Re-submit a case sent back for correction: a new application that supersedes it."""
        self._require(Step.AGENT_CASES)
        row = next((r for r in self.cases() if r.case_number == case_number and r.correctable), None)
        if row is None:
            raise FlowError("FLOW_WRONG_STEP", step=self.step.value)
        self._begin_application()
        self.correcting = row
        self.service = self.catalog.get(row.service_code)
        self.application = Application(
            service_code=row.service_code, channel="agent", agent=self.agent, supersedes=row.case_number
        )
        self._go(Step.IDENTIFY)

    def sign_out(self) -> None:
        self._require(Step.AGENT_CASES)
        log.info("agent.signed_out", extra={"event": "agent.signed_out"})
        self.end_session()

    def consent_text(self) -> str:
        application = self._application()
        assert application.applicant is not None and self.agent is not None
        return consent_text(application.applicant, self.agent, self._service().name, self.language)

    def finish_consent(self) -> bool:
        """The resident has signed the consent (授权委托) for the agent to act for them."""
        self._require(Step.CONSENT)
        text = self.consent_text()
        kept = self._signed("consent")
        if kept is None:
            return False
        self._application().consent = {
            "text": text,
            "signature_file": kept[0],
            "strokes_file": kept[1],
            "source": self.signature_source,
            "signed_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        }
        self._go(self._next_after(Step.CONSENT))
        return True

    # --- technician ---

    def secret_tap(self) -> None:
        """A tap on the attract screen's hidden corner; five within four seconds ask for the PIN."""
        if self.step != Step.ATTRACT:
            return
        now = self.clock()
        self._secret_taps = [t for t in self._secret_taps if now - t < SECRET_WINDOW_S] + [now]
        if len(self._secret_taps) >= SECRET_TAPS:
            self._secret_taps = []
            self._reset_application()
            self._go(Step.TECH_PIN)

    def enter_technician_pin(self, pin: str) -> bool:
        self._require(Step.TECH_PIN)
        now = self.clock()
        self._tech_failures = [t for t in self._tech_failures if now - t < PIN_LOCK_S]
        stored = self.config.terminal.technician_pin_hash
        if len(self._tech_failures) >= PIN_TRIES:
            self.notice = KioskError("TECH_PIN_LOCKED")
        elif not stored:
            self.notice = KioskError("TECH_PIN_NOT_SET")
        elif not pin_matches(pin, stored):
            self._tech_failures.append(now)
            self.notice = KioskError("TECH_PIN_WRONG", left=PIN_TRIES - len(self._tech_failures))
            log.warning("diag.pin_wrong", extra={"event": "diag.pin_wrong"})
        else:
            self._tech_failures = []
            self.notice = None
            log.info("diag.entered", extra={"event": "diag.entered"})
            self.diagnostics.section = "idcard"
            self._go(Step.DIAGNOSTICS)
            self.diagnostics.check_all()
            return True
        self._changed()
        return False

    def diagnose(self, section: str) -> None:
        self._require(Step.DIAGNOSTICS)
        if section not in SECTIONS:
            raise FlowError("FLOW_WRONG_STEP", step=section)
        self.diagnostics.section = section
        self.notice = None
        if section in self.diagnostics.reports:
            self.diagnostics.check(section)  # queued before the live test starts on the same worker
        elif section == "network":
            self.diagnostics.check_network()
        self._apply_devices()
        self._changed()

    def export_logs(self) -> None:
        self._require(Step.DIAGNOSTICS)
        try:
            path = self.diagnostics.export_logs()
            self.notice = KioskError("DIAG_EXPORTED", file=path.name)
        except KioskError as e:
            self.notice = e
        self._changed()

    # --- device events ---

    def _on_card(self, event: Event) -> None:
        person = person_from_card(event.data["card"])
        if self.step == Step.AGENT_SIGNIN and self.agent_card is None:
            self._agent_card_read(person)
        elif self.step == Step.IDENTIFY:
            self._identified(person, event.data["card"])

    def _agent_card_read(self, person: Person) -> None:
        """The card of someone signing in as an agent: are they one of this village's agents?"""
        assert self.agents is not None
        try:
            self._agent_entry = self.agents.identify(person.id_number)
        except AgentError as e:
            self.notice = e
            self.devices.watch_cards(True)  # the right card may follow
        else:
            self.agent_card, self.notice = person, None
        self._changed()

    def _identified(self, person: Person, card: CardData) -> None:
        self.touched()
        if self.agent and person.id_number == self.agent.id_number:
            self.notice = KioskError("AGENT_OWN_CARD")
        elif self.correcting and not same_person(person, self.correcting):
            self.notice = KioskError("AGENT_WRONG_RESIDENT")
        else:
            application = self._application()
            application.applicant = person
            self._store().put("idcard_text.bin", card.raw_text)
            self._store().put("idcard_photo.wlt", card.raw_photo)
            self.notice = None
            self._go(self._next_after(Step.IDENTIFY))
            return
        self.devices.watch_cards(True)  # the right card may follow
        self._changed()

    def _on_device_error(self, event: Event) -> None:
        error: DeviceError = event.data["error"]
        relevant = {
            "idcard": (Step.IDENTIFY, Step.AGENT_SIGNIN),
            "camera": (Step.MATERIALS, Step.STATUS),
            "sigpad": (Step.SIGN, Step.CONSENT),
            "printer": (Step.RECEIPT, Step.GUIDE, Step.STATUS),
        }
        repeated = self.notice is not None and self.notice.code == error.code
        if (
            self.step in relevant.get(event.data["device"], ())
            and error.code != "IDCARD_NO_CARD"
            and not repeated
        ):
            self.notice = error
            self.capturing = ""
            self._changed()

    def _on_preview(self, event: Event) -> None:
        corners = event.data["corners"]
        if self.step == Step.FAREWELL and (corners is None) != self.mat_clear:
            self.mat_clear = corners is None
            self._changed()
        elif self.step == Step.MATERIALS:
            if moved(corners, self.mat_outline):
                self.touched()  # hands laying paper on the mat are someone at the terminal
            self.mat_outline = corners
        elif self.step == Step.STATUS and self.case_status is None:
            self.devices.read_codes(event.data["frame"])

    def _on_page_ready(self, event: Event) -> None:
        """Auto-capture (a page has lain still and sharp): it becomes a page of the first material
        that has none yet; further pages of a material are taken with its button."""
        if self.step != Step.MATERIALS or not self.auto_capture or self.capturing or self.application is None:
            return
        target = self.auto_target()
        if target is not None:
            self.capture(target.key)

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
        self.touched()
        self._changed()

    def _store_material_pdf(self, material_key: str) -> None:
        """Every page of one material in one PDF, rewritten whenever its pages change."""
        files = [p.file for p in self._application().pages_for(material_key)]
        if files:
            title = self._service().material(material_key).name
            self._store().put(
                f"material-{material_key}.pdf", material_pdf([self._store().get(f) for f in files], title)
            )

    def _on_page_not_found(self, event: Event) -> None:
        if self.step == Step.MATERIALS:
            self.capturing = ""
            self.notice = KioskError("CAMERA_NO_PAGE")
            self._changed()

    def _on_pen_down(self, event: Event) -> None:
        if self.step in (Step.SIGN, Step.CONSENT):
            self.strokes.append([])

    def _on_pen_points(self, event: Event) -> None:
        if self.step not in (Step.SIGN, Step.CONSENT):
            return
        if not self.strokes:
            self.strokes.append([])
        self.strokes[-1].extend(event.data["points"])
        self.signature_source = event.data["source"]
        self.last_touch = self.clock()  # writing on the pad is someone at the terminal
        self._changed()

    def _on_sigpad_unavailable(self, event: Event) -> None:
        if self.step in (Step.SIGN, Step.CONSENT):
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
        reprint = self.print_state != "" or self.step == Step.STATUS  # any second copy says 补打
        self.print_state = "printing"
        self.devices.print_receipt(receipt, reprint=reprint)
        self._changed()

    def _on_printed(self, event: Event) -> None:
        if self.step in (Step.RECEIPT, Step.GUIDE, Step.STATUS) and self.print_state == "printing":
            self.print_state = "done"
            self.notice = None
            self._changed()

    def _on_print_failed(self, event: Event) -> None:
        if self.step in (Step.RECEIPT, Step.GUIDE, Step.STATUS) and self.print_state == "printing":
            self.print_state = "failed"
            self.notice = event.data["error"]
            self._changed()

    # --- for screens ---

    def file(self, name: str) -> bytes:
        """A working file of this session (page, signature), decrypted, for display."""
        return self._store().get(name)

    def receipt_preview_png(self, receipt: dict[str, Any] | None = None) -> bytes:
        """The receipt as the printer prints it, for the screen."""
        if receipt is None:
            assert self.submitted is not None
            receipt = self.submitted.receipt
        out = io.BytesIO()
        receipts.render_png(receipts.acceptance_receipt_ops(receipt)).save(out, format="PNG")
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

    def _case_status(self) -> CaseStatus:
        if self.case_status is None:
            raise FlowError("FLOW_WRONG_STEP", step=self.step.value)
        return self.case_status

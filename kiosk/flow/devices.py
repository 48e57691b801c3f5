"""The device service: owns the four device objects, runs their blocking I/O on one worker thread per
device, and publishes what happens as events (card read, preview frame, pen points, print result).

Screens and diagnostics talk to this service, never to a driver. The touch-screen signature fallback
feeds its points in here too, so the flow sees one kind of stroke data.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from kiosk import receipts
from kiosk.config import DevicesConfig
from kiosk.devices.camera import DocumentCamera
from kiosk.devices.idcard import CardData, IdCardReader, WltDecoder, commands
from kiosk.devices.printer import PrintResult, ReceiptPrinter
from kiosk.devices.signature_pad import SignaturePad
from kiosk.errors import DeviceError, IdCardError
from kiosk.flow.bus import EventBus
from kiosk.imaging import codes, pages
from kiosk.imaging.autocapture import AutoCapture, page_look, preview_sharpness
from kiosk.imaging.preview import PageFinder
from kiosk.receipts import Op, Page

log = logging.getLogger(__name__)
PREVIEW_INTERVAL_S = 0.15


class Worker:
    """One thread per device: jobs run in order; between jobs, `idle` runs every `interval` seconds."""

    def __init__(self, name: str, idle: Callable[[], None] | None = None, interval: float = 0.5) -> None:
        self.name = name
        self.idle = idle
        self.interval = interval
        self.jobs: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self.thread = threading.Thread(target=self._run, name=f"device-{name}", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def submit(self, job: Callable[[], None]) -> None:
        self.jobs.put(job)

    def stop(self) -> None:
        self.jobs.put(None)
        self.thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            try:
                job = self.jobs.get(timeout=self.interval) if self.idle else self.jobs.get()
            except queue.Empty:
                job = self.idle
            if job is None:
                return
            try:
                job()
            except Exception:  # a device fault must never kill its worker
                log.exception(
                    "device.worker_error", extra={"event": "device.worker_error", "device": self.name}
                )


@dataclass
class Health:
    """A device's last known state; `warning` is a code for a device that works but needs a visit
    soon (PRINTER_PAPER_NEAR_END), for the heartbeat and diagnostics."""

    ok: bool
    code: str = ""
    detail: str = ""
    at: float = 0.0
    warning: str = ""


class LinkWatch:
    """Counts probes in a row that miss. A device counts as disconnected only after `limit` of them,
    so a reader that flickers for one poll alarms nobody."""

    def __init__(self, limit: int) -> None:
        self.limit = max(1, limit)
        self.misses = 0

    def missed(self) -> bool:
        """True exactly when this miss makes the device count as disconnected."""
        self.misses += 1
        return self.misses == self.limit

    def answered(self) -> bool:
        """True when the device answers again after it counted as disconnected."""
        was_down, self.misses = self.misses >= self.limit, 0
        return was_down


def photo_decoder(path: str) -> WltDecoder | None:
    """The configured vendor WLT library; a broken path is logged and the photo stays unavailable."""
    if not path:
        return None
    try:
        return WltDecoder(path)
    except IdCardError as e:
        log.warning(
            "idcard.photo_decoder_missing",
            extra={"event": "idcard.photo_decoder_missing", "detail": e.detail},
        )
        return None


class DeviceService:
    def __init__(self, config: DevicesConfig, bus: EventBus) -> None:
        self.config = config
        self.bus = bus
        card = config.idcard
        self.idcard = IdCardReader(
            card.port,
            card.baud,
            card.command_timeout_s,
            card.read_timeout_s,
            photo_decoder(card.photo_decoder),
            card.read_attempts,
        )
        self.idcard_link = LinkWatch(card.disconnect_after)
        self._next_idcard_check = 0.0
        p = config.printer
        self.printer = ReceiptPrinter(
            p.port, p.baud, p.profile, p.flow_control, p.status_timeout_s, p.finish_timeout_s
        )
        pad = config.sigpad
        self.sigpad = SignaturePad(pad.port, pad.baud, profile=pad.profile) if pad.port else None
        c = config.camera
        self.camera = DocumentCamera(
            c.source, c.width, c.height, c.fourcc, c.preview_width, c.exposure, c.focus
        )
        self.auto_capture = AutoCapture(c.hold_s)
        self.page_finder = PageFinder()
        self._seen: tuple[np.ndarray, np.ndarray] | None = None  # the page in the last preview: corners, look
        self.health: dict[str, Health] = {}
        self.watching_cards = threading.Event()
        self.watching_camera = threading.Event()
        self.signing = threading.Event()
        self._pen_down = False
        self._pen_start = 0.0
        self._decoding = threading.Event()
        self.workers = {
            "idcard": Worker("idcard", self._poll_card, card.poll_interval_s),
            "printer": Worker("printer", self._poll_printer, p.status_poll_s),
            "camera": Worker("camera", self._preview, PREVIEW_INTERVAL_S),
            "sigpad": Worker("sigpad", self._read_pen, 0.0),
        }

    def start(self) -> None:
        for worker in self.workers.values():
            worker.start()

    def stop(self) -> None:
        self.watching_cards.clear()
        self.watching_camera.clear()
        self.signing.clear()
        for worker in self.workers.values():
            worker.stop()
        for device in (self.idcard, self.printer, self.sigpad, self.camera):
            if device:
                device.close()

    # --- health ---

    def _ok(self, name: str) -> None:
        self.health[name] = Health(True, at=time.time())

    def _fault(self, name: str, error: DeviceError) -> None:
        self.health[name] = Health(False, error.code, error.detail, time.time())
        self.bus.publish("device.error", device=name, error=error)

    def check(self) -> None:
        """Refresh the printer's health between jobs (the reader's is kept by its own idle checks);
        for heartbeats and diagnostics."""
        self.workers["printer"].submit(self._poll_printer)

    # --- ID card ---
    # Events: "card.detected" (a card not read since it was placed), "card.read" (card=CardData),
    # "device.error" (device="idcard", error=IdCardError), "device.recovered" (device="idcard") and,
    # on request, "idcard.info" (sam_id, status, meaning).
    # There is no "card.lifted": after a read the SAM answers "no card" whether the card still lies
    # there or was taken, so no reader event can confirm that the resident took it (docs/devices.md).

    def watch_cards(self, on: bool) -> None:
        (self.watching_cards.set if on else self.watching_cards.clear)()

    def _poll_card(self) -> None:
        """While a card is wanted: find, and read the card placed since the last read. Otherwise a
        status check every `idle_check_s`, so an unplugged reader is noticed and re-opened."""
        watching = self.watching_cards.is_set()
        if not watching and time.monotonic() < self._next_idcard_check:
            return
        found = False

        def on_found() -> None:
            nonlocal found
            found = True
            self.bus.publish("card.detected")

        card: CardData | None = None
        try:
            if watching:
                card = self.idcard.read_card_if_present(on_found=on_found)
            else:
                self._next_idcard_check = time.monotonic() + self.config.idcard.idle_check_s
                self.idcard.check_status()
        except IdCardError as e:
            self._idcard_failed(e, card_found=found)
            return
        self._idcard_answered()
        if card is not None:
            self.watching_cards.clear()  # one read per request: the flow asks again when it wants a card
            self.bus.publish("card.read", card=card)

    def _idcard_failed(self, error: IdCardError, card_found: bool) -> None:
        if card_found:  # the reader works; this card could not be read, and the person must act now
            self._idcard_answered()
            self.bus.publish("device.error", device="idcard", error=error)
        elif self.idcard_link.missed():  # debounced; kiosk/health.py logs the operator event
            self._fault("idcard", error)

    def _idcard_answered(self) -> None:
        if self.idcard_link.answered():
            self.bus.publish("device.recovered", device="idcard")
        self._ok("idcard")

    def request_idcard_info(self) -> None:
        """For diagnostics: publishes "idcard.info" (sam_id, status, meaning) or "device.error"."""

        def job() -> None:
            try:
                status = self.idcard.status()
                sam_id = self.idcard.sam_id().text if status == commands.SW_OK else ""
            except IdCardError as e:
                self._fault("idcard", e)
                return
            self._idcard_answered()
            meaning = commands.status_meaning(status)
            self.bus.publish("idcard.info", sam_id=sam_id, status=f"{status:02X}", meaning=meaning)

        self.workers["idcard"].submit(job)

    # --- camera ---

    def watch_camera(self, on: bool) -> None:
        (self.watching_camera.set if on else self.watching_camera.clear)()

    def _preview(self) -> None:
        """One preview step: find the page (following it from the last frame when it is still there),
        advance the auto-capture countdown, publish the frame with its outline and progress."""
        if not self.watching_camera.is_set():
            self._seen = None
            return
        try:
            frame = self.camera.preview()
        except DeviceError as e:
            self._fault("camera", e)
            return
        self._ok("camera")
        found = self.page_finder.find(frame)
        corners = None if found is None else found.corners
        look = None if corners is None else page_look(frame, corners)
        self._seen = None if corners is None else (corners, look)
        sharpness = 0.0 if corners is None else preview_sharpness(frame, corners)
        step = self.auto_capture.update(corners, sharpness, look, time.monotonic(), frame.shape[1])
        auto = self.config.camera.auto_capture
        self.bus.publish(
            "camera.preview",
            frame=frame,
            corners=corners,
            cut_off=bool(found and found.cut_off),
            state=step.state if auto else ("searching" if corners is None else "holding"),
            progress=step.progress if auto else 0.0,
        )
        if auto and step.fire:
            self.bus.publish("page.ready")

    def read_codes(self, frame: np.ndarray) -> None:
        """Decode the QR codes in a preview frame on the camera's worker (one frame at a
        time; frames arriving meanwhile are skipped); publishes code.read for each."""
        if self._decoding.is_set():
            return
        self._decoding.set()

        def job() -> None:
            try:
                for code in codes.read_codes(frame, qr_only=True):
                    self.bus.publish("code.read", text=code.data, kind=code.type)
            finally:
                self._decoding.clear()

        self.workers["camera"].submit(job)

    def capture(self, material_key: str, size: str, look: str) -> None:
        """Capture a full-resolution page; publishes page.captured, page.not_found or device.error."""

        def job() -> None:
            near = self.page_finder.near if self._seen else None
            try:
                still = self.camera.capture()
                # the decoded frame's only reference goes to `capture`, which drops it once the page is flat
                result = pages.capture(still.decode(), pages.paper_size_mm(size), near=near)
            except DeviceError as e:
                self._fault("camera", e)
                return
            if result is None:
                self.bus.publish("page.not_found", material_key=material_key)
                return
            if self._seen:  # the page on the mat now is taken: no automatic second copy of it
                self.auto_capture.captured(*self._seen)
            image = pages.document_look(result.image) if look == "document" else result.image
            self.bus.publish(
                "page.captured",
                material_key=material_key,
                jpeg=pages.encode_jpeg(image, result.dpi),
                original_jpeg=still.jpeg or pages.encode_jpeg(still.decode(), 0, quality=80),
                width=image.shape[1],
                height=image.shape[0],
                dpi=result.dpi,
                warnings=result.warnings,
                sharpness=result.sharpness,
                turned=result.turned,
            )

        self.workers["camera"].submit(job)

    # --- signature ---

    def start_signature(self) -> bool:
        """Start pen capture on the pad; False when there is no pad (sign on the touch screen)."""
        if self.sigpad is None:
            return False
        self._pen_down = False
        self._pen_start = time.monotonic()

        def job() -> None:
            try:
                if self.sigpad.port is None:
                    self.sigpad.open()
                self.sigpad.start()
            except DeviceError as e:
                self._fault("sigpad", e)
                self.bus.publish("sigpad.unavailable")
                return
            self._ok("sigpad")
            self.signing.set()

        self.workers["sigpad"].submit(job)
        return True

    def stop_signature(self) -> None:
        self.signing.clear()
        if self.sigpad is not None and self.sigpad.port is not None:
            self.workers["sigpad"].submit(self.sigpad.stop)

    def _read_pen(self) -> None:
        if not self.signing.is_set() or self.sigpad is None:
            time.sleep(0.05)
            return
        try:
            samples = self.sigpad.read_samples()
        except DeviceError as e:
            self.signing.clear()
            self._fault("sigpad", e)
            return
        points: list[tuple[float, float, float, float]] = []
        for sample in samples:
            if sample.tip != self._pen_down:
                self._publish_points(points)
                self._pen_down = sample.tip
                self.bus.publish("pen.down" if sample.tip else "pen.up", source="pad")
            if sample.tip:
                x, y, pressure = self.sigpad.to_mm(sample)
                points.append((x, y, pressure, (sample.t - self._pen_start) * 1000))
        self._publish_points(points)

    def _publish_points(self, points: list[tuple[float, float, float, float]]) -> None:
        if points:
            self.bus.publish("pen.points", source="pad", points=list(points))
            points.clear()

    def touch(self, event: str, points: list[tuple[float, float, float, float]] = ()) -> None:
        """The touch-screen fallback: 'pen.down', 'pen.points' (screen points in mm) or 'pen.up',
        published exactly as the pad's so the flow sees one kind of stroke data."""
        if event == "pen.points":
            self.bus.publish(event, source="touch", points=list(points))
        else:
            self.bus.publish(event, source="touch")

    # --- printer ---

    @property
    def printer_paper_low(self) -> bool:
        """The roll is near its end: tell the back office (heartbeat) before a resident finds out."""
        health = self.health.get("printer")
        return bool(health and health.warning == "PRINTER_PAPER_NEAR_END")

    def _printer_ok(self, near_end: bool) -> None:
        was_low = self.printer_paper_low
        self.health["printer"] = Health(
            True, at=time.time(), warning="PRINTER_PAPER_NEAR_END" if near_end else ""
        )
        if near_end and not was_low:  # the operator event comes from kiosk/health.py's alarms
            self.bus.publish("printer.paper_low")

    def check_printer(self) -> None:
        """Ask the printer's status now (diagnostics); publishes printer.checked with its health."""

        def job() -> None:
            self._poll_printer()
            self.bus.publish("printer.checked", health=self.health["printer"])

        self.workers["printer"].submit(job)

    def _poll_printer(self) -> None:
        """Between jobs: keep the printer's health (and paper-near-end) current for the heartbeat."""
        try:
            status = self.printer.status()
        except DeviceError as e:
            self.health["printer"] = Health(False, e.code, e.detail, time.time())
            return
        error = status.error()
        if error:
            self.health["printer"] = Health(False, error.code, error.detail, time.time())
        else:
            self._printer_ok(status.paper_near_end)

    def print_ops(self, ops: list[Op], kind: str = "receipt") -> None:
        """Print on the printer's thread; publishes print.done (kind, bytes, paper_near_end) or
        print.failed (kind, error)."""
        self._print(kind, lambda page: ops)

    def print_receipt(self, receipt: dict, reprint: bool = False) -> None:
        """The acceptance receipt as kept (receipts.receipt_data); `reprint` marks it 补打."""
        self._print("receipt", lambda page: receipts.acceptance_receipt_ops(receipt, page, reprint))

    def print_notice(self, notice: dict) -> None:
        """The one-time notice (一次性告知单) from receipts.notice_data(service, …)."""
        self._print("notice", lambda page: receipts.notice_ops(notice, page))

    def print_agent_list(self, cases: dict) -> None:
        """The agent's daily list from receipts.agent_list_data(…)."""
        self._print("agent_list", lambda page: receipts.agent_list_ops(cases, page))

    def print_test_page(self, terminal_id: str) -> None:
        profile = self.printer.profile

        def ops(page: Page) -> list[Op]:
            data = receipts.test_page_data(profile.name, self.printer.port_name, terminal_id, page)
            return receipts.test_page_ops(data, page)

        self._print("test_page", ops)

    def _print(self, kind: str, render) -> None:
        def job() -> None:
            try:
                result: PrintResult = self.printer.print_ops(render(self.printer.profile.page))
            except DeviceError as e:
                self._fault("printer", e)
                self.bus.publish("print.failed", kind=kind, error=e)
                return
            self._printer_ok(result.paper_near_end)
            self.bus.publish(
                "print.done", kind=kind, bytes=result.bytes_sent, paper_near_end=result.paper_near_end
            )

        self.workers["printer"].submit(job)

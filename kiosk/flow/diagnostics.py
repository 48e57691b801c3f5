"""Technician diagnostics: for each device its connection, identity (SAM id, the pad's query reply,
printer status), a live test and its last errors; back-office reachability; the outbox; the log; the
device ID card (设备身份证); and the technician PIN check.

Kivy-free. Device I/O runs on that device's own worker thread and comes back as bus events; nothing
here shows personal data (a test card read shows the masked name and last four digits only).
"""

from __future__ import annotations

import collections
import hashlib
import hmac
import json
import logging
import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import requests

import kiosk
from kiosk.config import Config
from kiosk.devices.idcard import commands
from kiosk.errors import DeviceError, KioskError
from kiosk.flow.bus import Event, EventBus
from kiosk.flow.devices import DeviceService
from kiosk.idnumber import mask_name, mask_number
from kiosk.outbox import Outbox

log = logging.getLogger(__name__)

DEVICES = ("idcard", "camera", "sigpad", "printer")
SECTIONS = (*DEVICES, "network", "outbox", "logs", "identity")
ERRORS_KEPT = 10
LOG_LINES_KEPT = 500
NETWORK_TIMEOUT_S = 5.0
SCRYPT = {"n": 2**14, "r": 8, "p": 1}


# --- technician PIN ----------------------------------------------------------------------------


def hash_pin(pin: str, salt: bytes | None = None) -> str:
    """scrypt$n$r$p$salt$digest, the form `terminal.technician_pin_hash` holds."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, **SCRYPT)
    return f"scrypt${SCRYPT['n']}${SCRYPT['r']}${SCRYPT['p']}${salt.hex()}${digest.hex()}"


def pin_matches(pin: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        expected = bytes.fromhex(digest)
        actual = hashlib.scrypt(pin.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p))
    except ValueError:
        return False
    return scheme == "scrypt" and hmac.compare_digest(actual, expected)


# --- records -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ErrorRecord:
    at: float
    code: str
    detail: str


@dataclass
class DeviceReport:
    """What the last check found: connected (None until checked) and facts such as the SAM id."""

    connected: bool | None = None
    facts: dict[str, str] = field(default_factory=dict)
    checked_at: float = 0.0


class LogRing(logging.Handler):
    """The last log records in memory, for the log view and the USB export (logs hold no personal data)."""

    def __init__(self, size: int = LOG_LINES_KEPT) -> None:
        super().__init__(logging.INFO)
        self.records: collections.deque[dict[str, Any]] = collections.deque(maxlen=size)

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(
            {
                "at": datetime.fromtimestamp(record.created).astimezone().isoformat(timespec="seconds"),
                "level": record.levelname,
                "logger": record.name,
                "event": getattr(record, "event", ""),
                "message": record.getMessage(),
            }
        )

    def lines(self) -> list[str]:
        return [json.dumps(r, ensure_ascii=False) for r in self.records]


def focus_and_exposure(frame: np.ndarray) -> tuple[float, float]:
    """Sharpness (variance of the Laplacian) and mean brightness (0-255) of a frame."""
    grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY) if frame.ndim == 3 else frame
    return float(cv2.Laplacian(grey, cv2.CV_64F).var()), float(grey.mean())


class Diagnostics:
    def __init__(self, config: Config, devices: DeviceService, bus: EventBus, outbox: Outbox) -> None:
        self.config = config
        self.devices = devices
        self.bus = bus
        self.outbox = outbox
        self.active = False  # only while a technician is in diagnostics do live tests react
        self.section = "idcard"
        self.reports = {name: DeviceReport() for name in DEVICES}
        self.errors: dict[str, collections.deque[ErrorRecord]] = {
            name: collections.deque(maxlen=ERRORS_KEPT) for name in DEVICES
        }
        self.network: dict[str, str] = {}
        self.strokes: list[list[tuple[float, float, float, float]]] = []
        self.log_ring = LogRing()
        self.on_change: Callable[[], None] = lambda: None
        self.wake_uploads: Callable[[], None] = lambda: None
        for name, handler in {
            "device.error": self._on_error,
            "diag.report": self._on_report,
            "diag.network": self._on_network,
            "card.read": self._on_card,
            "camera.preview": self._on_preview,
            "pen.down": self._on_pen_down,
            "pen.points": self._on_pen_points,
            "print.done": self._on_printed,
            "print.failed": self._on_printed,
        }.items():
            bus.subscribe(name, handler)

    # --- checks (each runs on its device's worker) ---

    def check(self, device: str) -> None:
        probe = {
            "idcard": self._probe_idcard,
            "camera": self._probe_camera,
            "sigpad": self._probe_sigpad,
            "printer": self._probe_printer,
        }[device]

        def job() -> None:
            try:
                facts = probe()
            except DeviceError as e:
                self.devices._fault(device, e)
                self.bus.publish("diag.report", device=device, connected=False, facts={"error": e.code})
                return
            self.devices._ok(device)
            self.bus.publish("diag.report", device=device, connected=True, facts=facts)

        self.devices.workers[device].submit(job)

    def check_all(self) -> None:
        for device in DEVICES:
            self.check(device)
        self.check_network()

    def _probe_idcard(self) -> dict[str, str]:
        reader = self.devices.idcard
        status = reader.status()
        sam_id = reader.sam_id().text if status == commands.SW_OK else ""
        return {
            "port": reader.port_name,
            "sam_id": sam_id,
            "status": f"{status:02X} {commands.status_meaning(status)}",
        }

    def _probe_printer(self) -> dict[str, str]:
        printer = self.devices.printer
        status = printer.status()
        error = status.error()
        facts = {
            "port": printer.port_name,
            "profile": printer.profile.name,
            "status": error.code if error else "ready",
        }
        if status.paper_near_end:
            facts["paper"] = "near_end"
        return facts

    def _probe_sigpad(self) -> dict[str, str]:
        pad = self.devices.sigpad
        if pad is None:
            return {"port": "", "mode": "touch"}
        pad.close()
        info = pad.open()
        return {
            "port": pad.port_name,
            "range": f"{info.max_x} x {info.max_y}",
            "pressure_levels": str(info.max_pressure + 1),
            "firmware": str(info.version),
        }

    def _probe_camera(self) -> dict[str, str]:
        camera = self.devices.camera
        frame = camera.still()
        focus, exposure = focus_and_exposure(frame)
        return {
            "source": camera.source_name,
            "resolution": f"{frame.shape[1]} x {frame.shape[0]}",
            "focus": f"{focus:.0f}",
            "exposure": f"{exposure:.0f}",
            **{f"camera_{k}": f"{v:g}" for k, v in camera.settings().items()},
        }

    # --- live tests ---

    def read_test_card(self) -> None:
        self.reports["idcard"].facts.pop("test_card", None)
        self.devices.watch_cards(True)

    def print_test_page(self) -> None:
        self.reports["printer"].facts["test_page"] = "printing"
        self.devices.print_test_page(self.config.terminal.id)
        self._notify()

    def start_pad_test(self) -> None:
        self.strokes = []
        self.devices.start_signature()

    def clear_pad_test(self) -> None:
        self.strokes = []
        self._notify()

    # --- network and outbox ---

    def check_network(self) -> None:
        url = self.config.backoffice.url.rstrip("/") + "/healthz"

        def probe() -> None:
            start = time.monotonic()
            try:
                response = requests.get(url, timeout=NETWORK_TIMEOUT_S)
                result = {"url": url, "ok": str(response.ok), "http": str(response.status_code)}
            except requests.RequestException as e:
                result = {"url": url, "ok": "False", "error": type(e).__name__}
            result["ms"] = f"{(time.monotonic() - start) * 1000:.0f}"
            self.bus.publish("diag.network", result=result)

        threading.Thread(target=probe, name="diag-network", daemon=True).start()

    def outbox_summary(self) -> dict[str, Any]:
        entries = self.outbox.entries()
        waiting = [e for e in entries if e.state == "sealed"]
        return {
            "depth": len(waiting),
            "total": len(entries),
            "last_error": next((e.last_error for e in waiting if e.last_error), ""),
            "oldest": min((e.created_at for e in waiting), default=""),
        }

    def retry_outbox(self) -> None:
        self.outbox.retry()
        self.wake_uploads()
        log.info("diag.outbox_retry", extra={"event": "diag.outbox_retry"})

    # --- log and identity ---

    def identity(self) -> list[tuple[str, str]]:
        """The device ID card (设备身份证): what a technician or the township needs to know."""
        terminal = self.config.terminal
        return [
            ("terminal_id", terminal.id),
            ("name", terminal.name),
            ("location", terminal.location),
            ("maintainer", terminal.maintainer),
            ("maintainer_phone", terminal.maintainer_phone),
            ("hotline", terminal.hotline),
            ("software", kiosk.__version__),
            ("backoffice", self.config.backoffice.url),
        ]

    def export_logs(self) -> Path:
        """Write the log and the device reports to the USB folder; returns the file written."""
        folder = Path(self.config.terminal.export_dir)
        if not folder.is_dir():
            raise KioskError("DIAG_NO_USB", folder=str(folder))
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        target = folder / f"kiosk-log-{self.config.terminal.id}-{stamp}.jsonl"
        header = {
            "identity": dict(self.identity()),
            "devices": {name: {"connected": r.connected, **r.facts} for name, r in self.reports.items()},
            "errors": {name: [e.__dict__ for e in errors] for name, errors in self.errors.items()},
            "outbox": self.outbox_summary(),
        }
        tmp = target.with_suffix(".tmp")
        try:
            with tmp.open("w", encoding="utf-8") as f:
                f.write(json.dumps(header, ensure_ascii=False) + "\n")
                f.writelines(line + "\n" for line in self.log_ring.lines())
                f.flush()
                os.fsync(f.fileno())
            tmp.replace(target)
        except OSError as e:
            tmp.unlink(missing_ok=True)
            raise KioskError("DIAG_EXPORT_FAILED", folder=str(folder), detail=str(e)) from None
        log.info("diag.logs_exported", extra={"event": "diag.logs_exported"})
        return target

    # --- events ---

    def _notify(self) -> None:
        """Redraw only for a technician looking at diagnostics (a resident's screen must stay put)."""
        if self.active:
            self.on_change()

    def _on_error(self, event: Event) -> None:
        device, error = event.data["device"], event.data["error"]
        if device in self.errors:
            self.errors[device].append(ErrorRecord(time.time(), error.code, error.detail))
            self.reports[device].connected = False
            self._notify()

    def _on_report(self, event: Event) -> None:
        report = self.reports[event.data["device"]]
        report.connected = event.data["connected"]
        report.facts.update(event.data["facts"])
        report.checked_at = time.time()
        self._notify()

    def _on_network(self, event: Event) -> None:
        self.network = event.data["result"]
        self._notify()

    def _on_card(self, event: Event) -> None:
        if not self.active:
            return
        card = event.data["card"]
        self.reports["idcard"].connected = True
        self.reports["idcard"].facts["test_card"] = (
            f"{card.card_type} {mask_name(card.name or card.name_en)} {mask_number(card.id_number)} photo:{card.photo}"
        )
        self._notify()

    def _on_preview(self, event: Event) -> None:
        if not (self.active and self.section == "camera"):
            return
        focus, exposure = focus_and_exposure(event.data["frame"])
        facts = self.reports["camera"].facts
        facts["focus"], facts["exposure"] = f"{focus:.0f}", f"{exposure:.0f}"
        facts["page"] = "found" if event.data["corners"] is not None else "none"
        self.reports["camera"].connected = True

    def _on_pen_down(self, event: Event) -> None:
        if not self.active:
            return
        if self.section == "sigpad":
            self.strokes.append([])

    def _on_pen_points(self, event: Event) -> None:
        if not (self.active and self.section == "sigpad"):
            return
        if not self.strokes:
            self.strokes.append([])
        self.strokes[-1].extend(event.data["points"])
        self.reports["sigpad"].facts["last_source"] = event.data["source"]
        self._notify()

    def _on_printed(self, event: Event) -> None:
        facts = self.reports["printer"].facts
        if event.data.get("kind") == "test_page" and facts.get("test_page") == "printing":
            error = event.data.get("error")
            facts["test_page"] = error.code if error else "printed"
            self._notify()

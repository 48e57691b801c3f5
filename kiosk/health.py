"""The terminal's health: heartbeats to the township, the clock check, and the operator events
(device disconnected, paper low, upload stale, disk low, clock off) that follow from them.

Core: HTTP, the outbox and the disk only; it never touches a device (the device service probes on
its own workers) and never sends anything personal.
"""

from __future__ import annotations

import json
import logging
import shutil
import threading
import time
from dataclasses import asdict, dataclass
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

import requests

import kiosk
from kiosk import signed
from kiosk.config import Config, DevicesConfig, TerminalConfig
from kiosk.crypto.suites import SigningKey
from kiosk.keys import TownshipPublic
from kiosk.outbox import SEALED, Outbox

log = logging.getLogger(__name__)
DEVICES = ("idcard", "printer", "sigpad", "camera")
SETTLE_S = 3.0  # time for the device workers to answer a check before the heartbeat reads it
CLOCK_FILE = "health-clock.json"


class DeviceHealth(Protocol):
    ok: bool
    code: str


class DeviceProbe(Protocol):
    """What the device service offers: last results per device, and a way to ask for new ones."""

    health: dict[str, DeviceHealth]
    printer_paper_low: bool

    def check(self) -> None: ...


def version() -> str:
    try:
        return metadata.version("kiosk")
    except metadata.PackageNotFoundError:
        return kiosk.__version__


def now_iso() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


# --- Clock ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClockReading:
    checked_at: str
    offset_s: float | None  # back office minus terminal; None when it could not be read
    ok: bool
    detail: str = ""


def read_offset(session: requests.Session, base_url: str, timeout: float) -> float:
    """Seconds the back office's clock is ahead of ours (GET /api/v1/time, halfway through the call)."""
    sent = time.time()
    response = session.get(f"{base_url.rstrip('/')}/api/v1/time", timeout=timeout)
    received = time.time()
    response.raise_for_status()
    office = datetime.fromisoformat(response.json()["time"])
    if office.tzinfo is None:
        raise ValueError("the back office's time has no UTC offset")
    return office.timestamp() - (sent + received) / 2


def check_clock(config: Config, session: requests.Session | None = None) -> ClockReading:
    """Compare with the back office, log clock.skew or clock.unchecked, keep the reading for diagnostics."""
    session = session or requests.Session()
    tolerance = config.health.clock_tolerance_s
    try:
        offset = read_offset(session, config.backoffice.url, config.backoffice.timeout_s)
    except (requests.RequestException, ValueError, KeyError, TypeError) as e:
        reading = ClockReading(now_iso(), None, False, type(e).__name__)
        log.warning("clock not checked", extra={"event": "clock.unchecked", "detail": reading.detail})
    else:
        reading = ClockReading(now_iso(), round(offset, 3), abs(offset) <= tolerance)
        if not reading.ok:
            log.error(
                "terminal clock is off by %.0f s",
                offset,
                extra={"event": "clock.skew", "offset_s": reading.offset_s, "tolerance_s": tolerance},
            )
    _save_clock(config.data_dir, reading)
    return reading


def _save_clock(data_dir: Path, reading: ClockReading) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    tmp = data_dir / f".{CLOCK_FILE}.new"
    tmp.write_text(json.dumps(asdict(reading)), encoding="utf-8")
    tmp.replace(data_dir / CLOCK_FILE)


def last_clock(data_dir: Path) -> ClockReading | None:
    """The latest clock check (start-up or nightly), for the diagnostics screen."""
    try:
        return ClockReading(**json.loads((data_dir / CLOCK_FILE).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


# --- Heartbeat -----------------------------------------------------------------------------------


def device_card(terminal: TerminalConfig) -> dict[str, str]:
    """设备身份证: what the township's fleet view shows about this terminal."""
    return {
        "name": terminal.name,
        "type": terminal.type,
        "location": terminal.location,
        "maintainer": terminal.maintainer,
        "phone": terminal.maintainer_phone,
    }


def device_states(devices: DeviceProbe, config: DevicesConfig) -> dict[str, dict[str, Any]]:
    """Last probe result per device; a device never probed is judged by whether its port exists."""
    states = {}
    for name in DEVICES:
        health = devices.health.get(name)
        if health is not None:
            states[name] = {"ok": health.ok, "code": health.code}
        elif name == "sigpad" and not config.sigpad.port:
            states[name] = {"ok": True, "code": "TOUCH_FALLBACK"}
        else:
            path = {"idcard": config.idcard.port, "printer": config.printer.port}.get(name)
            path = path or (config.sigpad.port if name == "sigpad" else config.camera.source)
            present = path.startswith("socket://") or Path(path).exists()
            states[name] = {"ok": present, "code": "" if present else "NOT_FOUND"}
    return states


def oldest_unsent_age(outbox: Outbox, now: float) -> float | None:
    created = [
        datetime.fromisoformat(e.created_at).timestamp() for e in outbox.entries() if e.state == SEALED
    ]
    return round(now - min(created), 1) if created else None


def heartbeat_payload(
    config: Config, devices: DeviceProbe, outbox: Outbox, uptime_s: float, now: float | None = None
) -> dict[str, Any]:
    now = time.time() if now is None else now
    return {
        "kiosk_id": config.terminal.id,
        "sent_at": datetime.fromtimestamp(now).astimezone().isoformat(timespec="seconds"),
        "version": version(),
        "uptime_s": round(uptime_s, 1),
        "devices": device_states(devices, config.devices),
        "outbox_depth": outbox.depth(),
        "oldest_unsent_age_s": oldest_unsent_age(outbox, now),
        "disk_free_bytes": shutil.disk_usage(config.data_dir).free,
        "printer_paper_near_end": devices.printer_paper_low,
        "device_card": device_card(config.terminal),
    }


def send_heartbeat(
    session: requests.Session,
    config: Config,
    payload: dict[str, Any],
    device_key: SigningKey,
    township: TownshipPublic,
) -> dict[str, Any]:
    """POST the signed heartbeat; returns the township-signed answer ({"received_at"})."""
    url = f"{config.backoffice.url.rstrip('/')}/api/v1/kiosks/{config.terminal.id}/heartbeat"
    response = session.post(url, json=signed.sign(payload, device_key), timeout=config.backoffice.timeout_s)
    if response.status_code != 200:
        raise ValueError(f"HTTP {response.status_code}")
    answer = signed.verify(response.json(), township.signing)
    if not answer or "received_at" not in answer:
        raise ValueError("answer not signed by the township")  # a captive portal answers 200 too
    return answer


# --- Operator events -----------------------------------------------------------------------------


class Alarms:
    """Turns successive heartbeats into events, each logged once when its condition starts."""

    def __init__(self, config: Config) -> None:
        self.health = config.health
        self.misses = dict.fromkeys(DEVICES, 0)
        self.active: set[str] = set()

    def update(self, payload: dict[str, Any]) -> None:
        for name, state in payload["devices"].items():
            self._device(name, state)
        age = payload["oldest_unsent_age_s"]
        if self._starts("upload", age is not None and age > self.health.upload_stale_hours * 3600):
            log.error("a bundle has waited %.1f h", age / 3600, extra={"event": "upload.stale", "age_s": age})
        free = payload["disk_free_bytes"]
        if self._starts("disk", free < self.health.disk_low_bytes):
            log.warning("%d MB free", free // 1_000_000, extra={"event": "disk.low", "free_bytes": free})
        if self._starts("paper", payload["printer_paper_near_end"]):
            log.warning("receipt paper near end", extra={"event": "printer.paper_low"})

    def _device(self, name: str, state: dict[str, Any]) -> None:
        self.misses[name] = 0 if state["ok"] else self.misses[name] + 1
        was_down = f"device:{name}" in self.active
        if self._starts(f"device:{name}", self.misses[name] >= self.health.disconnect_after_misses):
            log.warning(
                "%s disconnected",
                name,
                extra={"event": "device.disconnected", "device": name, "code": state["code"]},
            )
        elif was_down and state["ok"]:
            log.info("%s reconnected", name, extra={"event": "device.reconnected", "device": name})

    def _starts(self, condition: str, on: bool) -> bool:
        """True only when `condition` turns on; it can start again after it has been off."""
        if not on:
            self.active.discard(condition)
            return False
        if condition in self.active:
            return False
        self.active.add(condition)
        return True


class HealthMonitor:
    """A background thread: the clock check at start-up, then a heartbeat every interval."""

    def __init__(
        self,
        config: Config,
        devices: DeviceProbe,
        outbox: Outbox,
        device_key: SigningKey,
        township: TownshipPublic,
    ) -> None:
        self.config = config
        self.devices = devices
        self.outbox = outbox
        self.device_key = device_key
        self.township = township
        self.alarms = Alarms(config)
        self.session = requests.Session()
        self.started = time.monotonic()
        self.last_heartbeat: dict[str, Any] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="health", daemon=True)

    def start(self) -> HealthMonitor:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def beat(self) -> dict[str, Any]:
        """One heartbeat from the latest device results; returns it with its outcome."""
        payload = heartbeat_payload(self.config, self.devices, self.outbox, time.monotonic() - self.started)
        self.alarms.update(payload)
        try:
            answer = send_heartbeat(self.session, self.config, payload, self.device_key, self.township)
        except (requests.RequestException, ValueError) as e:
            log.warning("heartbeat failed", extra={"event": "heartbeat.failed", "detail": str(e)[:200]})
            answer = {}
        self.last_heartbeat = {"payload": payload, "received_at": answer.get("received_at")}
        return self.last_heartbeat

    def _run(self) -> None:
        check_clock(self.config, self.session)
        while not self._stop.is_set():
            self.devices.check()
            if self._stop.wait(SETTLE_S):
                return
            self.beat()
            self._stop.wait(self.config.health.heartbeat_interval_s)

"""Heartbeats and the clock check against a stand-in of the back office's two endpoints.

The stand-in follows the contract with issue 8 (POST /api/v1/kiosks/{id}/heartbeat with a signed
envelope, answered by a township-signed {"received_at"}; GET /api/v1/time).
"""

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI, Request

from kiosk import config as config_module
from kiosk import keys, signed
from kiosk.backoffice.server import EmbeddedServer
from kiosk.health import Alarms, HealthMonitor, check_clock, last_clock
from kiosk.outbox import Outbox


@dataclass
class Probe:
    ok: bool
    code: str = ""


@dataclass
class FakeDevices:
    """Stands in for DeviceService's health record (the real one needs hardware on every port)."""

    health: dict = field(default_factory=dict)
    printer_paper_low: bool = False
    checks: int = 0

    def check(self) -> None:
        self.checks += 1


def stand_in(township, device_public, skew=timedelta(0), signer=None):
    app = FastAPI()
    app.state.beats = []

    @app.post("/api/v1/kiosks/{kiosk_id}/heartbeat")
    async def heartbeat(kiosk_id: str, request: Request):
        payload = signed.verify(await request.json(), device_public)
        assert payload is not None and payload["kiosk_id"] == kiosk_id
        app.state.beats.append(payload)
        return signed.sign({"received_at": datetime.now(UTC).isoformat()}, signer or township.signing)

    @app.get("/api/v1/time")
    def time_now():
        return {"time": (datetime.now(UTC) + skew).isoformat()}

    return app


@pytest.fixture
def world(tmp_path):
    township = keys.create_township_key(tmp_path / "keys")
    device = keys.create_device_key(tmp_path / "keys")
    config = config_module.with_overrides(
        config_module.Config(),
        {
            "terminal.data_dir": str(tmp_path / "data"),
            "terminal.maintainer": "张师傅",
            "terminal.maintainer_phone": "0000-1234567",
            "devices.sigpad.port": "",
            "devices.camera.source": str(tmp_path),
        },
    )
    config.data_dir.mkdir(parents=True)
    outbox = Outbox(config.data_dir)
    yield config, township, device, outbox
    outbox.close()


def serve(config, app):
    server = EmbeddedServer(app).start()
    config.backoffice.url = server.url
    return server


def test_heartbeat_carries_the_contract_fields_and_is_confirmed_by_the_township(world):
    config, township, device, outbox = world
    app = stand_in(township, device.public)
    server = serve(config, app)
    devices = FakeDevices({"idcard": Probe(True), "printer": Probe(False, "PRINTER_PAPER_OUT")}, True)
    try:
        beat = HealthMonitor(config, devices, outbox, device, township.public).beat()
    finally:
        server.stop()
    assert beat["received_at"]
    (sent,) = app.state.beats
    assert set(sent) == {
        "kiosk_id", "sent_at", "version", "uptime_s", "devices", "outbox_depth",
        "oldest_unsent_age_s", "disk_free_bytes", "printer_paper_near_end", "device_card",
    }  # fmt: skip
    assert sent["devices"]["printer"] == {"ok": False, "code": "PRINTER_PAPER_OUT"}
    assert sent["devices"]["sigpad"] == {"ok": True, "code": "TOUCH_FALLBACK"}
    assert sent["devices"]["camera"]["ok"] is True
    assert sent["outbox_depth"] == 0 and sent["oldest_unsent_age_s"] is None
    assert sent["printer_paper_near_end"] is True
    assert sent["device_card"]["maintainer"] == "张师傅" and sent["device_card"]["phone"] == "0000-1234567"


def test_a_heartbeat_answer_not_signed_by_the_township_counts_as_failed(world, caplog):
    config, township, device, outbox = world
    impostor = keys.create_township_key(config.data_dir / "impostor")
    server = serve(config, stand_in(township, device.public, signer=impostor.signing))
    try:
        beat = HealthMonitor(config, FakeDevices(), outbox, device, township.public).beat()
    finally:
        server.stop()
    assert beat["received_at"] is None
    assert [r.event for r in caplog.records if hasattr(r, "event")] == ["heartbeat.failed"]


def test_a_clock_off_by_more_than_the_tolerance_is_reported_and_kept_for_diagnostics(world, caplog):
    config, township, device, _ = world
    server = serve(config, stand_in(township, device.public, skew=timedelta(minutes=5)))
    try:
        reading = check_clock(config)
    finally:
        server.stop()
    assert not reading.ok and 295 < reading.offset_s < 305
    assert [r.event for r in caplog.records if hasattr(r, "event")] == ["clock.skew"]
    assert last_clock(config.data_dir) == reading


def test_a_clock_within_tolerance_is_fine_and_an_unreachable_office_is_unchecked(world, caplog):
    config, township, device, _ = world
    server = serve(config, stand_in(township, device.public, skew=timedelta(seconds=2)))
    try:
        assert check_clock(config).ok
    finally:
        server.stop()
    reading = check_clock(config)  # the server is gone
    assert reading.offset_s is None and not reading.ok
    assert [r.event for r in caplog.records if hasattr(r, "event")] == ["clock.unchecked"]


def beat_with(idcard_ok, disk_free=10**12, paper=False, age=None):
    return {
        "devices": {"idcard": {"ok": idcard_ok, "code": "" if idcard_ok else "IDCARD_TIMEOUT"}},
        "oldest_unsent_age_s": age,
        "disk_free_bytes": disk_free,
        "printer_paper_near_end": paper,
    }


def events_of(caplog):
    return [r.event for r in caplog.records if hasattr(r, "event")]


def test_a_device_is_disconnected_only_after_several_failed_probes_in_a_row(caplog):
    caplog.set_level(logging.INFO)
    alarms = Alarms(config_module.Config())  # disconnect_after_misses = 3
    for ok in (False, True, False, False, True):  # flickers never add up to three in a row
        alarms.update(beat_with(ok))
    assert events_of(caplog) == []
    for ok in (False, False, False, False, True):
        alarms.update(beat_with(ok))
    assert events_of(caplog) == ["device.disconnected", "device.reconnected"]


def test_paper_disk_and_stale_uploads_are_reported_once_each_time_they_start(caplog):
    alarms = Alarms(config_module.Config())
    for _ in range(3):
        alarms.update(beat_with(True, disk_free=10**6, paper=True, age=5 * 3600))
    alarms.update(beat_with(True))
    alarms.update(beat_with(True, paper=True))
    assert events_of(caplog) == ["upload.stale", "disk.low", "printer.paper_low", "printer.paper_low"]

"""One running terminal, wired from its configuration: bus, catalog, outbox, uploader, devices, flow.

`kiosk run`, the demo and the tests build the terminal here, so they all run the same objects.
"""

from __future__ import annotations

import logging
from pathlib import Path

import requests

from kiosk import catalog as catalog_module
from kiosk import keys, tls
from kiosk.agents import AgentRegistry
from kiosk.catalog import Catalog
from kiosk.config import Config
from kiosk.decisions import DecisionPoller
from kiosk.errors import KioskError
from kiosk.flow.bus import EventBus
from kiosk.flow.controller import FlowController
from kiosk.flow.devices import DeviceService
from kiosk.flow.diagnostics import Diagnostics
from kiosk.flow.speech import Speaker
from kiosk.health import HealthMonitor
from kiosk.outbox import Outbox
from kiosk.session_store import purge_leftovers
from kiosk.submission import Submitter
from kiosk.township import TownshipClient
from kiosk.upload import RateLimiter, Uploader, UploadWorker


class Terminal:
    def __init__(
        self, config: Config, catalog: Catalog | None = None, speaker: Speaker | None = None
    ) -> None:
        self.config = config
        config.data_dir.mkdir(parents=True, exist_ok=True)
        purge_leftovers(config.data_dir)
        self.bus = EventBus(latest_only=("camera.preview",))  # a stalled UI sees only the newest frame
        self.catalog = catalog or catalog_module.load()
        self.outbox = Outbox(config.data_dir)
        device_key, township = load_keys(config)
        self.outbox.recover()
        office = config.backoffice
        self.uploads = UploadWorker(
            self.outbox,
            uploader_from(config, township),
            office.retry_min_s,
            office.retry_max_s,
            on_change=lambda bundle_id, state: self.bus.publish(
                "upload.changed", bundle_id=bundle_id, state=state
            ),
        )
        client = TownshipClient(office.url, config.terminal.id, device_key, township, office.timeout_s)
        client.session = pinned_session(config)
        self.agents = AgentRegistry(config.data_dir, config.terminal.id, township)
        self.decisions = DecisionPoller(
            client,
            self.outbox,
            config.data_dir,
            office.poll_interval_s,
            on_decision=lambda d: self.bus.publish(
                "decision.changed", case_number=d.case_number, state=d.state, note=d.note
            ),
            also=[lambda: self.agents.sync(client)],
        )
        self.devices = DeviceService(config.devices, self.bus)
        self.health = HealthMonitor(config, self.devices, self.outbox, device_key, township)
        submitter = Submitter(config, self.outbox, device_key, township)
        self.speaker = speaker or Speaker(enabled=config.terminal.speech)
        self.diagnostics = Diagnostics(config, self.devices, self.bus, self.outbox)
        self.diagnostics.wake_uploads = self.uploads.wake
        self.flow = FlowController(
            config,
            self.catalog,
            self.devices,
            self.bus,
            submitter,
            speaker=self.speaker,
            agents=self.agents,
            diagnostics=self.diagnostics,
        )
        self.bus.subscribe("submit.done", lambda event: self.uploads.wake())

    def start(self) -> Terminal:
        logging.getLogger("kiosk").setLevel(logging.INFO)  # the ring keeps INFO; consoles filter by handler
        logging.getLogger().addHandler(self.diagnostics.log_ring)
        self.devices.start()
        self.uploads.start()
        self.health.start()
        self.decisions.start()
        return self

    def stop(self) -> None:
        self.health.stop()
        self.flow.end_session()
        self.devices.stop()
        self.uploads.stop()
        self.decisions.stop()
        self.speaker.close()
        logging.getLogger().removeHandler(self.diagnostics.log_ring)
        self.outbox.close()


def load_keys(config: Config) -> tuple[keys.SigningKey, keys.TownshipPublic]:
    """This terminal's signing key and the township's public keys, both of the configured suite."""
    device_key = keys.load_device_key(Path(config.keys.dir) / "device.key")
    township = keys.load_township_public(Path(config.backoffice.township_key))
    suite = keys.suite_named(config.keys.suite)
    if device_key.public.suite is not suite or township.suite is not suite:
        raise KioskError(
            "KEY_SUITE_MISMATCH", device=device_key.public.suite.name, township=township.suite.name
        )
    return device_key, township


def uploader_from(config: Config, township: keys.TownshipPublic) -> Uploader:
    office = config.backoffice
    return Uploader(
        office.url,
        township,
        config.terminal.id,
        pinned_session(config),
        office.timeout_s,
        office.chunk_kib * 1024,
        RateLimiter(office.bandwidth_kbit * 1000 / 8) if office.bandwidth_kbit else None,
    )


def pinned_session(config: Config) -> requests.Session:
    """HTTPS to the back office trusting only the pinned certificate (plain HTTP on loopback only)."""
    office = config.backoffice
    return tls.pinned_session(office.url, office.tls_certificate, office.tls_fingerprint)

"""A township back office on loopback with fresh keys and one enrolled terminal, and synthetic
bundles to send it: test equipment for the upload tests, the fault harness and the benches.

Nothing personal: bundle contents are random bytes under a synthetic case number.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from kiosk import bundle, keys
from kiosk.crypto.suites import MODERN, SigningKey, Suite
from kiosk.outbox import Outbox
from kiosk.upload import RateLimiter, Uploader

KIOSK_ID = "KIOSK-TEST-0001"


@dataclass
class Township:
    root: Path
    suite: Suite = MODERN
    kiosk_id: str = KIOSK_ID
    server_options: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.township = keys.create_township_key(self.root / "township", self.suite)
        self.device = keys.create_device_key(self.root / "keys", self.suite)

    def start(self, port: int = 0) -> Township:
        from kiosk.backoffice.app import create_app
        from kiosk.backoffice.server import EmbeddedServer

        self.app = create_app(self.root / "backoffice", self.township)
        self.app.state.store.enrol(self.kiosk_id, self.device.public, self.suite.name)
        self.server = EmbeddedServer(self.app, port=port).start()
        return self

    def stop(self) -> None:
        self.server.stop()
        self.app.state.store.close()

    def __enter__(self) -> Township:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def store(self):
        return self.app.state.store

    def uploader(self, url: str | None = None, **options: Any) -> Uploader:
        limit = options.pop("bytes_per_second", 0)
        session = requests.Session()
        session.trust_env = False
        return Uploader(
            url or self.url,
            self.township.public,
            self.kiosk_id,
            session,
            limiter=RateLimiter(limit) if limit else None,
            **options,
        )


def seal_into(
    outbox: Outbox,
    device: SigningKey,
    township: keys.TownshipPublic,
    kiosk_id: str,
    size: int,
    number: int = 1,
) -> str:
    """Seal `size` random bytes as an application of a synthetic case and record it; the bundle id."""
    bundle_id = uuid.uuid4().hex
    case_number = outbox.next_case_number(number)
    sealed = bundle.seal(
        sources=[bundle.from_bytes("page-000.jpg", os.urandom(size))],
        manifest={"case_number": case_number, "application": {"synthetic": True}},
        bundle_id=bundle_id,
        kiosk_id=kiosk_id,
        service_code="senior-age-allowance",
        device_key=device,
        recipient=township,
        out=outbox.bundle_path(bundle_id),
    )
    outbox.add(bundle_id, case_number, "senior-age-allowance", sealed.digest, {"case_number": case_number})
    return bundle_id

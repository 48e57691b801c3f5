"""Back-office intake throughput: 2 MB sealed bundles PUT over loopback HTTP, each verified (signature,
digests), decrypted, filed and answered with a signed receipt; SQLite and PostgreSQL (fsync on) backends.
"""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from pathlib import Path

import requests

from kiosk import bundle, keys
from kiosk.backoffice.app import create_app
from kiosk.backoffice.pglocal import local_postgres
from kiosk.backoffice.server import EmbeddedServer
from kiosk.backoffice.settings import Settings
from kiosk.crypto.suites import MODERN, SigningKey

BUNDLE_BYTES = 2 * 1024 * 1024
COUNT = 40
KIOSK = "KIOSK-BENCH-0001"


def sealed_bundles(folder: Path, township: keys.TownshipPrivate, device: SigningKey, count: int) -> list:
    """`count` bundles of about 2 MB: eight incompressible 256 KiB 'pages' each."""
    out = []
    for n in range(count):
        bundle_id = uuid.uuid4().hex
        case_number = f"0001261128{n:04d}9"
        files = {f"page-{i:03d}.jpg": os.urandom(BUNDLE_BYTES // 8) for i in range(8)}
        sealed = bundle.seal(
            sources=[bundle.from_bytes(name, data) for name, data in files.items()],
            manifest={"case_number": case_number, "application": {"channel": "resident"}},
            bundle_id=bundle_id,
            kiosk_id=KIOSK,
            service_code="senior-age-allowance",
            device_key=device,
            recipient=township.public,
            out=folder / f"{bundle_id}.kskb",
        )
        out.append((bundle_id, sealed.path.read_bytes()))
    return out


def intake_rate(database: str, count: int = COUNT) -> dict[str, float]:
    """Bundles/s and MB/s for `count` sequential uploads into a fresh back office on `database`."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        township = keys.create_township_key(folder / "township")
        device = MODERN.new_signing_key()
        bundles = sealed_bundles(folder / "sealed", township, device, count)
        app = create_app(folder / "office", township, Settings(database=database))
        app.state.store.enrol(KIOSK, device.public, village="示例村")
        server = EmbeddedServer(app).start()
        try:
            session = requests.Session()
            start = time.perf_counter()
            for bundle_id, data in bundles:
                answer = session.put(f"{server.url}/api/v1/bundles/{bundle_id}", data=data, timeout=60)
                assert answer.status_code == 201, answer.text
            elapsed = time.perf_counter() - start
        finally:
            server.stop()
            app.state.store.close()
    megabytes = sum(len(data) for _, data in bundles) / 1e6
    return {"bundles_per_s": count / elapsed, "mb_per_s": megabytes / elapsed}


def main() -> None:
    sqlite = intake_rate("sqlite")
    print(
        f"intake, SQLite: {sqlite['bundles_per_s']:.1f} bundles/s, {sqlite['mb_per_s']:.1f} MB/s (2 MB bundles)"
    )
    with local_postgres(durable=True) as server:
        postgres = intake_rate(server.url)
    print(
        f"intake, PostgreSQL: {postgres['bundles_per_s']:.1f} bundles/s, {postgres['mb_per_s']:.1f} MB/s (2 MB bundles)"
    )


if __name__ == "__main__":
    main()

"""Upload goodput through a loopback link of 256 kbit/s that drops every connection every 30 s,
as a share of the link rate, and the bytes sent again per disconnect.

The uploader runs as the terminal runs it (UploadWorker, default chunk and back-off); the link is
kiosk.sim.link.ThrottledLink; plain HTTP on loopback (TLS would add a handshake per reconnect).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from kiosk.config import BackofficeConfig
from kiosk.outbox import Outbox
from kiosk.sim.link import ThrottledLink
from kiosk.sim.township import Township, seal_into
from kiosk.upload import UploadWorker

LINK_BPS = 256_000
CUT_EVERY_S = 30.0
BUNDLE_BYTES = 3_000_000


def main() -> None:
    defaults = BackofficeConfig()
    with tempfile.TemporaryDirectory(prefix="bench-upload-") as tmp, Township(Path(tmp) / "world") as world:
        outbox = Outbox(Path(tmp) / "kiosk")
        bundle_id = seal_into(outbox, world.device, world.township.public, world.kiosk_id, BUNDLE_BYTES)
        size = outbox.get(bundle_id).size
        link = ThrottledLink(world.server.port, LINK_BPS, CUT_EVERY_S).start()
        uploader = world.uploader(link.url, timeout=defaults.timeout_s, chunk_bytes=defaults.chunk_kib * 1024)
        worker = UploadWorker(outbox, uploader, defaults.retry_min_s, defaults.retry_max_s)
        start = time.monotonic()
        while outbox.get(bundle_id).state != "delivered":
            worker.run_once()
            due = outbox.next_due()
            if due:
                time.sleep(max(0.0, due - time.time()))
        elapsed = time.monotonic() - start
        link.stop()
        goodput = size / elapsed
        resent = max(0, uploader.sent - size)
        print(
            f"goodput {goodput * 8 / 1000:.1f} kbit/s = {goodput * 8 / LINK_BPS:.1%} of a {LINK_BPS // 1000} kbit/s link "
            f"({size} bytes in {elapsed:.0f} s, {link.cuts} disconnects); "
            f"re-sent {resent / max(link.cuts, 1) / 1024:.1f} KiB per disconnect; "
            f"link bytes up {link.sent_up} ({link.sent_up / size - 1:.1%} over the bundle)"
        )
        outbox.close()


if __name__ == "__main__":
    main()

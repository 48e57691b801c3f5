"""A terminal reduced to its outbox: seal COUNT synthetic bundles, then deliver them all.

Run as a separate process by the fault harness, which kills it with SIGKILL or freezes it with
SIGSTOP at random instants. Prints "SUBMITTED <bundle_id>" (what a resident would be told) after
each durable record, and "DONE" when the township has confirmed every bundle.
"""

import logging
import sys
from pathlib import Path

import requests

from kiosk import keys
from kiosk.outbox import Outbox
from kiosk.sim.township import seal_into
from kiosk.upload import Uploader, UploadWorker


def main(data: str, world: str, url: str, count: str, size: str, number: str) -> None:
    logging.disable(logging.WARNING)  # failed attempts are the point here, not news
    root = Path(world)
    device = keys.load_device_key(root / "keys" / "device.key")
    township = keys.load_township_public(root / "township" / "township.pub")
    kiosk_id = (root / "kiosk_id").read_text()
    outbox = Outbox(Path(data))
    outbox.recover()
    while len(outbox.entries()) < int(count):
        bundle_id = seal_into(outbox, device, township, kiosk_id, int(size), int(number))
        print(f"SUBMITTED {bundle_id}", flush=True)
    session = requests.Session()
    session.trust_env = False
    uploader = Uploader(url, township, kiosk_id, session, timeout=2.0, chunk_bytes=128 * 1024)
    worker = UploadWorker(outbox, uploader, retry_min=0.05, retry_max=0.5)
    while outbox.depth():
        worker.run_once()
        outbox.retry()  # the harness wants speed, not politeness
    print("DONE", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])

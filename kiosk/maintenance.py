"""The nightly maintenance run by kiosk-maintenance.timer: clock check, disk check, and outbox
compaction (files of bundles the township confirmed long ago).

Runs beside the app in its own process: it never touches a session, a device, or a bundle that is
not yet delivered.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta

import requests

from kiosk import health
from kiosk.config import Config
from kiosk.outbox import SEALED, Outbox

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Report:
    clock: health.ClockReading
    disk_free_bytes: int
    bundle_files_removed: int


def compact_outbox(outbox: Outbox, keep_days: int, now: datetime | None = None) -> int:
    """Delete the files of bundles delivered more than `keep_days` ago (their rows and signed
    receipts stay); checkpoint the WAL so it does not grow. Returns how many files went."""
    cutoff = (now or datetime.now().astimezone()) - timedelta(days=keep_days)
    removed = 0
    for entry in outbox.entries():
        delivered = entry.state != SEALED and entry.delivered_at
        if delivered and datetime.fromisoformat(entry.delivered_at) < cutoff and entry.path.exists():
            entry.path.unlink()
            removed += 1
    with outbox.lock:
        outbox.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return removed


def run(config: Config) -> Report:
    clock = health.check_clock(config, requests.Session())
    free = shutil.disk_usage(config.data_dir).free
    if free < config.health.disk_low_bytes:
        log.warning("%d MB free", free // 1_000_000, extra={"event": "disk.low", "free_bytes": free})
    outbox = Outbox(config.data_dir)
    try:
        removed = compact_outbox(outbox, config.health.keep_delivered_days)
    finally:
        outbox.close()
    report = Report(clock, free, removed)
    log.info(
        "maintenance done",
        extra={
            "event": "maintenance.done",
            "clock_ok": clock.ok,
            "offset_s": clock.offset_s,
            "free_bytes": free,
            "removed": removed,
        },
    )
    return report

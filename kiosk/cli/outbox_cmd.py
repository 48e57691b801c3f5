"""kiosk outbox status|retry|export: the technician's view of the store-and-forward queue.

Status shows case numbers, states and errors, never a name or an ID number. Export copies sealed
bundles (encrypted and signed, so safe on a stick) for a courier when there is no network.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import time
from datetime import datetime
from pathlib import Path

from kiosk import bundle, keys
from kiosk.errors import KioskError
from kiosk.outbox import Entry, Outbox, now_iso


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("outbox", help="the queue of sealed bundles: status, retry, export")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    status = actions.add_parser("status", help="counts by state and every case (no personal data)")
    status.add_argument("--json", action="store_true")
    status.set_defaults(func=show_status)
    retry = actions.add_parser("retry", help="send now: clear the back-off of one or all undelivered bundles")
    retry.add_argument("bundle_id", nargs="?", help="one bundle (default: all undelivered)")
    retry.set_defaults(func=retry_now)
    export = actions.add_parser(
        "export", help="copy undelivered bundles to a folder (a USB stick) for a courier"
    )
    export.add_argument("--to", type=Path, required=True, help="target folder, e.g. /media/usb")
    export.set_defaults(func=export_bundles)


def open_outbox(args: argparse.Namespace) -> tuple[Outbox, str]:
    config = args.load_config()
    return Outbox(config.data_dir), config.terminal.id


def row(entry: Entry) -> dict:
    return {
        "case_number": entry.case_number,
        "bundle_id": entry.bundle_id,
        "service_code": entry.service_code,
        "state": entry.state,
        "created_at": entry.created_at,
        "uploaded": entry.uploaded,
        "size": entry.size,
        "attempts": entry.attempts,
        "next_attempt": datetime.fromtimestamp(entry.next_attempt).astimezone().isoformat(timespec="seconds")
        if entry.next_attempt
        else "",
        "last_error": entry.last_error,
        "decision_note": entry.decision_note,
        "masked_name": entry.summary.get("masked_name", ""),
        "exported_at": entry.exported_at,
    }


def show_status(args: argparse.Namespace) -> int:
    outbox, kiosk_id = open_outbox(args)
    entries = outbox.entries()
    counts = {state: count for state, count in outbox.counts().items() if count}
    waiting = [e for e in entries if e.state == "sealed"]
    oldest = min((e.created_at for e in waiting), default="")
    if args.json:
        report = {
            "kiosk_id": kiosk_id,
            "counts": counts,
            "oldest_undelivered": oldest,
            "cases": [row(e) for e in entries],
        }
        print(json.dumps(report, ensure_ascii=False, indent=1))
        return 0
    print(
        f"{kiosk_id}: " + (", ".join(f"{state} {count}" for state, count in counts.items()) or "empty / 空")
    )
    if oldest:
        print(f"oldest undelivered / 最早未送达: {oldest}")
    for entry in entries:
        progress = f"{entry.uploaded * 100 // max(entry.size, 1)}%" if entry.state == "sealed" else ""
        error = f"  {entry.last_error} (tries {entry.attempts})" if entry.last_error else ""
        print(
            f"{entry.case_number}  {entry.service_code:<38} {entry.state:<10} {progress:>4}  {entry.created_at}{error}"
        )
    return 0


def retry_now(args: argparse.Namespace) -> int:
    outbox, _ = open_outbox(args)
    count = outbox.retry(args.bundle_id)
    if args.bundle_id and not count:
        raise KioskError("OUTBOX_UNKNOWN_BUNDLE", bundle_id=args.bundle_id)
    print(f"{count} bundle(s) will be sent at the next round / 将立即重试 {count} 件")
    return 0


def export_bundles(args: argparse.Namespace) -> int:
    """Each file is copied under a temporary name, fsynced and renamed; an index names them all."""
    outbox, kiosk_id = open_outbox(args)
    try:
        args.to.mkdir(parents=True, exist_ok=True)
        exported = [_copy(entry, args.to) for entry in outbox.undelivered() if entry.path.exists()]
        index = {
            "kiosk_id": kiosk_id,
            "exported_at": now_iso(),
            "bundles": [
                {"bundle_id": e.bundle_id, "case_number": e.case_number, "digest": e.digest, "size": e.size}
                for e in exported
            ],
        }
        name = f"kiosk-export-{kiosk_id}-{time.strftime('%Y%m%d-%H%M%S')}.json"
        keys.write_file(args.to / name, json.dumps(index, indent=1).encode(), 0o644)
        bundle.fsync_directory(args.to)
    except OSError as e:
        raise KioskError("OUTBOX_EXPORT_TARGET", path=str(args.to), detail=e.strerror or "") from None
    for entry in exported:
        outbox.exported(entry.bundle_id)
    print(f"{len(exported)} bundle(s) written to {args.to} / 已导出 {len(exported)} 件")
    return 0


def _copy(entry: Entry, folder: Path) -> Entry:
    target = folder / entry.path.name
    tmp = folder / f".{entry.path.name}.tmp"
    with entry.path.open("rb") as source, tmp.open("wb") as out:
        shutil.copyfileobj(source, out, 1024 * 1024)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, target)
    bundle.fsync_directory(folder)
    return entry

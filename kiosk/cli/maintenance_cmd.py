"""kiosk maintenance: the nightly run (clock check, disk check, outbox compaction); the timer's job."""

from __future__ import annotations

import argparse

from kiosk import maintenance


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("maintenance", help="nightly maintenance: clock, disk, outbox compaction")
    parser.set_defaults(func=run_maintenance)


def run_maintenance(args: argparse.Namespace) -> int:
    report = maintenance.run(args.load_config())
    clock = report.clock
    print(
        f"clock     {'ok' if clock.ok else 'NOT OK'} (offset {clock.offset_s} s{', ' + clock.detail if clock.detail else ''})"
    )
    print(f"disk free {report.disk_free_bytes // 1_000_000} MB")
    print(f"outbox    {report.bundle_files_removed} delivered bundle files removed")
    return 0 if clock.ok else 1

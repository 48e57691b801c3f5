"""kiosk events: the log event catalog, as a list or as the Markdown of docs/events.md."""

from __future__ import annotations

import argparse

from kiosk import events


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("events", help="list the log events operators act on (kiosk/events.toml)")
    parser.add_argument("--markdown", action="store_true", help="print docs/events.md")
    parser.set_defaults(func=list_events)


def list_events(args: argparse.Namespace) -> int:
    if args.markdown:
        print(events.markdown(), end="")
        return 0
    for event in events.catalog().values():
        print(f"{event.id:22} {event.level:8} {event.doc}")
    return 0

"""kiosk catalog list|show: the services this terminal offers."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from kiosk import catalog


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("catalog", help="list the services (事项) and their guides")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="list every service")
    listing.add_argument("--json", action="store_true", help="print a JSON list")
    listing.add_argument("--dir", type=Path, action="append", default=[], help="extra catalog folder")
    listing.set_defaults(func=list_services)
    show = actions.add_parser("show", help="print one service's full guide as JSON")
    show.add_argument("code")
    show.add_argument("--dir", type=Path, action="append", default=[], help="extra catalog folder")
    show.set_defaults(func=show_service)


def list_services(args: argparse.Namespace) -> int:
    services = catalog.load(args.dir)
    if args.json:
        print(json.dumps([s.to_json() for s in services], ensure_ascii=False, indent=1))
        return 0
    for s in services:
        sample = " [示例]" if s.sample else ""
        print(f"{s.code:40} {s.name}{sample}  {s.department}  {s.time_limit_days}个工作日")
    return 0


def show_service(args: argparse.Namespace) -> int:
    print(json.dumps(catalog.load(args.dir).get(args.code).to_json(), ensure_ascii=False, indent=1))
    return 0

"""kiosk config show: the effective configuration, every key with its value."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("config", help="show the effective configuration")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    show = actions.add_parser("show", help="print the effective configuration as TOML")
    show.set_defaults(func=show_config)


def show_config(args: argparse.Namespace) -> int:
    print(args.load_config().to_toml(), end="")
    return 0

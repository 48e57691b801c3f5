"""kiosk selfcheck: is this installed release whole? (kiosk-release runs it after switching releases)."""

from __future__ import annotations

import argparse

from kiosk import config as config_module
from kiosk import selfcheck


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("selfcheck", help="check that this release can start (modules, data, fonts)")
    parser.set_defaults(func=run_selfcheck)


def run_selfcheck(args: argparse.Namespace) -> int:
    checks = selfcheck.run(args.config or config_module.default_path())
    for check in checks:
        print(f"{'ok  ' if check.ok else 'FAIL'} {check.name:9} {check.detail}")
    return 0 if all(check.ok for check in checks) else 1

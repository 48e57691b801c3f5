"""kiosk diagnostics pin-hash: the line that sets the technician PIN in the configuration."""

from __future__ import annotations

import argparse
import getpass
import sys

from kiosk.errors import KioskError
from kiosk.flow.diagnostics import hash_pin

PIN_DIGITS = 6


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("diagnostics", help="technician diagnostics settings")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    pin = actions.add_parser(
        "pin-hash",
        help="read a 6-digit technician PIN from stdin (or a prompt) and print the "
        "terminal.technician_pin_hash line for /etc/kiosk/kiosk.toml",
    )
    pin.set_defaults(func=pin_hash)


def pin_hash(args: argparse.Namespace) -> int:
    pin = getpass.getpass("PIN: ") if sys.stdin.isatty() else sys.stdin.readline().strip()
    if len(pin) != PIN_DIGITS or not pin.isdigit():
        raise KioskError("TECH_PIN_FORMAT", digits=PIN_DIGITS)
    print(f'technician_pin_hash = "{hash_pin(pin)}"  # in [terminal]')
    return 0

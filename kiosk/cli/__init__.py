"""The `kiosk` command line: one entry point, a sub-command per job, a global --config.

Every failure a person can cause or meet ends as one plain line (Chinese / English) and a non-zero
exit, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

import kiosk.cli
from kiosk import __version__
from kiosk import config as config_module
from kiosk import log as kiosk_log
from kiosk.errors import KioskError

EXIT_ERROR = 2
EXIT_INTERRUPTED = 130


def commands() -> list[ModuleType]:
    """Every `kiosk/cli/*_cmd.py` module; each registers one top-level command."""
    names = sorted(m.name for m in pkgutil.iter_modules(kiosk.cli.__path__) if m.name.endswith("_cmd"))
    return [importlib.import_module(f"kiosk.cli.{name}") for name in names]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kiosk",
        description="办事不出村自助终端 — village government-service terminal",
    )
    parser.add_argument("--version", action="version", version=f"kiosk {__version__}")
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="configuration file (default: $KIOSK_CONFIG, else /etc/kiosk/kiosk.toml if present, else built-in defaults)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in commands():
        command.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    kiosk_log.configure()  # the level is filtered at the handler: Kivy resets its logger's level on import
    try:
        args.load_config = lambda: config_module.load(args.config or config_module.default_path())
        return args.func(args) or 0
    except KioskError as e:
        print(f"kiosk: {e}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED

"""kiosk run: the terminal for real use, fullscreen, against the configured devices and back office."""

from __future__ import annotations

import argparse
import logging

from kiosk.health import version

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("run", help="start the terminal app (what kiosk.service runs)")
    parser.add_argument(
        "--windowed", action="store_true", help="a window instead of fullscreen (for development)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = args.load_config()
    if args.windowed:
        config.screen.fullscreen = False
    from kiosk.flow.terminal import Terminal
    from kiosk.screens import prepare

    prepare(config.screen)
    from kiosk.screens.app import run_app

    terminal = Terminal(config).start()
    log.info("kiosk %s started", version(), extra={"event": "app.started", "version": version()})
    try:
        run_app(terminal)
    finally:
        terminal.stop()
    return 0

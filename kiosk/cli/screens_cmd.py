"""kiosk screens: the screenshot gallery of every screen (two panel sizes, both languages, normal and
elderly mode) into a folder, with the check that no text is cut off; exits non-zero if any is."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from kiosk.config import ScreenConfig
from kiosk.errors import KioskError


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "screens", help="save a screenshot of every screen (docs/screens) and check text fits"
    )
    parser.add_argument(
        "--out", type=Path, default=Path("docs/screens"), help="folder (default: docs/screens)"
    )
    parser.add_argument("--check-only", action="store_true", help="check that text fits, save nothing")
    parser.set_defaults(func=screens)


def screens(args: argparse.Namespace) -> int:
    from kiosk.xdisplay import VirtualDisplay

    screen = ScreenConfig(fullscreen=False)
    with VirtualDisplay(screen.width_px, screen.height_px), tempfile.TemporaryDirectory() as scratch:
        from kiosk.screens import prepare

        prepare(screen)
        from kivy.base import EventLoop

        from kiosk.screens.app import register_fonts
        from kiosk.screens.gallery import Gallery

        register_fonts()
        EventLoop.ensure_window()
        gallery = Gallery(None if args.check_only else args.out)
        found = gallery.run(Path(scratch))
    for problem in found:
        print(problem, file=sys.stderr)
    print(f"{len(gallery.saved)} screenshots, {len(found)} problems")
    if found:
        raise KioskError("SCREENS_DO_NOT_FIT", count=len(found))
    return 0

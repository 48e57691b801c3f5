"""Kivy views only: one module per screen. Screens talk to the flow layer, never to a device or the
network. Call `prepare()` before anything imports Kivy.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk import memory
from kiosk.config import ScreenConfig
from kiosk.errors import KioskError

if TYPE_CHECKING:
    from kiosk.demo import DemoResult, DemoRig


def prepare(screen: ScreenConfig) -> None:
    """The app process's settings: malloc's (before the device workers start), Kivy's environment
    and window settings (they only take effect before Kivy is imported)."""
    memory.tune_malloc()
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_NO_CONFIG", "1")
    os.environ.setdefault("KIVY_NO_FILELOG", "1")
    os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
    os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
    os.environ.setdefault(
        "KIVY_CLIPBOARD", "sdl2"
    )  # not xclip/xsel, which a kiosk does not have  # Kivy logs through `logging`, like the rest
    os.environ.setdefault("SDL_NO_SIGNAL_HANDLERS", "1")  # SIGTERM would become a close request, vetoed
    os.environ.setdefault("KIVY_METRICS_DENSITY", "1")
    os.environ.setdefault("KIVY_DPI", "96")
    from kivy.config import Config

    Config.set("graphics", "width", str(screen.width_px))
    Config.set("graphics", "height", str(screen.height_px))
    Config.set("graphics", "fullscreen", "auto" if screen.fullscreen else "0")
    Config.set("graphics", "show_cursor", "0" if screen.fullscreen else "1")
    Config.set("kivy", "exit_on_escape", "0")
    Config.set("kivy", "keyboard_mode", "system")  # never Kivy's VKeyboard: the app has its own keys
    Config.set("graphics", "allow_screensaver", "0")
    # No multisampling: the screens are text textures and axis-aligned boxes, which it does not
    # change, and under software GL (llvmpipe) a 4x MSAA 1080p colour and depth buffer cost 66 MB
    # of the app's memory and a resolve of every frame on the CPU.
    Config.set("graphics", "multisamples", "0")
    # One input path only: touch panels reach X as a pointer. Two providers would double every tap,
    # and without multi-touch no gesture of several fingers can do anything.
    for option in list(Config.options("input")):
        Config.remove_option("input", option)
    Config.set("input", "mouse", "mouse,disable_multitouch")


def run_with_ui(rig: DemoRig, service_code: str, out_dir: Path) -> DemoResult:
    """The demo in the Kivy app on a (virtual) display, driven by the autopilot; one screenshot per screen."""
    from kiosk.flow.terminal import Terminal
    from kiosk.xdisplay import VirtualDisplay

    config = rig.config
    config.screen.fullscreen = False
    with VirtualDisplay(config.screen.width_px, config.screen.height_px):
        prepare(config.screen)
        from kiosk.screens.app import run_app
        from kiosk.screens.autopilot import Autopilot

        terminal = Terminal(config).start()
        pilot = Autopilot(rig, terminal, service_code, out_dir)
        try:
            run_app(terminal, pilot)
        finally:
            terminal.stop()
    if pilot.error or not pilot.done:
        raise pilot.error or KioskError("DEMO_FAILED", reason="the app closed early")
    pilot.result.screenshots = pilot.screenshots
    return pilot.result

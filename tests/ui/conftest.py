"""The Kivy app in this test process, on a private Xvfb (the Window is a per-process singleton: it is
created once and each test mounts a fresh app with a fresh terminal on it)."""

from __future__ import annotations

import pytest

from kiosk.config import ScreenConfig, with_overrides
from kiosk.flow.diagnostics import hash_pin

TECH_PIN = "135790"


@pytest.fixture(scope="session")
def window():
    from kiosk.xdisplay import VirtualDisplay

    screen = ScreenConfig(fullscreen=False)
    with VirtualDisplay(screen.width_px, screen.height_px):
        from kiosk.screens import prepare

        prepare(screen)
        from kivy.base import EventLoop

        from kiosk.screens.app import register_fonts

        register_fonts()
        EventLoop.ensure_window()
        yield EventLoop.window


@pytest.fixture
def pilot(window, rig, agent_card, tmp_path):
    from kiosk.flow.speech import Speaker
    from kiosk.flow.terminal import Terminal
    from tests.ui.pilot import Pilot

    config = with_overrides(
        rig.config,
        {
            "terminal.idle_timeout_s": 60.0,
            "terminal.technician_pin_hash": hash_pin(TECH_PIN),
            "terminal.export_dir": str(tmp_path / "usb"),
        },
    )
    spoken: list[str] = []
    speaker = Speaker(play=False, sink=lambda text, wav: spoken.append(text))
    terminal = Terminal(config, speaker=speaker).start()
    assert terminal.bus.run_until(lambda: bool(terminal.agents.agents()), 30)  # the agent register
    pilot = Pilot(terminal, rig, spoken)
    yield pilot
    pilot.close()
    terminal.stop()

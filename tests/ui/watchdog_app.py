"""Helper process for test_watchdog.py: the real Kivy app under Xvfb whose UI loop is frozen once.

Timeline (seconds after the app started): run for RUN_S, block the UI thread for FREEZE_S inside a
clock callback (announced with STATUS= messages on the notify socket), run RUN_S more, then quit.
"""

import sys
import time
from pathlib import Path

from kiosk import config as config_module
from kiosk import keys, sdnotify
from kiosk.xdisplay import VirtualDisplay

RUN_S = 3.0
FREEZE_S = 3.0


def main(workdir: Path) -> None:
    keys.create_device_key(workdir / "keys")
    keys.create_township_key(workdir / "keys")
    config = config_module.with_overrides(
        config_module.Config(),
        {
            "terminal.data_dir": str(workdir / "data"),
            "keys.dir": str(workdir / "keys"),
            "backoffice.township_key": str(workdir / "keys" / "township.pub"),
            "backoffice.url": "http://127.0.0.1:9",  # nothing listens: heartbeats fail quietly
            "screen.fullscreen": False,
            "screen.width_px": 1280,
            "screen.height_px": 800,
        },
    )
    with VirtualDisplay(config.screen.width_px, config.screen.height_px):
        from kiosk.flow.terminal import Terminal
        from kiosk.screens import prepare

        prepare(config.screen)
        from kivy.clock import Clock

        from kiosk.screens.app import run_app

        def freeze(_dt: float) -> None:
            sdnotify.notify("STATUS=freezing")
            time.sleep(FREEZE_S)  # the UI thread is stuck, as in a deadlock
            sdnotify.notify("STATUS=thawed")

        def on_start(app) -> None:
            Clock.schedule_once(freeze, RUN_S)
            Clock.schedule_once(lambda _dt: app.stop(), 2 * RUN_S + FREEZE_S)

        terminal = Terminal(config).start()
        try:
            run_app(terminal, on_start)
        finally:
            terminal.stop()


if __name__ == "__main__":
    main(Path(sys.argv[1]))

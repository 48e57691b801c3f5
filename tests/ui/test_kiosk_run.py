"""`kiosk run` as the service starts it: fullscreen, and Ctrl+C (SIGINT) does not stop it."""

import signal
import subprocess
import sys
import time


def test_kiosk_run_fullscreen_ignores_ctrl_c_and_stops_on_sigterm(window, rig, tmp_path):
    config = tmp_path / "kiosk.toml"
    config.write_text(rig.config.to_toml(), encoding="utf-8")
    app = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "--config", str(config), "run"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        time.sleep(8)  # start-up under load
        assert app.poll() is None, app.stderr.read().decode()[-2000:]
        app.send_signal(signal.SIGINT)
        time.sleep(1.5)
        assert app.poll() is None  # still running
        app.terminate()  # what the service manager sends: a clean stop that wipes the session
        assert app.wait(timeout=30) == 0
    finally:
        if app.poll() is None:
            app.kill()

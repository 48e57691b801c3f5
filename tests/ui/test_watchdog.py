"""The systemd watchdog without systemd: a datagram socket stands in for NOTIFY_SOCKET."""

import itertools
import socket
import subprocess
import sys
import time
from pathlib import Path

HELPER = Path(__file__).with_name("watchdog_app.py")
PING_INTERVAL_S = 0.2  # WATCHDOG_USEC = 0.4 s; the app pings at half of it


def listen(sock: socket.socket, process: subprocess.Popen, timeout: float) -> list[tuple[float, str]]:
    messages = []
    deadline = time.monotonic() + timeout
    while process.poll() is None and time.monotonic() < deadline:
        try:
            data = sock.recv(4096)
        except TimeoutError:
            continue
        messages.append((time.monotonic(), data.decode()))
    return messages


def test_app_pings_from_its_ui_loop_and_stops_when_the_loop_freezes(tmp_path):
    path = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(path))
        sock.settimeout(0.2)
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
            "NOTIFY_SOCKET": str(path),
            "WATCHDOG_USEC": str(int(PING_INTERVAL_S * 2e6)),
        }
        process = subprocess.Popen(
            [sys.executable, str(HELPER), str(tmp_path)], env=env, stderr=subprocess.PIPE, text=True
        )
        try:
            messages = listen(sock, process, timeout=240)
        finally:
            process.kill() if process.poll() is None else None
            stderr = process.communicate()[1]
    assert process.returncode == 0, stderr[-2000:]
    texts = [text for _, text in messages]
    assert "READY=1" in texts, texts
    freeze = texts.index("STATUS=freezing")
    thaw = texts.index("STATUS=thawed")
    before = [t for t, text in messages[texts.index("READY=1") : freeze] if text == "WATCHDOG=1"]
    after = [t for t, text in messages[thaw:] if text == "WATCHDOG=1"]
    assert len(before) >= 5, texts  # regular pings while the loop runs …
    gaps = [b - a for a, b in itertools.pairwise(before)]
    assert sorted(gaps)[len(gaps) // 2] < 4 * PING_INTERVAL_S, gaps
    assert "WATCHDOG=1" not in texts[freeze:thaw]  # … none while it is frozen …
    assert messages[thaw][0] - messages[freeze][0] >= 2.5
    assert len(after) >= 3  # … and they come back with the loop

"""systemd's notify protocol: READY=1 once the UI is up, then WATCHDOG=1 from the UI loop itself.

The pings are scheduled on the app's own clock, never on a helper thread, so a hung UI loop stops
them and systemd restarts the app. Does nothing unless systemd (or a test) set $NOTIFY_SOCKET.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable

log = logging.getLogger(__name__)
Schedule = Callable[[Callable[[float], None], float], object]


def notify(message: str) -> bool:
    """Send one notification ("READY=1", "WATCHDOG=1", "STATUS=…"); False when there is no socket."""
    address = os.environ.get("NOTIFY_SOCKET", "")
    if not address:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]  # abstract namespace
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
        try:
            sock.sendto(message.encode(), address)
        except OSError:
            return False
    return True


def watchdog_interval() -> float | None:
    """Half the watchdog timeout systemd set, in seconds (the ping interval sd_watchdog_enabled advises).

    WATCHDOG_PID is not checked: under kiosk.service the app is a child of xinit, and the unit's
    NotifyAccess=all makes systemd accept its pings."""
    try:
        microseconds = int(os.environ.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    return microseconds / 2e6 if microseconds > 0 else None


def attach(schedule_once: Schedule, schedule_interval: Schedule) -> None:
    """Hook into a UI loop: READY=1 on its first tick, then WATCHDOG=1 on every interval tick."""
    if not os.environ.get("NOTIFY_SOCKET"):
        return

    def ready(_dt: float) -> None:
        notify("READY=1")
        log.info("app.ready", extra={"event": "app.ready"})

    schedule_once(ready, 0)
    interval = watchdog_interval()
    if interval:
        schedule_interval(lambda _dt: notify("WATCHDOG=1"), interval)

"""Text messages to residents about their case: a log-file notifier (default) and an SMS gateway over HTTP.

A message carries the case number and the decision, never a name or an ID number; the only personal
datum a notifier handles is the phone number it sends to.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path
from typing import Protocol

import requests

from kiosk.backoffice.settings import NotifierSettings
from kiosk.backoffice.store import now
from kiosk.errors import KioskError

log = logging.getLogger(__name__)


class NotifyError(KioskError):
    code = "NOTIFY_FAILED"


class Notifier(Protocol):
    name: str

    def send(self, phone: str, text: str) -> None:
        """Deliver or raise NotifyError."""
        ...


class LogNotifier:
    """Appends one JSON line per message to a file readable only by the service (mode 0600)."""

    name = "log"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = threading.Lock()

    def send(self, phone: str, text: str) -> None:
        line = json.dumps({"at": now(), "to": phone, "text": text}, ensure_ascii=False) + "\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            with os.fdopen(fd, "a", encoding="utf-8") as f:
                f.write(line)


class HttpSmsNotifier:
    """POSTs {"to", "text"} as JSON to a gateway; any 2xx answer is delivery."""

    name = "http"

    def __init__(self, url: str, token: str = "", timeout_s: float = 10.0) -> None:
        self.url = url
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.timeout = timeout_s

    def send(self, phone: str, text: str) -> None:
        try:
            response = requests.post(
                self.url, json={"to": phone, "text": text}, headers=self.headers, timeout=self.timeout
            )
        except requests.RequestException as e:
            raise NotifyError(detail=type(e).__name__) from None
        if not 200 <= response.status_code < 300:
            raise NotifyError(detail=f"HTTP {response.status_code}")


def make_notifier(settings: NotifierSettings, data_dir: Path) -> Notifier:
    if settings.kind == "http":
        if not settings.url:
            raise KioskError("NOTIFY_NO_URL")
        return HttpSmsNotifier(settings.url, settings.token, settings.timeout_s)
    return LogNotifier(Path(settings.log_file) if settings.log_file else data_dir / "sms.log")

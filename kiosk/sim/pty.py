"""The device end of a pseudo-terminal, with output paced at the configured baud rate.

A pty transfers instantly; without pacing every timing measured against a simulator would be meaningless.
"""

from __future__ import annotations

import contextlib
import os
import select
import threading
import time
import tty
from abc import ABC, abstractmethod

BITS_PER_BYTE = 10  # 8N1: start + 8 data + stop


class PtyDevice(ABC):
    """Subclasses implement `on_bytes`; `send` writes back at wire speed."""

    def __init__(self, baud: int) -> None:
        self.baud = baud
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self.port = os.ttyname(self.slave)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._write_lock = threading.Lock()
        self.bytes_received = 0
        self.bytes_sent = 0

    def start(self) -> PtyDevice:
        self._thread = threading.Thread(target=self._serve, name=type(self).__name__, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=2)
        for fd in (self.master, self.slave):
            with contextlib.suppress(OSError):
                os.close(fd)

    def __enter__(self) -> PtyDevice:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @abstractmethod
    def on_bytes(self, data: bytes) -> None:
        """Handle bytes the driver wrote; runs on the serving thread."""

    def send(self, data: bytes, chunk: int = 32) -> None:
        """Write `data` no faster than the baud rate allows."""
        bytes_per_second = self.baud / BITS_PER_BYTE
        with self._write_lock:
            start = time.monotonic()
            for offset in range(0, len(data), chunk):
                piece = data[offset : offset + chunk]
                os.write(self.master, piece)
                self.bytes_sent += len(piece)
                due = start + (offset + len(piece)) / bytes_per_second
                delay = due - time.monotonic()
                if delay > 0:
                    time.sleep(delay)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([self.master], [], [], 0.05)
                if not ready:
                    continue
                data = os.read(self.master, 4096)
            except OSError:
                return
            if data:
                self.bytes_received += len(data)
                self.on_bytes(data)

"""A thread-safe event bus: workers publish from any thread, handlers run where `drain` is called.

The Kivy app drains it from its clock (so handlers run on the UI thread); headless runs and tests
call `run_until`.
"""

from __future__ import annotations

import queue
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Handler = Callable[["Event"], None]


@dataclass(frozen=True)
class Event:
    name: str
    data: dict[str, Any] = field(default_factory=dict)


class EventBus:
    def __init__(self) -> None:
        self._queue: queue.Queue[Event] = queue.Queue()
        self._handlers: dict[str, list[Handler]] = defaultdict(list)

    def subscribe(self, name: str, handler: Handler) -> None:
        self._handlers[name].append(handler)

    def unsubscribe(self, name: str, handler: Handler) -> None:
        if handler in self._handlers[name]:
            self._handlers[name].remove(handler)

    def publish(self, name: str, **data: Any) -> None:
        self._queue.put(Event(name, data))

    def drain(self, wait: float = 0.0) -> int:
        """Deliver every queued event; wait up to `wait` seconds for the first one."""
        delivered = 0
        try:
            event = self._queue.get(timeout=wait) if wait > 0 else self._queue.get_nowait()
        except queue.Empty:
            return 0
        while True:
            for handler in list(self._handlers[event.name]) + list(self._handlers["*"]):
                handler(event)
            delivered += 1
            try:
                event = self._queue.get_nowait()
            except queue.Empty:
                return delivered

    def run_until(self, done: Callable[[], bool], timeout: float) -> bool:
        """Drain events until `done()` holds or `timeout` seconds pass."""
        deadline = time.monotonic() + timeout
        while not done():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            self.drain(wait=min(0.05, remaining))
        return True

"""A thread-safe event bus: workers publish from any thread, handlers run where `drain` is called.

The Kivy app drains it from its clock (so handlers run on the UI thread); headless runs and tests
call `run_until`. Events named `latest_only` (the camera preview's frames) do not pile up while
nobody drains: a newer one replaces the one still waiting, in its place in the queue.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

Handler = Callable[["Event"], None]


@dataclass(frozen=True)
class Event:
    name: str
    data: dict[str, Any] = field(default_factory=dict)


class EventBus:
    def __init__(self, latest_only: Iterable[str] = ()) -> None:
        self._queue: queue.Queue[Event] = queue.Queue()
        self._handlers: dict[str, list[Handler]] = defaultdict(list)
        self._latest_only = frozenset(latest_only)
        self._waiting: dict[str, Event] = {}  # of those, the newest not yet delivered
        self._lock = threading.Lock()

    def subscribe(self, name: str, handler: Handler) -> None:
        self._handlers[name].append(handler)

    def unsubscribe(self, name: str, handler: Handler) -> None:
        if handler in self._handlers[name]:
            self._handlers[name].remove(handler)

    def publish(self, name: str, **data: Any) -> None:
        event = Event(name, data)
        if name not in self._latest_only:
            self._queue.put(event)
            return
        with self._lock:  # one entry in the queue per waiting event
            if name not in self._waiting:
                self._queue.put(event)
            self._waiting[name] = event

    def _get(self, wait: float) -> Event:
        event = self._queue.get(timeout=wait) if wait > 0 else self._queue.get_nowait()
        if event.name in self._latest_only:
            with self._lock:
                event = self._waiting.pop(event.name)
        return event

    def drain(self, wait: float = 0.0) -> int:
        """Deliver every queued event; wait up to `wait` seconds for the first one."""
        delivered = 0
        try:
            event = self._get(wait)
        except queue.Empty:
            return 0
        while True:
            for handler in list(self._handlers[event.name]) + list(self._handlers["*"]):
                handler(event)
            delivered += 1
            try:
                event = self._get(0)
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

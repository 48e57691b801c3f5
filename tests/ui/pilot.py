"""Drives the real Kivy app in-process by simulated touches, pumping Kivy's event loop by hand."""

from __future__ import annotations

import time
from collections.abc import Callable

from kivy.app import App
from kivy.base import EventLoop
from kivy.uix.label import Label

from kiosk.flow.controller import Step
from kiosk.flow.terminal import Terminal
from kiosk.screens.app import KioskApp
from kiosk.screens.autopilot import Finger, scroll_into_view

TIMEOUT_S = 60.0


class Pilot:
    def __init__(self, terminal: Terminal, rig, spoken: list[str]) -> None:
        self.terminal = terminal
        self.flow = terminal.flow
        self.rig = rig
        self.spoken = spoken
        self.app = KioskApp(terminal)
        self.app._run_prepare()
        self.pump(0.3)

    def close(self) -> None:
        self.app.dispatch("on_stop")
        window = EventLoop.window
        for child in list(window.children):
            window.remove_widget(child)
        App._running_app = None

    # --- time ---

    def pump(self, seconds: float = 0.05) -> None:
        end = time.monotonic() + seconds
        while True:
            EventLoop.idle()
            if time.monotonic() >= end:
                return

    def until(self, condition: Callable[[], bool], what: str, timeout: float = TIMEOUT_S) -> None:
        end = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > end:
                notice = self.flow.notice.code if self.flow.notice else ""
                raise AssertionError(f"waited {timeout:.0f} s for {what} at {self.flow.step} {notice}")
            EventLoop.idle()
        self.pump(0.1)

    def at(self, step: Step) -> None:
        self.until(lambda: self.flow.step == step, f"step {step}")

    # --- looking ---

    @property
    def screen(self):
        return self.app.screen(self.flow.step)

    def has(self, name: str) -> bool:
        return name in self.screen.actions

    def texts(self, screen=None) -> str:
        """Every text on the current screen (or `screen`), overlays included, joined."""
        return "\n".join(
            getattr(w, "source_text", w.text) for w in (screen or self.screen).walk() if isinstance(w, Label)
        )

    # --- touching ---

    def tap(self, name: str) -> None:
        """Touch a named control like a finger would: scroll it into view, press, lift."""
        self.until(lambda: self.has(name), f"control {name}", timeout=10)
        widget = self.screen.actions[name]
        if scroll_into_view(widget):
            self.pump(0.1)
        self.tap_at(*widget.to_window(*widget.center))

    def tap_at(self, x: float, y: float) -> None:
        finger = Finger(x, y)
        EventLoop._dispatch_input("begin", finger)
        self.pump(0.12)
        EventLoop._dispatch_input("end", finger)
        self.pump(0.15)

    def type_keys(self, *names: str) -> None:
        for name in names:
            self.tap(name)

    def choose_candidate(self, word: str) -> None:
        """Touch the pinyin keyboard's candidate `word`."""
        name = next(
            (
                n
                for n, w in self.screen.actions.items()
                if n.startswith("candidate:") and w.source_text == word
            ),
            None,
        )
        assert name is not None, f"{word} not among the candidates"
        self.tap(name)

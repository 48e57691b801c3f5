"""The Kivy app: a screen per flow step, switched by the flow controller's state; the event bus is
drained on the UI clock so every handler runs on the UI thread. Keys and window-close requests that
would leave the app are swallowed (kiosk hardening)."""

from __future__ import annotations

import gc
import math
import signal
import time
from collections.abc import Callable

from kivy.app import App
from kivy.clock import Clock
from kivy.core.text import LabelBase
from kivy.core.window import Window
from kivy.uix.screenmanager import NoTransition, ScreenManager

from kiosk import fonts, memory, sdnotify
from kiosk.flow.controller import FlowView, Step
from kiosk.flow.terminal import Terminal
from kiosk.screens import theme
from kiosk.screens.agent import AgentCasesScreen, AgentSignInScreen, ConsentScreen
from kiosk.screens.attract import AttractScreen
from kiosk.screens.base import FlowScreen, Ui
from kiosk.screens.catalog import CatalogScreen
from kiosk.screens.diagnostics import DiagnosticsScreen, TechPinScreen
from kiosk.screens.ending import FarewellScreen, RatingScreen
from kiosk.screens.form import FormScreen
from kiosk.screens.guide import GuideScreen
from kiosk.screens.identify import IdentifyScreen
from kiosk.screens.materials import MaterialsScreen
from kiosk.screens.receipt import ReceiptScreen
from kiosk.screens.review import ReviewScreen
from kiosk.screens.sign import SignScreen
from kiosk.screens.status import StatusScreen
from kiosk.screens.submit import SubmitScreen

BUS_INTERVAL_S = 1 / 30
TICK_INTERVAL_S = 1.0
GC_CHECK_INTERVAL_S = 0.25
KEY_ESCAPE = 27
SCREENS: list[type[FlowScreen]] = [
    AttractScreen,
    CatalogScreen,
    GuideScreen,
    IdentifyScreen,
    ConsentScreen,
    MaterialsScreen,
    FormScreen,
    SignScreen,
    ReviewScreen,
    SubmitScreen,
    ReceiptScreen,
    RatingScreen,
    FarewellScreen,
    StatusScreen,
    AgentSignInScreen,
    AgentCasesScreen,
    TechPinScreen,
    DiagnosticsScreen,
]


def register_fonts() -> None:
    """Every label draws with the Simplified Chinese face (Kivy's default font name is Roboto)."""
    LabelBase.register("Roboto", fonts.ui_font(), fn_bold=fonts.ui_font_bold())


class KioskApp(App):
    title = "kiosk"

    def __init__(self, terminal: Terminal, on_start: Callable[[KioskApp], None] | None = None) -> None:
        super().__init__()
        self.terminal = terminal
        self.flow = terminal.flow
        self.ui = Ui(terminal.flow, terminal.devices, terminal.config)
        self.started_hook = on_start
        self.manager = ScreenManager(transition=NoTransition())
        self._clocks: list = []
        self._last_touch = 0.0  # time.monotonic() of the last finger on the screen

    def build(self) -> ScreenManager:
        Window.clearcolor = theme.PAPER
        Window.bind(
            on_touch_down=self._touched, on_request_close=self._refuse_close, on_keyboard=self._swallow_keys
        )
        self._build_screens()
        # Everything made so far lives as long as the app: a full garbage collection would walk
        # all of it again (about 200 ms once enough widgets have come and gone, stalling a touch)
        gc.collect()
        gc.freeze()
        self.flow.listeners.append(self._flow_changed)
        self._clocks = [
            Clock.schedule_interval(lambda _dt: self.terminal.bus.drain(), BUS_INTERVAL_S),
            Clock.schedule_interval(lambda _dt: self.flow.tick(), TICK_INTERVAL_S),
            Clock.schedule_interval(self._collect_when_quiet, GC_CHECK_INTERVAL_S),
        ]
        sdnotify.attach(
            Clock.schedule_once, Clock.schedule_interval
        )  # READY=1, then WATCHDOG=1 from this loop
        if self.started_hook:
            Clock.schedule_once(lambda _dt: self.started_hook(self), 0.5)
        return self.manager

    def on_stop(self) -> None:
        for event in self._clocks:
            event.cancel()
        memory.collect_when_quiet(math.inf)  # no more touches: Python collects as usual
        Window.unbind(
            on_touch_down=self._touched, on_request_close=self._refuse_close, on_keyboard=self._swallow_keys
        )
        if self._flow_changed in self.flow.listeners:
            self.flow.listeners.remove(self._flow_changed)

    def _build_screens(self) -> None:
        self.manager.clear_widgets()
        for screen_class in SCREENS:
            self.manager.add_widget(screen_class(self.ui))
        self.manager.current = self.flow.step.value
        self.screen(self.flow.step).enter()
        self.screen(self.flow.step).refresh()
        self._build_ahead_when_drawn()

    def screen(self, step: Step) -> FlowScreen:
        return self.manager.get_screen(step.value)

    def _flow_changed(self) -> None:
        if self.ui.elderly != self.flow.elderly:
            self.ui.set_elderly(self.flow.elderly)
            self._build_screens()
            return
        screen = self.screen(self.flow.step)
        if self.manager.current != screen.name:
            if screen.step == Step.ATTRACT:  # the next resident starts from freshly built screens
                for other in self.manager.screens:
                    if other is not screen:
                        other.forget()
            screen.enter()
            screen.show()
            self.manager.current = screen.name
        else:
            screen.update()
        self._build_ahead_when_drawn()

    def _build_ahead_when_drawn(self) -> None:
        """Once the screen now shown has been drawn, build the screens that usually come next
        (while the resident reads), so that the touch that leads there only has to draw them."""
        shown_at, shown_step = Clock.frames_displayed, self.flow.step

        def build(_dt: float) -> None:
            if self.flow.step != shown_step:  # the flow has moved on: that screen asks for its own
                return
            if Clock.frames_displayed == shown_at:
                Clock.schedule_once(build, 0)
                return
            shown = self.screen(shown_step)
            for step in shown.ahead:
                screen = self.screen(step)
                screen.enter()
                screen.show()
            self._prepare_one_a_frame(shown_step, shown.views_ahead())

        Clock.schedule_once(build, 0)

    def _prepare_one_a_frame(self, shown_step: Step, views: list[tuple[Step, FlowView]]) -> None:
        """Screens for states the flow is not in yet, one a frame: a touch meanwhile waits for one
        build at most."""

        def prepare(_dt: float) -> None:
            if self.flow.step != shown_step or not views:
                return
            step, view = views.pop(0)
            self.screen(step).prepare(view)
            Clock.schedule_once(prepare, 0)

        Clock.schedule_once(prepare, 0)

    def _collect_when_quiet(self, _dt: float) -> None:
        # the screen's touches only: the flow also counts hands on the mat, but no screen is built
        # on those while someone waits, and a page capture's garbage must not pile up meanwhile
        memory.collect_when_quiet(time.monotonic() - self._last_touch)

    def _touched(self, *_: object) -> None:
        self._last_touch = time.monotonic()
        memory.touched()
        self.flow.touched()

    def _refuse_close(self, *_: object, **__: object) -> bool:
        """Alt+F4 and the window manager's close button: a kiosk app does not close."""
        return True

    def _swallow_keys(self, _window: object, key: int, *_: object) -> bool:
        """Escape (and anything else a keyboard sends) never leaves the app."""
        return key == KEY_ESCAPE


def ignore_terminal_keys() -> None:
    """Ctrl+C, Ctrl+\\ and Ctrl+Z on a keyboard left at the terminal must not stop the app; the
    service manager stops it with SIGTERM."""
    for number in (signal.SIGINT, signal.SIGQUIT, signal.SIGTSTP):
        signal.signal(number, signal.SIG_IGN)


def run_app(terminal: Terminal, on_start: Callable[[KioskApp], None] | None = None) -> None:
    """Run until the app is stopped; SIGTERM (the service manager) stops it cleanly, so that the
    caller's `terminal.stop()` still wipes the session."""
    register_fonts()
    if terminal.config.screen.fullscreen:
        ignore_terminal_keys()
    app = KioskApp(terminal, on_start)
    signal.signal(signal.SIGTERM, lambda *_: app.stop())
    app.run()

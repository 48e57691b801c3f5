"""The Kivy app: a screen per flow step, switched by the flow controller's state; the event bus is
drained on the UI clock so every handler runs on the UI thread."""

from __future__ import annotations

import time
from collections.abc import Callable

from kivy.app import App
from kivy.clock import Clock
from kivy.core.text import LabelBase
from kivy.core.window import Window
from kivy.uix.screenmanager import NoTransition, ScreenManager

from kiosk import fonts, sdnotify
from kiosk.flow.controller import Step
from kiosk.flow.terminal import Terminal
from kiosk.screens import theme
from kiosk.screens.attract import AttractScreen
from kiosk.screens.base import FlowScreen, Ui
from kiosk.screens.catalog import CatalogScreen
from kiosk.screens.form import FormScreen
from kiosk.screens.guide import GuideScreen
from kiosk.screens.identify import IdentifyScreen
from kiosk.screens.materials import MaterialsScreen
from kiosk.screens.receipt import ReceiptScreen
from kiosk.screens.review import ReviewScreen
from kiosk.screens.sign import SignScreen
from kiosk.screens.submit import SubmitScreen

BUS_INTERVAL_S = 1 / 30
STEP_SCREENS = [
    CatalogScreen,
    GuideScreen,
    IdentifyScreen,
    MaterialsScreen,
    FormScreen,
    SignScreen,
    ReviewScreen,
    SubmitScreen,
    ReceiptScreen,
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
        self.last_touch = time.monotonic()
        self.manager = ScreenManager(transition=NoTransition())

    def build(self) -> ScreenManager:
        Window.clearcolor = theme.PAPER
        Window.bind(on_touch_down=self._touched, on_request_close=lambda *_: True)
        self._build_screens()
        self.flow.listeners.append(self._flow_changed)
        Clock.schedule_interval(lambda _dt: self.terminal.bus.drain(), BUS_INTERVAL_S)
        Clock.schedule_interval(self._check_idle, 1.0)
        sdnotify.attach(
            Clock.schedule_once, Clock.schedule_interval
        )  # READY=1, then WATCHDOG=1 from this loop
        if self.started_hook:
            Clock.schedule_once(lambda _dt: self.started_hook(self), 0.5)
        return self.manager

    def _build_screens(self) -> None:
        self.manager.clear_widgets()
        self.manager.add_widget(AttractScreen(self.ui, self.set_elderly))
        for screen_class in STEP_SCREENS:
            self.manager.add_widget(screen_class(self.ui))
        self._flow_changed()

    def screen(self, step: Step) -> FlowScreen:
        return self.manager.get_screen(step.value)

    def set_elderly(self, on: bool) -> None:
        self.ui.set_elderly(on)
        self._build_screens()

    def _flow_changed(self) -> None:
        screen = self.screen(self.flow.step)
        if self.manager.current != screen.name:
            screen.refresh()
            self.manager.current = screen.name
        else:
            screen.update()

    def _touched(self, *_: object) -> None:
        self.last_touch = time.monotonic()

    def _check_idle(self, _dt: float) -> None:
        """An unattended session ends by itself: everything personal is wiped."""
        idle = time.monotonic() - self.last_touch
        if (
            self.flow.step not in (Step.ATTRACT, Step.SUBMIT)
            and idle > self.terminal.config.terminal.idle_timeout_s
        ):
            self.flow.start_over()


def run_app(terminal: Terminal, on_start: Callable[[KioskApp], None] | None = None) -> None:
    register_fonts()
    KioskApp(terminal, on_start).run()

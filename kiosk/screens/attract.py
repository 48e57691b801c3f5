"""Attract screen: what can be done here, a clock, one big start button, the elderly-mode switch."""

from __future__ import annotations

from datetime import datetime

from kivy.clock import Clock
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget

from kiosk.flow.controller import Step
from kiosk.screens import theme
from kiosk.screens.base import FlowScreen
from kiosk.screens.widgets import BigButton, Text, spacer


class AttractScreen(FlowScreen):
    step = Step.ATTRACT
    title_key = "ui.app_title"
    show_steps = False
    show_footer = False

    def __init__(self, ui, on_elderly) -> None:
        super().__init__(ui)
        self.on_elderly = on_elderly
        self.clock: Text | None = None
        Clock.schedule_interval(self._tick, 1)

    def _tick(self, _dt: float) -> None:
        if self.clock is not None:
            self.clock.text = datetime.now().strftime("%H:%M")

    def body(self) -> Widget:
        t = self.t
        box = BoxLayout(orientation="vertical", spacing=t.gap)
        self.clock = Text(datetime.now().strftime("%H:%M"), t.hero, color=theme.MUTED, halign="right")
        box.add_widget(self.clock)
        box.add_widget(Text(self.ui.tr("ui.attract.title"), t.hero, bold=True, halign="center"))
        box.add_widget(
            Text(self.ui.tr("ui.attract.subtitle"), t.heading * 0.8, color=theme.MUTED, halign="center")
        )
        names = "、".join(s.name for s in self.flow.catalog)
        box.add_widget(Text(self.ui.tr("ui.attract.services", names=names), t.body, halign="center"))
        box.add_widget(spacer())
        row = BoxLayout(size_hint_y=None, height=t.touch * 1.6, spacing=t.gap * 2, padding=(t.mm(60), 0))
        row.add_widget(
            self.action(
                "start",
                BigButton(
                    self.ui.tr("ui.attract.start"),
                    t,
                    self.flow.start,
                    font_size=t.heading,
                    height=t.touch * 1.6,
                ),
            )
        )
        box.add_widget(row)
        elderly_key = "ui.elderly_on" if self.ui.elderly else "ui.elderly_off"
        toggle = BigButton(
            self.ui.tr(elderly_key),
            t,
            lambda: self.on_elderly(not self.ui.elderly),
            primary=False,
            size_hint_x=None,
            width=t.mm(80),
        )
        bottom = BoxLayout(size_hint_y=None, height=t.touch)
        bottom.add_widget(self.action("elderly", toggle))
        terminal = self.ui.config.terminal
        bottom.add_widget(
            Text(
                f"{terminal.name}　{self.ui.tr('ui.attract.hotline', hotline=terminal.hotline)}",
                t.small,
                color=theme.MUTED,
                halign="right",
            )
        )
        box.add_widget(bottom)
        return box

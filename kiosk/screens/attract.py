"""Attract screen: what can be done here, a 24-hour clock, one big start button, the status query,
the agent's sign-in, the elderly-mode and language switches; a hidden corner for technicians."""

from __future__ import annotations

from datetime import datetime

from kivy.clock import Clock
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.scrollview import ScrollView
from kivy.uix.widget import Widget

from kiosk.flow.controller import Step
from kiosk.i18n import LANGUAGES, tr
from kiosk.screens import theme
from kiosk.screens.base import FlowScreen
from kiosk.screens.widgets import BigButton, Text, column


class SecretCorner(Widget):
    """An invisible patch in the top-left corner: five quick taps ask for the technician PIN."""

    def __init__(self, on_tap, **kwargs) -> None:
        super().__init__(**kwargs)
        self.on_tap = on_tap

    def on_touch_down(self, touch) -> bool:
        if self.collide_point(*touch.pos):
            self.on_tap()
            return True
        return False


class AttractScreen(FlowScreen):
    step = Step.ATTRACT
    title_key = "ui.app_title"
    show_steps = False
    show_footer = False
    ahead = (Step.CATALOG,)

    def __init__(self, ui) -> None:
        super().__init__(ui)
        self.clock: Text | None = None
        Clock.schedule_interval(self._tick, 1)

    def _tick(self, _dt: float) -> None:
        if self.clock is not None:
            self.clock.text = datetime.now().strftime("%H:%M")

    def refresh(self) -> None:
        super().refresh()
        t = self.t
        self.add_widget(
            self.action(
                "secret",
                SecretCorner(
                    self.flow.secret_tap,
                    size_hint=(None, None),
                    size=(t.mm(25), t.mm(25)),
                    pos=(0, self.height - t.mm(25)),
                ),
            )
        )

    def shown_state(self) -> tuple:
        return (self.flow.elderly,)  # the clock's text is set by its own timer

    def on_size(self, *_: object) -> None:
        corner = self.actions.get("secret")
        if corner is not None:
            corner.top = self.height

    def title_widgets(self) -> list[Widget]:
        t = self.t
        self.clock = Text(
            datetime.now().strftime("%H:%M"), t.heading, color=theme.PRIMARY_TEXT, bold=True, halign="right"
        )
        return [self.clock]

    def body(self) -> Widget:
        t = self.t
        box = BoxLayout(orientation="vertical", spacing=t.gap)
        names = "、".join(s.name for s in self.flow.catalog)
        welcome = column(
            Text(self.ui.tr("ui.attract.title"), t.hero, bold=True, halign="center"),
            Text(self.ui.tr("ui.attract.subtitle"), t.subheading, color=theme.MUTED, halign="center"),
            Text(self.ui.tr("ui.attract.services", names=names), t.body, halign="center"),
            spacing=t.gap,
        )
        scroll = ScrollView(do_scroll_x=False)
        scroll.add_widget(welcome)
        box.add_widget(scroll)
        start = BigButton(
            self.ui.tr("ui.attract.start"), t, self.flow.start, font_size=t.heading, height=t.touch * 1.5
        )
        row = BoxLayout(size_hint_y=None, height=start.height, padding=(t.mm(50), 0))
        row.add_widget(self.action("start", start))
        box.add_widget(row)
        box.add_widget(self._secondary_row())
        terminal = self.ui.config.terminal
        hotline = self.ui.tr("ui.attract.hotline", hotline=terminal.hotline)
        box.add_widget(Text(f"{terminal.name}　{hotline}", t.small, color=theme.MUTED, halign="right"))
        return box

    def _secondary_row(self) -> Widget:
        t = self.t
        row = BoxLayout(size_hint_y=None, height=t.touch, spacing=t.gap)
        elderly_key = "ui.elderly_on" if self.flow.elderly else "ui.elderly_off"
        languages = list(LANGUAGES)
        following = languages[(languages.index(self.flow.language) + 1) % len(languages)]
        for name, label, handler, width in (
            ("elderly", self.ui.tr(elderly_key), lambda: self.flow.set_elderly(not self.flow.elderly), 70),
            ("language", tr("ui.language_name", following), lambda: self.flow.set_language(following), 45),
            ("status", self.ui.tr("ui.attract.status"), self.flow.open_status, 70),
            ("agent", self.ui.tr("ui.attract.agent"), self.flow.open_agent_signin, 60),
        ):
            button = BigButton(label, t, handler, primary=False, size_hint_x=None, width=t.mm(width))
            row.add_widget(self.action(name, button))
        return row

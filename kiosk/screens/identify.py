"""Identify: place the ID card on the reader. A card glides onto the reader over and over (an
animation that never blocks a touch); errors in plain words come from the flow's notice."""

from __future__ import annotations

from kivy.animation import Animation
from kivy.graphics import Color, Ellipse, Line, Rectangle, RoundedRectangle
from kivy.properties import NumericProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget

from kiosk.flow.controller import Step
from kiosk.screens import theme
from kiosk.screens.base import FlowScreen
from kiosk.screens.widgets import Text

GLIDE_S = 1.6


class CardOnReader(Widget):
    """A drawing of a card gliding down onto the reader's marked area (`progress` 0 → 1)."""

    progress = NumericProperty(1.0)

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.bind(pos=self._draw, size=self._draw, progress=self._draw)
        self.animation = (
            Animation(progress=0, duration=0)
            + Animation(progress=1, duration=GLIDE_S, t="out_cubic")
            + Animation(duration=0.8)
        )
        self.animation.repeat = True

    def start(self) -> None:
        self.animation.start(self)

    def stop(self) -> None:
        self.animation.cancel(self)
        self.progress = 1.0

    def _draw(self, *_: object) -> None:
        self.canvas.clear()
        w = min(self.width * 0.45, self.height * 1.1)
        h = w * 0.63
        x, rest_y = self.center_x - w / 2, self.center_y - h / 2
        y = rest_y + (1 - self.progress) * h * 0.6
        with self.canvas:
            Color(*theme.LINE)
            Rectangle(pos=(x - 40, rest_y - 30), size=(w + 80, h + 60))
            Color(*theme.PRIMARY)
            Line(rectangle=(x - 40, rest_y - 30, w + 80, h + 60), width=3, dash_length=12, dash_offset=8)
            Color(0.93, 0.95, 0.99, 1)
            RoundedRectangle(pos=(x, y), size=(w, h), radius=[18])
            Color(*theme.PRIMARY)
            Line(rounded_rectangle=(x, y, w, h, 18), width=3)
            Color(0.8, 0.68, 0.3, 1)
            RoundedRectangle(pos=(x + w * 0.08, y + h * 0.45), size=(w * 0.14, h * 0.22), radius=[6])
            Color(*theme.MUTED)
            for i in range(4):
                Rectangle(pos=(x + w * 0.3, y + h * (0.7 - i * 0.14)), size=(w * 0.45, h * 0.05))
            Ellipse(pos=(x + w * 0.78, y + h * 0.55), size=(w * 0.14, w * 0.14))


class CardScreen(FlowScreen):
    """A screen that may show the card gliding onto the reader; it glides only while it is shown
    (a screen built ahead, or kept, starts it when it comes into view)."""

    def __init__(self, ui) -> None:
        super().__init__(ui)
        self.card: CardOnReader | None = None

    def card_on_reader(self) -> CardOnReader:
        self.card = CardOnReader()
        return self.card

    def refresh(self) -> None:
        self._stop_card()
        self.card = None
        super().refresh()
        if self.manager is not None and self.manager.current == self.name:
            self.on_enter()

    def on_enter(self, *_: object) -> None:
        if self.card is not None:
            self.card.start()

    def on_leave(self, *_: object) -> None:
        self._stop_card()

    def _stop_card(self) -> None:
        if self.card is not None:
            self.card.stop()


class IdentifyScreen(CardScreen):
    step = Step.IDENTIFY
    title_key = "ui.identify.title"

    def prompt(self) -> str:
        flow = self.flow
        if flow.correcting is not None:
            row = flow.correcting
            return self.ui.tr("ui.identify.prompt_correction", name=row.masked_name, last4=row.id_last4)
        if flow.agent is not None:
            return self.ui.tr("ui.identify.prompt_agent")
        return self.ui.tr("ui.identify.prompt")

    def shown_state(self) -> tuple:
        return (self.prompt(),)

    def body(self) -> Widget:
        box = BoxLayout(orientation="vertical", spacing=self.t.gap)
        box.add_widget(Text(self.prompt(), self.t.heading, bold=True, halign="center"))
        box.add_widget(self.card_on_reader())
        return box

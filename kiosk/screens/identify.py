"""Identify: place the ID card on the reader; errors in plain words come from the flow's notice."""

from __future__ import annotations

from kivy.graphics import Color, Ellipse, Line, Rectangle, RoundedRectangle
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget

from kiosk.flow.controller import Step
from kiosk.screens import theme
from kiosk.screens.base import FlowScreen
from kiosk.screens.widgets import Text


class CardOnReader(Widget):
    """A drawing of a card lying on the reader's marked area."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.bind(pos=self._draw, size=self._draw)

    def _draw(self, *_: object) -> None:
        self.canvas.clear()
        w = min(self.width * 0.5, self.height * 1.2)
        h = w * 0.63
        x, y = self.center_x - w / 2, self.center_y - h / 2
        with self.canvas:
            Color(*theme.LINE)
            Rectangle(pos=(x - 40, y - 30), size=(w + 80, h + 60))
            Color(*theme.PRIMARY)
            Line(rectangle=(x - 40, y - 30, w + 80, h + 60), width=3, dash_length=12, dash_offset=8)
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


class IdentifyScreen(FlowScreen):
    step = Step.IDENTIFY
    title_key = "ui.identify.title"

    def body(self) -> Widget:
        box = BoxLayout(orientation="vertical", spacing=self.t.gap)
        box.add_widget(Text(self.ui.tr("ui.identify.prompt"), self.t.heading, bold=True, halign="center"))
        box.add_widget(CardOnReader())
        return box

"""Submit: sealing and queuing take a moment; a moving bar (which blocks nothing) and plain words say
what is happening."""

from __future__ import annotations

from kivy.animation import Animation
from kivy.graphics import Color, Rectangle
from kivy.properties import NumericProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget

from kiosk.flow.controller import Step
from kiosk.screens import theme
from kiosk.screens.base import FlowScreen
from kiosk.screens.widgets import Text, flat_texture, spacer

SWEEP_S = 1.4


class SweepBar(Widget):
    """A progress bar whose highlight sweeps left to right while work of unknown length runs."""

    phase = NumericProperty(0.0)

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.bind(pos=self._draw, size=self._draw, phase=self._draw)
        self.sweep = Animation(phase=1.0, duration=SWEEP_S) + Animation(phase=0.0, duration=0)
        self.sweep.repeat = True

    def _draw(self, *_: object) -> None:
        self.canvas.clear()
        block = self.width * 0.3
        with self.canvas:
            Color(*theme.LINE)
            Rectangle(pos=self.pos, size=self.size, texture=flat_texture())
            Color(*theme.PRIMARY)
            left = self.x + (self.width - block) * self.phase
            Rectangle(pos=(left, self.y), size=(block, self.height), texture=flat_texture())


class SubmitScreen(FlowScreen):
    step = Step.SUBMIT
    title_key = "ui.submit.title"
    show_footer = False

    def on_leave(self, *_: object) -> None:
        for child in self.walk():
            if isinstance(child, SweepBar):
                child.sweep.cancel(child)

    def body(self) -> Widget:
        t = self.t
        box = BoxLayout(orientation="vertical", spacing=t.gap * 2, padding=(t.mm(40), t.gap * 2))
        box.add_widget(spacer())
        box.add_widget(Text(self.ui.tr("ui.submit.progress"), t.heading, bold=True, halign="center"))
        bar = SweepBar(size_hint_y=None, height=t.mm(8))
        bar.sweep.start(bar)
        box.add_widget(bar)
        box.add_widget(Text(self.ui.tr("ui.submit.explain"), t.body, color=theme.MUTED, halign="center"))
        box.add_widget(spacer())
        return box

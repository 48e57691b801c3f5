"""Sign: strokes appear as they are written, on the pad or (without a pad) with a finger on the screen.

Touch points go to the device service, which publishes them exactly like the pad's."""

from __future__ import annotations

from kivy.graphics import Color, Line, Rectangle
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget

from kiosk.flow.controller import Step
from kiosk.screens import theme
from kiosk.screens.base import FlowScreen
from kiosk.screens.widgets import BigButton, Text

PAD_AREA_MM = (152.0, 95.0)  # drawn area when signing on the pad


class SignatureArea(Widget):
    """Shows the flow's strokes; in touch mode it is also where the finger writes."""

    def __init__(self, screen: SignScreen, **kwargs) -> None:
        super().__init__(**kwargs)
        self.screen = screen
        self.bind(pos=self.redraw, size=self.redraw)

    @property
    def touch_mode(self) -> bool:
        return self.screen.flow.signature_source == "touch"

    def area_mm(self) -> tuple[float, float]:
        t = self.screen.t
        return (self.width / t.px_per_mm, self.height / t.px_per_mm) if self.touch_mode else PAD_AREA_MM

    def to_px(self, x_mm: float, y_mm: float) -> tuple[float, float]:
        width_mm, height_mm = self.area_mm()
        scale = min(self.width / width_mm, self.height / height_mm)
        return self.x + x_mm * scale, self.top - y_mm * scale

    def redraw(self, *_: object) -> None:
        self.canvas.clear()
        with self.canvas:
            Color(*theme.PANEL)
            Rectangle(pos=self.pos, size=self.size)
            Color(*theme.LINE)
            Line(
                points=[
                    self.x + 40,
                    self.y + self.height * 0.25,
                    self.right - 40,
                    self.y + self.height * 0.25,
                ],
                width=2,
            )
            Color(*theme.INK)
            for stroke in self.screen.flow.strokes:
                points = [c for x, y, _p, _t in stroke for c in self.to_px(x, y)]
                if len(points) >= 4:
                    Line(points=points, width=3.5)

    def _mm(self, touch) -> tuple[float, float, float, float]:
        t = self.screen.t
        return (
            (touch.x - self.x) / t.px_per_mm,
            (self.top - touch.y) / t.px_per_mm,
            0.5,
            touch.time_update * 1000,
        )

    def on_touch_down(self, touch) -> bool:
        if not (self.touch_mode and self.collide_point(*touch.pos)):
            return super().on_touch_down(touch)
        touch.grab(self)
        devices = self.screen.ui.devices
        devices.touch("pen.down")
        devices.touch("pen.points", [self._mm(touch)])
        return True

    def on_touch_move(self, touch) -> bool:
        if touch.grab_current is self:
            self.screen.ui.devices.touch("pen.points", [self._mm(touch)])
            return True
        return super().on_touch_move(touch)

    def on_touch_up(self, touch) -> bool:
        if touch.grab_current is self:
            touch.ungrab(self)
            self.screen.ui.devices.touch("pen.up")
            return True
        return super().on_touch_up(touch)


class SignScreen(FlowScreen):
    step = Step.SIGN
    title_key = "ui.sign.title"

    def __init__(self, ui) -> None:
        super().__init__(ui)
        self.area: SignatureArea | None = None
        self.layout_key: tuple = ()

    def update(self) -> None:
        """New pen points only redraw the strokes; a rebuild only when the layout changes."""
        key = (self.flow.signature_source, self.flow.notice)
        if self.area is not None and key == self.layout_key:
            self.area.redraw()
            return
        self.layout_key = key
        self.refresh()

    def body(self) -> Widget:
        t = self.t
        box = BoxLayout(orientation="vertical", spacing=t.gap)
        prompt = "ui.sign.prompt_touch" if self.flow.signature_source == "touch" else "ui.sign.prompt_pad"
        box.add_widget(Text(self.ui.tr(prompt), t.heading * 0.8, bold=True, halign="center"))
        self.area = SignatureArea(self)
        box.add_widget(self.area)
        return box

    def footer_actions(self) -> list[tuple[str, Widget]]:
        t = self.t
        return [
            (
                "clear",
                BigButton(
                    self.ui.tr("ui.sign.clear"),
                    t,
                    self.flow.clear_signature,
                    primary=False,
                    size_hint_x=None,
                    width=t.mm(60),
                ),
            ),
            (
                "next",
                BigButton(
                    self.ui.tr("ui.sign.done"),
                    t,
                    self.flow.finish_signature,
                    size_hint_x=None,
                    width=t.mm(60),
                ),
            ),
        ]

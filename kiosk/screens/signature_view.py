"""The signature area: shows the flow's strokes as they are written; without a pad it is also the
touch-screen fallback, whose points go to the device service and come back exactly like the pad's."""

from __future__ import annotations

from kivy.graphics import Color, Line, Rectangle
from kivy.uix.widget import Widget

from kiosk.screens import theme
from kiosk.screens.widgets import flat_texture

PAD_AREA_MM = (152.0, 95.0)  # drawn area when signing on the pad


class SignatureArea(Widget):
    """Shows the flow's strokes; in touch mode it is also where the finger writes."""

    def __init__(self, screen, **kwargs) -> None:
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
            Rectangle(pos=self.pos, size=self.size, texture=flat_texture())
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
                    Line(points=points, width=3.5, cap="round", joint="round")

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

"""Sign: strokes appear as they are written, on the pad or (without a pad) with a finger on the screen."""

from __future__ import annotations

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget

from kiosk.flow.controller import Step
from kiosk.screens.base import FlowScreen
from kiosk.screens.signature_view import SignatureArea
from kiosk.screens.widgets import Text


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
        return [
            self.footer_button(
                "clear", "ui.sign.clear", self.flow.clear_signature, width_mm=60, primary=False
            ),
            self.footer_button("next", "ui.sign.done", self.flow.finish_signature, width_mm=60),
        ]

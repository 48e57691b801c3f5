"""Sign: strokes appear as they are written, on the pad or (without a pad) with a finger on the screen.
In agent mode the agent signs the application; the resident has signed the consent before."""

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
    done_key = "ui.sign.done"

    def __init__(self, ui) -> None:
        super().__init__(ui)
        self.area: SignatureArea | None = None
        self.layout_key: tuple = ()

    def update(self) -> None:
        """New pen points only redraw the strokes; a rebuild only when the layout changes."""
        key = (self.flow.signature_source, self.flow.notice, *self.overlay_state())
        if self.area is not None and key == self.layout_key:
            self.area.redraw()
            return
        self.refresh()

    def refresh(self) -> None:
        self.layout_key = (self.flow.signature_source, self.flow.notice, *self.overlay_state())
        super().refresh()

    def prompt(self) -> str:
        touch = self.flow.signature_source == "touch"
        if self.flow.agent is not None:
            return self.ui.tr("ui.sign.prompt_agent_touch" if touch else "ui.sign.prompt_agent_pad")
        return self.ui.tr("ui.sign.prompt_touch" if touch else "ui.sign.prompt_pad")

    def above_signature(self) -> list[Widget]:
        return [Text(self.prompt(), self.t.subheading, bold=True, halign="center")]

    def body(self) -> Widget:
        box = BoxLayout(orientation="vertical", spacing=self.t.gap)
        for widget in self.above_signature():
            box.add_widget(widget)
        self.area = SignatureArea(self)
        box.add_widget(self.area)
        return box

    def finish(self) -> object:
        return self.flow.finish_signature()

    def footer_actions(self) -> list[tuple[str, Widget]]:
        return [
            self.footer_button(
                "clear", "ui.sign.clear", self.flow.clear_signature, width_mm=55, primary=False
            ),
            self.footer_button("next", self.done_key, self.finish, width_mm=60),
        ]

"""Submit: sealing and queuing take a moment; say what is happening."""

from __future__ import annotations

from kivy.uix.widget import Widget

from kiosk.flow.controller import Step
from kiosk.screens.base import FlowScreen
from kiosk.screens.widgets import Text


class SubmitScreen(FlowScreen):
    step = Step.SUBMIT
    title_key = "ui.submit.title"
    show_footer = False

    def body(self) -> Widget:
        return Text(self.ui.tr("ui.submit.progress"), self.t.heading, bold=True, halign="center")

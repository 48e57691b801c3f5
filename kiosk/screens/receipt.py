"""Receipt: the case number, the printed receipt as it came out, and the reminder to take everything."""

from __future__ import annotations

import io

from kivy.core.image import Image as CoreImage
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.image import Image
from kivy.uix.widget import Widget

from kiosk.flow.controller import Step
from kiosk.screens import theme
from kiosk.screens.base import FlowScreen
from kiosk.screens.widgets import Text, spacer


class ReceiptScreen(FlowScreen):
    step = Step.RECEIPT
    title_key = "ui.receipt.title"
    show_steps = False
    show_back = False  # the application is submitted; only "finish" makes sense

    def body(self) -> Widget:
        flow, t = self.flow, self.t
        row = BoxLayout(spacing=t.gap * 2)
        left = BoxLayout(orientation="vertical", spacing=t.gap)
        left.add_widget(Text(self.ui.tr("ui.receipt.case_number"), t.body, color=theme.MUTED))
        left.add_widget(Text(flow.submitted.case_number, t.hero, bold=True))
        status = {
            "printing": (self.ui.tr("ui.receipt.printing"), theme.MUTED),
            "done": (self.ui.tr("ui.receipt.printed"), theme.OK),
            "failed": (
                self.ui.tr(
                    "ui.receipt.print_failed",
                    reason=flow.notice.message(self.ui.language) if flow.notice else "",
                ),
                theme.ALERT,
            ),
        }.get(flow.print_state, ("", theme.MUTED))
        left.add_widget(Text(status[0], t.body, color=status[1], bold=True))
        left.add_widget(
            Text(self.ui.tr("ui.receipt.reminder"), t.heading * 0.8, color=theme.ALERT, bold=True)
        )
        left.add_widget(spacer())
        row.add_widget(left)
        png = flow.receipt_preview_png()
        row.add_widget(
            Image(texture=CoreImage(io.BytesIO(png), ext="png").texture, fit_mode="contain", size_hint_x=0.45)
        )
        return row

    def footer_actions(self) -> list[tuple[str, Widget]]:
        return [self.footer_button("done", "ui.receipt.done", self.flow.finish, width_mm=90)]

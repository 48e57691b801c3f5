"""Receipt: the case number, the QR code for checking progress, and the printed receipt as it came
out; a failed print can be tried again. Then on to the rating and the reminders."""

from __future__ import annotations

import io

from kivy.core.image import Image as CoreImage
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.image import Image
from kivy.uix.scrollview import ScrollView
from kivy.uix.widget import Widget

from kiosk import receipts
from kiosk.flow.controller import Step
from kiosk.screens import theme
from kiosk.screens.base import FlowScreen
from kiosk.screens.widgets import BigButton, Text, column


def png_image(png: bytes, **kwargs) -> Image:
    return Image(texture=CoreImage(io.BytesIO(png), ext="png").texture, fit_mode="contain", **kwargs)


def qr_png(data: str) -> bytes:
    out = io.BytesIO()
    receipts.qr_image(data, module=8).save(out, format="PNG")
    return out.getvalue()


def print_status(screen: FlowScreen) -> Widget:
    """The printer's state in plain words, with "print again" after a failure."""
    flow, t = screen.flow, screen.t
    if flow.print_state == "failed":
        box = column(spacing=t.gap * 0.5)
        reason = flow.notice.message(screen.ui.language) if flow.notice else ""
        message = Text(
            screen.ui.tr("ui.receipt.print_failed", reason=reason), t.body, color=theme.ALERT, bold=True
        )
        again = BigButton(screen.ui.tr("ui.receipt.reprint"), t, flow.reprint, primary=False)
        box.add_widget(message)
        box.add_widget(screen.action("reprint", again))
        return box
    key, colour = {
        "printing": ("ui.receipt.printing", theme.MUTED),
        "done": ("ui.receipt.printed", theme.OK),
    }.get(flow.print_state, ("", theme.MUTED))
    return Text(screen.ui.tr(key) if key else "", t.body, color=colour, bold=True)


class ReceiptScreen(FlowScreen):
    step = Step.RECEIPT
    title_key = "ui.receipt.title"
    show_steps = False
    show_back = False  # the application is submitted; only "next" makes sense

    def __init__(self, ui) -> None:
        super().__init__(ui)
        self.status: BoxLayout | None = None  # holds the printer's line

    def frame_state(self) -> tuple:
        return (*super().frame_state(), self.flow.submitted)

    def change_in_place(self) -> bool:
        """The printer's progress changes only its line: the receipt's image and its QR code are not
        made again (three times a receipt, 5 MB each, before)."""
        if self.status is None:
            return False
        self.actions.pop("reprint", None)
        self.status.clear_widgets()
        self.status.add_widget(print_status(self))
        return True

    def forget(self) -> None:
        super().forget()
        self.status = None

    def body(self) -> Widget:
        flow, t = self.flow, self.t
        row = BoxLayout(spacing=t.gap * 2)
        left = column(spacing=t.gap)
        left.add_widget(Text(self.ui.tr("ui.receipt.case_number"), t.body, color=theme.MUTED))
        left.add_widget(Text(flow.submitted.case_number, t.hero, bold=True))
        self.status = column(print_status(self))
        left.add_widget(self.status)
        qr_row = BoxLayout(spacing=t.gap, size_hint_y=None, height=t.mm(55))
        qr_row.add_widget(
            png_image(qr_png(flow.submitted.receipt["status_url"]), size_hint_x=None, width=t.mm(55))
        )
        qr_row.add_widget(Text(self.ui.tr("ui.receipt.qr_explain"), t.body))
        left.add_widget(qr_row)
        scroll = ScrollView(do_scroll_x=False)
        scroll.add_widget(left)
        row.add_widget(scroll)
        row.add_widget(png_image(flow.receipt_preview_png(), size_hint_x=0.4))
        return row

    def footer_actions(self) -> list[tuple[str, Widget]]:
        return [self.footer_button("done", "ui.receipt.done", self.flow.finish, width_mm=80)]

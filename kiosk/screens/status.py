"""Status query (办理进度查询): hold the receipt's QR code under the camera, or type the case number
and the last six digits of the ID number on the keypad; then the state, the township's note, and
a reprint of the receipt."""

from __future__ import annotations

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.scrollview import ScrollView
from kivy.uix.widget import Widget

from kiosk.flow.bus import Event
from kiosk.flow.controller import Step
from kiosk.screens import theme
from kiosk.screens.base import FlowScreen, panel_of
from kiosk.screens.camera_preview import Preview
from kiosk.screens.receipt import print_status
from kiosk.screens.widgets import BigButton, Keypad, Text, column, spacer, type_key

FIELDS = (("case", 15), ("last6", 6))
KEYS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "X", "0", "delete")


class StatusScreen(FlowScreen):
    step = Step.STATUS
    title_key = "ui.status.title"
    show_steps = False

    def __init__(self, ui) -> None:
        super().__init__(ui)
        self.values = {"case": "", "last6": ""}
        self.focused = "case"
        self.preview: Preview | None = None
        ui.flow.bus.subscribe("camera.preview", self._on_preview)

    def enter(self) -> None:
        self.values, self.focused = {"case": "", "last6": ""}, "case"

    def _on_preview(self, event: Event) -> None:
        if self.preview is not None and self.manager and self.manager.current == self.name:
            self.preview.show(event.data["frame"], None)

    def body(self) -> Widget:
        return self._result() if self.flow.case_status else self._query()

    def _query(self) -> Widget:
        t = self.t
        row = BoxLayout(spacing=t.gap * 2)
        left = BoxLayout(orientation="vertical", spacing=t.gap * 0.5)
        left.add_widget(Text(self.ui.tr("ui.status.scan"), t.body, bold=True))
        self.preview = Preview()
        left.add_widget(self.preview)
        row.add_widget(left)
        middle = BoxLayout(orientation="vertical", spacing=t.gap * 0.5)
        middle.add_widget(Text(self.ui.tr("ui.status.or_type"), t.body, bold=True))
        for name, _length in FIELDS:
            middle.add_widget(Text(self.ui.tr(f"ui.status.{name}"), t.small, color=theme.MUTED))
            value = self.values[name] or " "
            field = BigButton(value, t, lambda n=name: self._focus(n), primary=False)
            field.font_size = t.subheading
            if name == self.focused:
                field.background_color = (0.86, 0.92, 1, 1)
            middle.add_widget(self.action(f"field:{name}", field))
        middle.add_widget(spacer())
        ready = all(len(self.values[n]) == length for n, length in FIELDS)
        search = BigButton(self.ui.tr("ui.status.search"), t, self._search)
        search.disabled = not ready
        middle.add_widget(self.action("search", search))
        row.add_widget(middle)
        labels = {"delete": self.ui.tr("ui.form.keypad_delete")}
        row.add_widget(Keypad(t, self._press, labels, keys=KEYS, register=self.action))
        return row

    def _result(self) -> Widget:
        t = self.t
        status = self.flow.case_status
        facts = [
            ("ui.status.case", status.case_number),
            ("ui.review.service", status.service_name),
            ("ui.review.applicant", status.masked_name),
            ("ui.status.submitted", status.created_at[:16].replace("T", " ")),
        ]
        box = column(spacing=t.gap)
        state = Text(self.ui.tr(f"ui.state.{status.state}"), t.hero * 0.8, bold=True, color=theme.PRIMARY)
        box.add_widget(panel_of(t, state, Text(self.ui.tr(f"ui.state_explain.{status.state}"), t.body)))
        if status.note:
            box.add_widget(
                panel_of(
                    t,
                    Text(self.ui.tr("ui.status.note"), t.small, color=theme.MUTED),
                    Text(status.note, t.body, color=theme.ALERT),
                )
            )
        items = []
        for key, value in facts:
            items += [Text(self.ui.tr(key), t.small, color=theme.MUTED), Text(value, t.body)]
        box.add_widget(panel_of(t, *items))
        if status.receipt:
            box.add_widget(print_status(self))
        scroll = ScrollView(do_scroll_x=False)
        scroll.add_widget(box)
        return scroll

    def _focus(self, name: str) -> None:
        self.focused = name
        self.refresh()

    def _press(self, key: str) -> None:
        limit = dict(FIELDS)[self.focused]
        if key == "X" and self.focused == "case":
            return
        self.values[self.focused] = type_key(self.values[self.focused], key, limit)
        if self.focused == "case" and len(self.values["case"]) == limit:
            self.focused = "last6"
        self.refresh()

    def _search(self) -> None:
        self.flow.query_status(self.values["case"], self.values["last6"])

    def footer_actions(self) -> list[tuple[str, Widget]]:
        if not self.flow.case_status:
            return []
        actions = [
            self.footer_button("again", "ui.status.again", self.flow.clear_status, width_mm=60, primary=False)
        ]
        if self.flow.case_status.receipt and self.flow.print_state != "failed":
            actions.append(self.footer_button("reprint", "ui.status.reprint", self.flow.reprint, width_mm=60))
        return actions

"""Form: only what the card and the catalog cannot fill. Digits come from a large on-screen keypad;
choices are big toggle buttons; each error is shown under its field."""

from __future__ import annotations

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.scrollview import ScrollView
from kivy.uix.textinput import TextInput
from kivy.uix.togglebutton import ToggleButton
from kivy.uix.widget import Widget

from kiosk.catalog import FormField
from kiosk.flow.controller import Step
from kiosk.screens import theme
from kiosk.screens.base import FlowScreen
from kiosk.screens.widgets import BigButton, Panel, Text, column

KEYPAD_TYPES = ("phone", "number")
KEYS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "clear", "0", "delete"]


class FormScreen(FlowScreen):
    step = Step.FORM
    title_key = "ui.form.title"

    def __init__(self, ui) -> None:
        super().__init__(ui)
        self.values: dict[str, str] = {}
        self.inputs: dict[str, TextInput] = {}
        self.choices: dict[str, list[ToggleButton]] = {}
        self.focused = ""

    def on_pre_enter(self, *_: object) -> None:
        self.values = dict(self.flow.application.form) if self.flow.application else {}

    def body(self) -> Widget:
        t = self.t
        fields = self.flow.service.form
        self.inputs, self.choices = {}, {}
        keypad_fields = [f.key for f in fields if f.type in KEYPAD_TYPES]
        if self.focused not in keypad_fields:
            self.focused = keypad_fields[0] if keypad_fields else ""
        row = BoxLayout(spacing=t.gap * 2)
        items = [Text(self.ui.tr("ui.form.prompt"), t.body, color=theme.MUTED)]
        items += [self._field(f) for f in fields]
        scroll = ScrollView(do_scroll_x=False)
        scroll.add_widget(column(*items, spacing=t.gap * 0.8))
        row.add_widget(scroll)
        if keypad_fields:
            row.add_widget(self._keypad())
        return row

    def _field(self, spec: FormField) -> Widget:
        t = self.t
        box = column(
            Text(spec.label + ("" if spec.required else "（选填）"), t.body, bold=True), spacing=t.gap * 0.3
        )
        if spec.type == "choice":
            box.add_widget(self._choices(spec))
        else:
            box.add_widget(self._input(spec))
        if spec.help:
            box.add_widget(Text(spec.help, t.small, color=theme.MUTED))
        error = self.flow.form_errors.get(spec.key)
        if error:
            box.add_widget(Text(error.message(self.ui.language), t.body, color=theme.ALERT, bold=True))
        return box

    def _input(self, spec: FormField) -> Widget:
        t = self.t
        field = TextInput(
            text=self.values.get(spec.key, ""),
            font_size=t.body * 1.2,
            multiline=False,
            size_hint_y=None,
            height=t.touch,
            padding=(t.gap * 0.5, (t.touch - t.body * 1.6) / 2),
            hint_text="2026-01-31" if spec.type == "date" else "",
            input_filter="int" if spec.type in KEYPAD_TYPES else None,
        )
        self._paint_input(spec.key, field)
        field.bind(text=lambda _w, value, key=spec.key: self.values.__setitem__(key, value))
        if spec.type in KEYPAD_TYPES:
            field.readonly = True  # digits come from the on-screen keypad
            field.bind(
                on_touch_down=lambda w, touch, key=spec.key: (
                    self._focus(key) if w.collide_point(*touch.pos) else None
                )
            )
        self.inputs[spec.key] = field
        return self.action(f"field:{spec.key}", field)

    def _choices(self, spec: FormField) -> Widget:
        t = self.t
        grid = GridLayout(cols=3, spacing=t.gap * 0.4, size_hint_y=None)
        grid.bind(minimum_height=grid.setter("height"))
        self.choices[spec.key] = []
        for choice in spec.choices:
            button = ToggleButton(
                text=choice,
                group=spec.key,
                font_size=t.small,
                size_hint_y=None,
                height=t.touch,
                background_normal="",
                background_down="",
                halign="center",
            )
            button.bind(size=lambda b, size: setattr(b, "text_size", (size[0] - 12, None)))
            button.bind(on_release=lambda _b, key=spec.key, value=choice: self._choose(key, value))
            self.choices[spec.key].append(button)
            grid.add_widget(self.action(f"choice:{spec.key}:{choice}", button))
        self._paint_choices(spec.key)
        return grid

    def _choose(self, key: str, value: str) -> None:
        self.values[key] = value
        self._paint_choices(key)

    def _paint_choices(self, key: str) -> None:
        for button in self.choices[key]:
            chosen = self.values.get(key) == button.text
            button.state = "down" if chosen else "normal"
            button.background_color = theme.PRIMARY if chosen else theme.SECONDARY
            button.color = theme.PRIMARY_TEXT if chosen else theme.SECONDARY_TEXT

    def _focus(self, key: str) -> None:
        self.focused = key
        for field_key, field in self.inputs.items():
            self._paint_input(field_key, field)

    def _paint_input(self, key: str, field: TextInput) -> None:
        field.background_color = (0.86, 0.92, 1, 1) if key == self.focused else theme.PANEL

    def _keypad(self) -> Widget:
        t = self.t
        pad = Panel(padding=t.gap * 0.5, spacing=t.gap * 0.4, size_hint_x=None, width=t.mm(100))
        grid = GridLayout(cols=3, spacing=t.gap * 0.4)
        for key in KEYS:
            label = self.ui.tr(f"ui.form.keypad_{key}") if not key.isdigit() else key
            button = BigButton(label, t, lambda k=key: self._press(k), primary=key.isdigit(), size_hint_y=1)
            button.font_size = t.heading * 0.8 if key.isdigit() else t.small
            grid.add_widget(self.action(f"key:{key}", button))
        pad.add_widget(grid)
        return pad

    def _press(self, key: str) -> None:
        field = self.inputs.get(self.focused)
        if field is None:
            return
        if key == "clear":
            field.text = ""
        elif key == "delete":
            field.text = field.text[:-1]
        else:
            field.text += key

    def footer_actions(self) -> list[tuple[str, Widget]]:
        return [self.footer_button("next", "ui.next", lambda: self.flow.submit_form(dict(self.values)))]

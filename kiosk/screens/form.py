"""Form: only what the card and the catalog cannot fill. Digits and dates come from a large on-screen
keypad, Chinese text from the on-screen pinyin keyboard; choices are big toggle buttons; each error
is shown under its field."""

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
from kiosk.screens.keyboard import PinyinKeyboard
from kiosk.screens.widgets import ChineseWrap, Keypad, Text, column, type_key, whole_px

KEYPAD_TYPES = ("phone", "number", "date")
DATE_DIGITS = 8


def as_date(digits: str) -> str:
    """Digits typed on the keypad shown as a date while typing: 20260131 → 2026-01-31."""
    digits = digits[:DATE_DIGITS]
    parts = [digits[:4], digits[4:6], digits[6:8]]
    return "-".join(p for p in parts if p)


class ChoiceButton(ChineseWrap, ToggleButton):
    """One answer of a choice field, wrapped like every other text."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._watch_text()
        self.bind(size=lambda _b, size: self._wrap_to(size[0] - 12))


class FormScreen(FlowScreen):
    step = Step.FORM
    title_key = "ui.form.title"

    def __init__(self, ui) -> None:
        super().__init__(ui)
        self.values: dict[str, str] = {}
        self.inputs: dict[str, TextInput] = {}
        self.choices: dict[str, list[ToggleButton]] = {}
        self.focused = ""

    def enter(self) -> None:
        self.values = dict(self.flow.application.form) if self.flow.application else {}
        typed = [f.key for f in self.flow.service.form if f.type != "choice"]
        self.focused = typed[0] if typed else ""

    def field(self, key: str) -> FormField | None:
        return next((f for f in self.flow.service.form if f.key == key), None)

    def body(self) -> Widget:
        t = self.t
        fields = self.flow.service.form
        self.inputs, self.choices = {}, {}
        row = BoxLayout(spacing=t.gap * 2)
        items = [Text(self.ui.tr("ui.form.prompt"), t.body, color=theme.MUTED)]
        items += [self._field(f) for f in fields]
        scroll = ScrollView(do_scroll_x=False)
        scroll.add_widget(column(*items, spacing=t.gap * 0.8))
        row.add_widget(scroll)
        focused = self.field(self.focused)
        if focused is not None and focused.type in KEYPAD_TYPES:
            labels = {k: self.ui.tr(f"ui.form.keypad_{k}") for k in ("clear", "delete")}
            row.add_widget(Keypad(t, self._press, labels, register=self.action))
        elif focused is not None:
            row.add_widget(
                PinyinKeyboard(
                    t, self.ui.tr, self._insert, lambda: self._press("delete"), self.action, size_hint_x=0.62
                )
            )
        return row

    def _field(self, spec: FormField) -> Widget:
        t = self.t
        optional = "" if spec.required else self.ui.tr("ui.form.optional")
        box = column(Text(spec.label + optional, t.body, bold=True), spacing=t.gap * 0.3)
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
            font_size=whole_px(t.subheading),  # a TextInput is not DrawsItself
            multiline=False,
            size_hint_y=None,
            height=t.touch,
            padding=(t.gap * 0.5, (t.touch - t.body * 1.6) / 2),
            hint_text=self.ui.tr("ui.form.date_hint") if spec.type == "date" else "",
            readonly=True,  # every character comes from the on-screen keypad or keyboard
            keyboard_mode="managed",
        )
        field.background_color = (0.86, 0.92, 1, 1) if spec.key == self.focused else theme.PANEL
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
            button = ChoiceButton(
                text=choice,
                group=spec.key,
                font_size=t.small,
                size_hint_y=None,
                height=t.touch,
                background_normal="",
                background_down="",
                halign="center",
                valign="middle",
            )
            button.bind(
                texture_size=lambda b, size: setattr(b, "height", max(t.touch, size[1] + t.gap * 0.6))
            )
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
            chosen = self.values.get(key) == button.source_text
            button.state = "down" if chosen else "normal"
            button.background_color = theme.PRIMARY if chosen else theme.SECONDARY
            button.color = theme.PRIMARY_TEXT if chosen else theme.SECONDARY_TEXT

    def _focus(self, key: str) -> None:
        if key != self.focused:
            self.focused = key
            self.refresh()

    def _set(self, key: str, value: str) -> None:
        self.values[key] = value
        if key in self.inputs:
            self.inputs[key].text = value

    def _press(self, key: str) -> None:
        spec = self.field(self.focused)
        if spec is None:
            return
        if spec.type == "date":
            digits = type_key(self.values.get(spec.key, "").replace("-", ""), key, DATE_DIGITS)
            self._set(spec.key, as_date(digits))
        else:
            self._set(spec.key, type_key(self.values.get(spec.key, ""), key))

    def _insert(self, text: str) -> None:
        if self.focused:
            self._set(self.focused, self.values.get(self.focused, "") + text)

    def footer_actions(self) -> list[tuple[str, Widget]]:
        return [self.footer_button("next", "ui.next", lambda: self.flow.submit_form(dict(self.values)))]

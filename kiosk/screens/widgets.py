"""The few widgets every screen is built from: wrapped text, big flat buttons, panels."""

from __future__ import annotations

from collections.abc import Callable

from kivy.graphics import Color, Line, Rectangle
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.label import Label
from kivy.uix.widget import Widget

from kiosk.screens import theme
from kiosk.screens.theme import Theme


class Text(Label):
    """A label that wraps to its width and grows to its text's height."""

    def __init__(
        self, text: str, size: float, color=theme.INK, bold: bool = False, halign: str = "left", **kwargs
    ):
        super().__init__(
            text=text,
            font_size=size,
            color=color,
            bold=bold,
            halign=halign,
            valign="middle",
            size_hint_y=None,
            line_height=1.3,
            **kwargs,
        )
        self.bind(width=self._wrap, texture_size=self._grow)
        self._wrap()

    def _wrap(self, *_: object) -> None:
        self.text_size = (self.width, None)

    def _grow(self, *_: object) -> None:
        self.height = self.texture_size[1]


class BigButton(Button):
    """A flat, high-contrast button at least one touch target tall. `action` runs on release."""

    def __init__(
        self, text: str, t: Theme, action: Callable[[], None], primary: bool = True, **kwargs
    ) -> None:
        kwargs.setdefault("size_hint_y", None)
        kwargs.setdefault("height", t.touch)
        kwargs.setdefault("font_size", t.body)
        super().__init__(
            text=text,
            bold=primary,
            background_normal="",
            background_down="",
            background_color=theme.PRIMARY if primary else theme.SECONDARY,
            color=theme.PRIMARY_TEXT if primary else theme.SECONDARY_TEXT,
            halign="center",
            valign="middle",
            **kwargs,
        )
        self.bind(size=self._wrap)
        self.action = action
        if not primary:
            with self.canvas.after:
                Color(*theme.PRIMARY)
                self._border = Line(width=2)
            self.bind(pos=self._outline, size=self._outline)

    def _wrap(self, *_: object) -> None:
        self.text_size = (self.width - 16, None)

    def _outline(self, *_: object) -> None:
        self._border.rectangle = (self.x + 1, self.y + 1, self.width - 2, self.height - 2)

    def on_release(self) -> None:
        self.action()


class Panel(BoxLayout):
    """A filled box (white by default) with padding."""

    def __init__(self, background=theme.PANEL, **kwargs) -> None:
        kwargs.setdefault("orientation", "vertical")
        super().__init__(**kwargs)
        with self.canvas.before:
            self._colour = Color(*background)
            self._rect = Rectangle()
        self.bind(pos=self._paint, size=self._paint)

    def _paint(self, *_: object) -> None:
        self._rect.pos, self._rect.size = self.pos, self.size


def spacer() -> Widget:
    return Widget()


def column(*children: Widget, spacing: float = 0, **kwargs) -> BoxLayout:
    """A vertical box that takes its children's height (for use inside scroll views)."""
    box = BoxLayout(orientation="vertical", size_hint_y=None, spacing=spacing, **kwargs)
    box.bind(minimum_height=box.setter("height"))
    for child in children:
        box.add_widget(child)
    return box

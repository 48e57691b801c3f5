"""The few widgets every screen is built from: wrapped text, big flat buttons, panels."""

from __future__ import annotations

import functools
from collections.abc import Callable

from kivy.core.text import Label as CoreLabel
from kivy.graphics import Color, Line, Rectangle
from kivy.graphics.texture import Texture
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.gridlayout import GridLayout
from kivy.uix.label import Label
from kivy.uix.widget import Widget

from kiosk.screens import theme
from kiosk.screens.linebreak import break_lines
from kiosk.screens.theme import Theme


class ChineseWrap:
    """Wraps a label's text by Chinese line-breaking rules (kiosk.screens.linebreak) instead of
    Kivy's, which breaks anywhere. `source_text` keeps the text as given, without the breaks.

    Kivy gets the lines broken here with the longest one's width, so the texture is only as wide
    as the text: textures as wide as their labels (most of it transparent) covered four fifths of
    a screen, and with software GL every texel is blended in every frame. Markup is wrapped by
    Kivy (its tags would be measured as text)."""

    source_text = ""
    wrap_width: float | None = None  # given by its layout; None until then
    _broken = ""
    _wrapped_for: tuple = ()

    def _watch_text(self) -> None:
        self.source_text = self.text
        self.bind(text=self._text_changed)

    def _text_changed(self, *_: object) -> None:
        if self.text != self._broken:
            self.source_text = self.text
            self._rewrap()

    def _wrap_to(self, width: float) -> None:
        self.wrap_width = width
        if self.markup:
            self.text_size = (width, None)
        self._rewrap()

    def _rewrap(self) -> None:
        width = self.wrap_width
        if width is None or width <= 0 or self.markup:
            return
        wrapped_for = (width, self.source_text, self.font_name, self.font_size, self.bold)
        if wrapped_for == self._wrapped_for:  # a layout pass that left the width as it was
            return
        self._wrapped_for = wrapped_for
        core = CoreLabel(font_name=self.font_name, font_size=self.font_size, bold=self.bold)
        width_of = functools.cache(lambda text: core.get_extents(text)[0])  # each line measured once
        self._broken = break_lines(self.source_text, width - 1, width_of)
        # Kivy is given the longest line's width (and a pixel to spare, so it never breaks a line
        # again): a piece too wide for the label stays whole, and the fit check reports it
        widest = max(width_of(line) for line in self._broken.split("\n"))
        self.text_size = (widest + 1, None)
        self.text = self._broken


def whole_px(size: float) -> float:
    """A font size as SDL_ttf draws it: its whole pixels. Kivy opens a font face for each distinct
    size value it is given (41.6 and 41.0 are two, drawn alike; so are a markup tag's 30 and a
    label's 30.0), and a face of Noto CJK costs 2.5 MB: FreeType copies the font's CFF
    subroutines for each. Sizes are whole-pixel floats, as Kivy keeps a label's."""
    return float(int(size))


_flat: Texture | None = None


def flat_texture() -> Texture:
    """The texture a flat fill is drawn with: one white texel, sampled nearest. Kivy's own default
    is filtered linearly, and with software GL (llvmpipe, as under Xvfb) a screen-sized fill drawn
    with it cost about 15 ms of the frame's CPU, a quarter of which this saves."""
    global _flat
    if _flat is None:
        _flat = Texture.create(size=(1, 1), colorfmt="rgba")
        _flat.blit_buffer(b"\xff" * 4, colorfmt="rgba", bufferfmt="ubyte")
        _flat.mag_filter = _flat.min_filter = "nearest"
    return _flat


class DrawsItself:
    """A label or button that draws its text (and a button its flat fill) with canvas instructions
    made here, not by the Label and Button rules of Kivy's style.kv: applying those rules compiles
    and binds a handler per property, most of the time it took to build a screen. Pass
    `**NO_KV_RULES` to the Kivy constructor, then call `_draw`."""

    _fill: Rectangle | None = None

    def _whole_pixels(self, *_: object) -> None:
        """Font sizes in whole pixels (`whole_px`)."""
        whole = whole_px(self.font_size)
        if self.font_size != whole:
            self.font_size = whole

    def _draw(self, fill: tuple | None = None) -> None:
        self._whole_pixels()
        self.fbind("font_size", self._whole_pixels)
        with self.canvas:
            if fill is not None:
                self._fill_colour = Color(*fill)
                self._fill = Rectangle(texture=flat_texture())
            Color(1, 1, 1, 1)
            self._face = Rectangle()
        for name in ("texture", "texture_size", "pos", "size", "halign"):
            self.fbind(name, self._place)
        self._place()

    def _place(self, *_: object) -> None:
        width, height = self.texture_size
        self._face.texture = self.texture
        self._face.size = (width, height)
        # placed from x and width (`center_x` may not have caught up yet); the text's own texture is
        # only as wide as its longest line, so it is aligned here
        spare = self.width - width
        left = {"left": 0.0, "right": spare}.get(self.halign, spare / 2.0)
        self._face.pos = (int(self.x + left), int(self.y + (self.height - height) / 2.0))
        if self._fill is not None:
            self._fill.pos, self._fill.size = self.pos, self.size


NO_KV_RULES = {"__no_builder": True}  # a keyword Widget takes; written so, it escapes name mangling


class Text(DrawsItself, ChineseWrap, Label):
    """A label that wraps to its width and grows to its text's height."""

    def __init__(
        self, text: str, size: float, color=theme.INK, bold: bool = False, halign: str = "left", **kwargs
    ):
        if kwargs.get("size_hint_x", 1) is not None:
            kwargs.setdefault("width", 0)  # so any width its layout gives (even Kivy's 100) wraps it
        super().__init__(
            **NO_KV_RULES,
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
        self._draw()
        self._watch_text()
        self.bind(width=self._wrap, texture_size=self._grow)
        if self.size_hint_x is None:  # else its layout gives it a width, and it wraps then
            self._wrap()

    def texture_update(self, *args: object) -> None:
        if self.wrap_width is None:  # its layout has not given it a width: the text would be drawn
            return  # unwrapped and then thrown away
        super().texture_update(*args)

    def _wrap(self, *_: object) -> None:
        self._wrap_to(self.width)

    def _grow(self, *_: object) -> None:
        self.height = self.texture_size[1]


class BigButton(DrawsItself, ChineseWrap, Button):
    """A flat, high-contrast button at least one touch target tall. `action` runs on release.

    A button of fixed width (size_hint_x None) widens to its text on one line; a flexible one wraps."""

    def __init__(
        self, text: str, t: Theme, action: Callable[[], None], primary: bool = True, **kwargs
    ) -> None:
        kwargs.setdefault("size_hint_y", None)
        kwargs.setdefault("height", t.touch)
        kwargs.setdefault("font_size", t.body)
        super().__init__(
            **NO_KV_RULES,
            text=text,
            bold=primary,
            background_normal="",
            background_down="",
            background_disabled_normal="",
            background_color=theme.PRIMARY if primary else theme.SECONDARY,
            color=theme.PRIMARY_TEXT if primary else theme.SECONDARY_TEXT,
            disabled_color=theme.INK,
            halign="center",
            valign="middle",
            **kwargs,
        )
        self.margin = t.gap * 0.6
        self._draw(fill=self.background_color)
        self.fbind("background_color", self._refill)
        self._watch_text()
        self.min_width, self.min_height = self.width, self.height
        if self.size_hint_x is None:
            self.bind(texture_size=self._widen)
        else:
            self.bind(size=self._wrap)
            if self.size_hint_y is None:
                self.bind(texture_size=self._grow)
        self.action = action
        self._colours = (self.background_color, self.color)
        self.bind(disabled=self._paint)
        if not primary:
            with self.canvas.after:
                Color(*theme.PRIMARY)
                self._border = Line(width=2)
            self.bind(pos=self._outline, size=self._outline)

    def _wrap(self, *_: object) -> None:
        self._wrap_to(self.width - 2 * self.margin)

    def text_height(self) -> float:
        """How tall the button must be to show its wrapped text."""
        return self.texture_size[1] + self.margin

    def _grow(self, *_: object) -> None:
        self.height = max(self.min_height, self.text_height())

    def _widen(self, *_: object) -> None:
        self.width = max(self.min_width, self.texture_size[0] + 2 * self.margin)

    def _paint(self, *_: object) -> None:
        """A disabled button turns grey (its text stays at 9:1 contrast), so nobody keeps pressing it."""
        self.background_color, self.color = (theme.LINE, theme.INK) if self.disabled else self._colours

    def _refill(self, *_: object) -> None:
        self._fill_colour.rgba = self.background_color

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
            self._rect = Rectangle(texture=flat_texture())
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


class Keypad(Panel):
    """A large numeric keypad; `keys` are digits plus named keys (clear, delete, X, …) whose
    labels come from `labels`. Each press calls `on_key(key)`."""

    def __init__(
        self,
        t: Theme,
        on_key: Callable[[str], None],
        labels: dict[str, str],
        keys: tuple[str, ...] = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "clear", "0", "delete"),
        register: Callable[[str, Widget], Widget] = lambda name, widget: widget,
        **kwargs,
    ) -> None:
        kwargs.setdefault("size_hint_x", None)
        kwargs.setdefault("width", max(t.mm(100), t.touch * 3 + t.gap * 2))
        super().__init__(padding=t.gap * 0.5, spacing=t.gap * 0.4, **kwargs)
        grid = GridLayout(cols=3, spacing=t.gap * 0.4)
        key_width = (self.width - t.gap * (2 * 0.5 + 2 * 0.4)) / 3
        for key in keys:
            single = len(key) == 1
            button = BigButton(
                key if single else labels[key], t, lambda k=key: on_key(k), primary=single, size_hint_y=1
            )
            button.font_size = (
                t.subheading if single else font_to_fit(labels[key], t.small, key_width - 2 * button.margin)
            )
            grid.add_widget(register(f"key:{key}", button))
        self.add_widget(grid)


def font_to_fit(text: str, size: float, width: float) -> float:
    """`size`, or smaller so that the text's longest word fits `width` on one line, as the line
    breaker measures it (a pixel to spare; glyph advances round at the smaller size, so a little
    more)."""
    measure = CoreLabel(font_size=whole_px(size))
    widest = max((measure.get_extents(word)[0] for word in text.split()), default=0)
    room = width - 1
    return size if widest <= room else size * room / widest * 0.97


def type_key(value: str, key: str, limit: int = 0) -> str:
    """What a text becomes after a keypad key: digits and letters append, 'delete' and 'clear' edit."""
    if key == "clear":
        return ""
    if key == "delete":
        return value[:-1]
    return value + key if not limit or len(value) < limit else value


class Overlay(Panel):
    """A dimmed layer over the whole screen with one centred card; it takes every touch under it."""

    def __init__(self, t: Theme, *children: Widget, width_mm: float = 200) -> None:
        from kivy.uix.anchorlayout import AnchorLayout

        super().__init__(background=(0, 0, 0, 0.55))
        holder = AnchorLayout()
        card = Panel(padding=t.gap * 1.5, spacing=t.gap, size_hint=(None, None), width=t.mm(width_mm))
        for child in children:
            card.add_widget(child)
        card.bind(minimum_height=card.setter("height"))
        holder.add_widget(card)
        self.add_widget(holder)

    def on_touch_down(self, touch) -> bool:
        super().on_touch_down(touch)
        return True


def row_of(t: Theme, *children: Widget) -> Panel:
    """A white row of texts side by side, as tall as the tallest (and at least a touch target)."""
    panel = Panel(orientation="horizontal", size_hint_y=None, padding=t.gap * 0.6, spacing=t.gap)
    for child in children:
        panel.add_widget(child)

    def fit(*_: object) -> None:
        panel.height = max(t.touch, *(c.height for c in children)) + t.gap * 1.2

    for child in children:
        child.bind(height=fit)
    fit()
    return panel


def save_png(widget: Widget, path: str) -> None:
    """What the screen shows, as a PNG: the widget over the window's colour (Kivy's export starts
    from transparent, and screens draw no background of their own)."""
    with widget.canvas.before:
        colour = Color(*theme.PAPER)
        fill = Rectangle(pos=widget.pos, size=widget.size, texture=flat_texture())
    try:
        widget.export_to_png(path)
    finally:
        widget.canvas.before.remove(colour)
        widget.canvas.before.remove(fill)

"""The on-screen pinyin keyboard: big letter keys, the letters typed so far, and a bar of Chinese
candidates from the pinyin engine; a 123 mode for digits. Committed text goes to `on_text`."""

from __future__ import annotations

from collections.abc import Callable

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget

from kiosk.pinyin import Composer, shared_engine
from kiosk.screens import theme
from kiosk.screens.theme import Theme
from kiosk.screens.widgets import BigButton, Panel, Text

LETTER_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
DIGIT_ROWS = ("1234567890", "-#/()", "")
CANDIDATES_PER_PAGE = 6


class PinyinKeyboard(Panel):
    """Keys and candidate bar; `on_text(text)` inserts, `on_delete()` deletes at the field."""

    def __init__(
        self,
        t: Theme,
        tr: Callable[[str], str],
        on_text: Callable[[str], None],
        on_delete: Callable[[], None],
        register: Callable[[str, Widget], Widget],
        **kwargs,
    ) -> None:
        super().__init__(padding=t.gap * 0.4, spacing=t.gap * 0.3, **kwargs)
        self.t, self.tr = t, tr
        self.on_text, self.on_delete, self.register = on_text, on_delete, register
        self.composer = Composer(shared_engine())
        self.digits = False
        self.page = 0
        self.draw()

    def draw(self) -> None:
        self.clear_widgets()
        self.add_widget(self._candidate_bar())
        for row in DIGIT_ROWS if self.digits else LETTER_ROWS:
            self.add_widget(self._key_row(row))
        self.add_widget(self._control_row())

    def _row(self) -> BoxLayout:
        return BoxLayout(size_hint_y=None, height=self.t.touch, spacing=self.t.gap * 0.3)

    def _candidate_bar(self) -> Widget:
        t = self.t
        bar = self._row()
        composer = self.composer
        typed = composer.fixed + composer.letters
        bar.add_widget(
            Text(
                typed or self.tr("ui.keyboard.hint"),
                t.body,
                color=theme.MUTED,
                size_hint_x=None,
                width=t.mm(40),
            )
        )
        start = self.page * CANDIDATES_PER_PAGE
        for offset, word in enumerate(composer.candidates(start, CANDIDATES_PER_PAGE)):
            button = BigButton(
                word, t, lambda i=start + offset: self._choose(i), primary=offset == 0 and not self.page
            )
            bar.add_widget(self.register(f"candidate:{start + offset}", button))
        for name, label, step, enabled in (
            ("candidates_back", "◀", -1, self.page > 0),
            ("candidates_more", "▶", 1, start + CANDIDATES_PER_PAGE < composer.count),
        ):
            button = BigButton(
                label, t, lambda s=step: self._turn(s), primary=False, size_hint_x=None, width=t.mm(20)
            )
            button.disabled = not enabled
            bar.add_widget(self.register(name, button))
        return bar

    def _key_row(self, keys: str) -> Widget:
        row = self._row()
        for key in keys:
            row.add_widget(
                self.register(
                    f"letter:{key}", BigButton(key, self.t, lambda k=key: self._press(k), primary=True)
                )
            )
        if keys == LETTER_ROWS[-1] or (self.digits and not keys):
            row.add_widget(self.register("backspace", BigButton("⌫", self.t, self._backspace, primary=False)))
        return row

    def _control_row(self) -> Widget:
        row = self._row()
        mode = "ui.keyboard.letters" if self.digits else "ui.keyboard.digits"
        for name, label, handler in (
            ("mode", self.tr(mode), self._toggle_mode),
            ("space", self.tr("ui.keyboard.space"), lambda: self._commit_letters(" ")),
            ("clear_letters", self.tr("ui.keyboard.clear"), self._clear),
        ):
            row.add_widget(self.register(name, BigButton(label, self.t, handler, primary=False)))
        return row

    def _press(self, key: str) -> None:
        if key.isalpha():
            self.composer.type(key)
            self.page = 0
            self.draw()
        else:
            self.on_text(key)

    def _choose(self, index: int) -> None:
        committed = self.composer.choose(index)
        if committed:
            self.on_text(committed)
        self.page = 0
        self.draw()

    def _turn(self, step: int) -> None:
        self.page = max(0, self.page + step)
        self.draw()

    def _backspace(self) -> None:
        if self.composer.letters:
            self.composer.backspace()
            self.draw()
        else:
            self.on_delete()

    def _commit_letters(self, suffix: str) -> None:
        """Space: take the best candidate for what is typed (or a plain space when nothing is)."""
        if self.composer.count:
            self._choose_all()
        else:
            self.on_text(suffix)

    def _choose_all(self) -> None:
        while self.composer.count:
            committed = self.composer.choose(0)
            if committed:
                self.on_text(committed)
                break
        self.draw()

    def _clear(self) -> None:
        self.composer.clear()
        self.draw()

    def _toggle_mode(self) -> None:
        self.digits = not self.digits
        self.draw()

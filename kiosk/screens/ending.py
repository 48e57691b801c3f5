"""Ending well: the satisfaction rating (好差评: five levels, optional reasons, or skip) and the
reminders to take the ID card, the originals on the camera mat and the receipt (shown and spoken)."""

from __future__ import annotations

from kivy.uix.gridlayout import GridLayout
from kivy.uix.scrollview import ScrollView
from kivy.uix.widget import Widget

from kiosk.flow.controller import Step
from kiosk.flow.status import RATING_LEVELS, RATING_REASONS
from kiosk.screens import theme
from kiosk.screens.base import FlowScreen
from kiosk.screens.widgets import BigButton, Text, column, row_of


class RatingScreen(FlowScreen):
    step = Step.RATING
    title_key = "ui.rating.title"
    show_steps = False
    show_back = False

    def __init__(self, ui) -> None:
        super().__init__(ui)
        self.level = ""
        self.reasons: list[str] = []

    def enter(self) -> None:
        self.level, self.reasons = "", []

    def body(self) -> Widget:
        t = self.t
        box = column(spacing=t.gap)
        box.add_widget(Text(self.ui.tr("ui.rating.question"), t.heading, bold=True, halign="center"))
        levels = GridLayout(cols=len(RATING_LEVELS), size_hint_y=None, spacing=t.gap)
        levels.bind(minimum_height=levels.setter("height"))
        for level in RATING_LEVELS:
            button = BigButton(
                self.ui.tr(f"ui.rating.{level}"),
                t,
                lambda v=level: self._choose(v),
                primary=level == self.level,
            )
            button.height = t.touch * 1.4
            levels.add_widget(self.action(f"rate:{level}", button))
        box.add_widget(levels)
        box.add_widget(Text(self.ui.tr("ui.rating.reasons"), t.body, color=theme.MUTED))
        grid = GridLayout(cols=4, spacing=t.gap * 0.6, size_hint_y=None)
        grid.bind(minimum_height=grid.setter("height"))
        for reason in RATING_REASONS:
            chosen = reason in self.reasons
            button = BigButton(
                ("✓ " if chosen else "") + self.ui.tr(f"ui.rating.reason_{reason}"),
                t,
                lambda r=reason: self._toggle(r),
                primary=chosen,
            )
            button.font_size = t.small
            grid.add_widget(self.action(f"reason:{reason}", button))
        box.add_widget(grid)
        scroll = ScrollView(do_scroll_x=False)
        scroll.add_widget(box)
        return scroll

    def _choose(self, level: str) -> None:
        self.level = level
        self.refresh()

    def _toggle(self, reason: str) -> None:
        self.reasons = (
            [r for r in self.reasons if r != reason] if reason in self.reasons else [*self.reasons, reason]
        )
        self.refresh()

    def _send(self) -> None:
        if self.level:
            self.flow.rate(self.level, list(self.reasons))

    def footer_actions(self) -> list[tuple[str, Widget]]:
        skip = self.footer_button("skip", "ui.rating.skip", self.flow.skip_rating, width_mm=55, primary=False)
        send = self.footer_button("send", "ui.rating.send", self._send, width_mm=60)
        send[1].disabled = not self.level
        return [skip, send]


class FarewellScreen(FlowScreen):
    step = Step.FAREWELL
    title_key = "ui.farewell.title"
    show_steps = False
    show_back = False

    def reminders(self) -> list[tuple[str, str, tuple]]:
        """(item, what the terminal knows, colour) for the card, the originals and the receipt."""
        flow = self.flow
        mat = {
            True: ("ui.farewell.mat_clear", theme.OK),
            False: ("ui.farewell.mat_busy", theme.ALERT),
            None: ("ui.farewell.mat_unknown", theme.MUTED),
        }[flow.mat_clear]
        printed = flow.print_state == "done"
        agent = flow.agent is not None
        return [
            (
                "ui.farewell.card_agent" if agent else "ui.farewell.card",
                "ui.farewell.card_check",
                theme.MUTED,
            ),
            ("ui.farewell.originals", *mat),
            (
                "ui.farewell.receipt_agent" if agent else "ui.farewell.receipt",
                "ui.farewell.receipt_printed" if printed else "ui.farewell.receipt_not_printed",
                theme.OK if printed else theme.ALERT,
            ),
        ]

    def body(self) -> Widget:
        t = self.t
        box = column(spacing=t.gap)
        box.add_widget(
            Text(self.ui.tr("ui.farewell.prompt"), t.heading, bold=True, color=theme.ALERT, halign="center")
        )
        for number, (item, state, colour) in enumerate(self.reminders(), start=1):
            what = Text(f"{number}. {self.ui.tr(item)}", t.subheading, bold=True)
            known = Text(self.ui.tr(state), t.body, color=colour, halign="right")
            box.add_widget(row_of(t, what, known))
        if self.flow.rated:
            box.add_widget(Text(self.ui.tr("ui.farewell.thanks"), t.body, color=theme.OK, halign="center"))
        scroll = ScrollView(do_scroll_x=False)
        scroll.add_widget(box)
        return scroll

    def footer_actions(self) -> list[tuple[str, Widget]]:
        return [self.footer_button("done", "ui.farewell.done", self.flow.farewell_done, width_mm=90)]

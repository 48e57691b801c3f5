"""The frame every step screen shares: title bar, step bar, notice, body, and a footer with
"back" and "start over" always visible. Screens rebuild from the flow's state on every change.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable
from typing import ClassVar

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import Screen
from kivy.uix.widget import Widget

from kiosk.config import Config
from kiosk.flow.controller import EDITABLE, FlowController, Step
from kiosk.flow.devices import DeviceService
from kiosk.i18n import tr
from kiosk.screens import theme
from kiosk.screens.theme import Theme
from kiosk.screens.widgets import BigButton, Panel, Text, spacer


class Ui:
    """What screens may use: the flow, the device service (for previews and touch signing), wording."""

    def __init__(self, flow: FlowController, devices: DeviceService, config: Config) -> None:
        self.flow = flow
        self.devices = devices
        self.config = config
        self.language = config.terminal.language
        self.elderly = config.screen.elderly_mode
        self.theme = Theme.for_screen(config.screen, self.elderly)

    def tr(self, message_key: str, /, **params: object) -> str:
        return tr(message_key, self.language, **params)

    def set_elderly(self, on: bool) -> None:
        self.elderly = on
        self.theme = Theme.for_screen(self.config.screen, on)


class FlowScreen(Screen):
    step: ClassVar[Step]
    title_key: ClassVar[str]
    show_steps: ClassVar[bool] = True
    show_footer: ClassVar[bool] = True
    show_back: ClassVar[bool] = True

    def __init__(self, ui: Ui) -> None:
        super().__init__(name=self.step.value)
        self.ui = ui
        self.actions: dict[str, Widget] = {}

    @property
    def t(self) -> Theme:
        return self.ui.theme

    @property
    def flow(self) -> FlowController:
        return self.ui.flow

    def action(self, name: str, widget: Widget) -> Widget:
        """Register a control under a stable name (for the demo's autopilot and UI tests)."""
        self.actions[name] = widget
        return widget

    def update(self) -> None:
        """The flow changed: show its new state (screens may do less than a full rebuild)."""
        self.refresh()

    def refresh(self) -> None:
        self.clear_widgets()
        self.actions = {}
        root = Panel(background=theme.PAPER)
        root.add_widget(self._title_bar())
        if self.show_steps:
            root.add_widget(self._step_bar())
        if self.flow.notice:
            root.add_widget(self._notice(self.flow.notice.message(self.ui.language)))
        body = BoxLayout(orientation="vertical", padding=(self.t.gap * 2, self.t.gap), spacing=self.t.gap)
        body.add_widget(self.body())
        root.add_widget(body)
        if self.show_footer:
            root.add_widget(self._footer())
        self.add_widget(root)

    @abstractmethod
    def body(self) -> Widget:
        """The screen's own content."""

    def _title_bar(self) -> Widget:
        bar = Panel(
            background=theme.PRIMARY, orientation="horizontal", size_hint_y=None, height=self.t.heading * 2.1
        )
        bar.padding = (self.t.gap * 2, 0)
        bar.add_widget(Text(self.ui.tr(self.title_key), self.t.heading, color=theme.PRIMARY_TEXT, bold=True))
        service = self.flow.service
        if service and self.show_steps:
            label = service.name + (f"（{self.ui.tr('ui.sample')}）" if service.sample else "")
            bar.add_widget(Text(label, self.t.body, color=theme.PRIMARY_TEXT, halign="right"))
        return bar

    def _step_bar(self) -> Widget:
        bar = Panel(
            orientation="horizontal", size_hint_y=None, height=self.t.small * 2.2, padding=(self.t.gap * 2, 0)
        )
        current = EDITABLE.index(self.step) if self.step in EDITABLE else len(EDITABLE)
        for index, step in enumerate(EDITABLE):
            done, here = index < current, index == current
            mark = "✓ " if done else f"{index + 1} "
            colour = theme.PRIMARY if here else theme.OK if done else theme.MUTED
            bar.add_widget(
                Text(
                    mark + self.ui.tr(f"ui.step_{step.value}"),
                    self.t.small,
                    color=colour,
                    bold=here,
                    halign="center",
                )
            )
        return bar

    def _notice(self, message: str) -> Widget:
        panel = Panel(
            background=theme.ALERT_BACKGROUND, size_hint_y=None, padding=(self.t.gap * 2, self.t.gap / 2)
        )
        text = Text(message, self.t.body, color=theme.ALERT, bold=True)
        panel.add_widget(text)
        text.bind(height=lambda *_: setattr(panel, "height", text.height + self.t.gap))
        panel.height = text.height + self.t.gap
        return panel

    def _footer(self) -> Widget:
        bar = Panel(orientation="horizontal", size_hint_y=None, height=self.t.touch + self.t.gap * 1.5)
        bar.padding = (self.t.gap * 2, self.t.gap * 0.75)
        bar.spacing = self.t.gap
        width = self.t.mm(60)
        if self.show_back:
            bar.add_widget(
                self.action(
                    "back",
                    BigButton(
                        self.ui.tr("ui.back"),
                        self.t,
                        self.flow.back,
                        primary=False,
                        size_hint_x=None,
                        width=width,
                    ),
                )
            )
            bar.add_widget(
                self.action(
                    "start_over",
                    BigButton(
                        self.ui.tr("ui.start_over"),
                        self.t,
                        self.flow.start_over,
                        primary=False,
                        size_hint_x=None,
                        width=width,
                    ),
                )
            )
        bar.add_widget(spacer())
        for name, widget in self.footer_actions():
            bar.add_widget(self.action(name, widget))
        return bar

    def footer_actions(self) -> list[tuple[str, Widget]]:
        """The screen's forward buttons, shown at the right of the footer."""
        return []

    def footer_button(
        self,
        name: str,
        label_key: str,
        action: Callable[[], object],
        width_mm: float = 70,
        primary: bool = True,
    ) -> tuple[str, Widget]:
        """A named footer button (see `footer_actions`)."""
        button = BigButton(
            self.ui.tr(label_key),
            self.t,
            action,
            primary=primary,
            size_hint_x=None,
            width=self.t.mm(width_mm),
        )
        return name, button

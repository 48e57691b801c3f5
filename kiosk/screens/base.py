"""The frame every screen shares: title bar (with help and sound buttons), step bar, notice, body,
and a footer with "back" and "start over"; over it the help card and the idle countdown.

Screens rebuild from the flow's state and keep no business state of their own. A screen that says
what it shows (`shown_state`) is kept while that is unchanged: going back to it, or arriving at one
built ahead of time (`ahead`), only draws it. A screen may also be built ahead for a state the flow
is not in yet (`prepare`, for `views_ahead`): the guide of each service on the catalog.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, cast

from kivy.clock import Clock
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.layout import Layout
from kivy.uix.screenmanager import Screen
from kivy.uix.scrollview import ScrollView
from kivy.uix.widget import Widget

from kiosk.config import Config
from kiosk.flow.controller import FlowController, FlowView, Step
from kiosk.flow.devices import DeviceService
from kiosk.screens import theme
from kiosk.screens.theme import Theme
from kiosk.screens.widgets import BigButton, Keypad, Overlay, Panel, Text, spacer, type_key


class Ui:
    """What screens may use: the flow, the device service (for previews and touch signing), wording."""

    def __init__(self, flow: FlowController, devices: DeviceService, config: Config) -> None:
        self.flow = flow
        self.devices = devices
        self.config = config
        self.elderly = config.screen.elderly_mode
        self.theme = Theme.for_screen(config.screen, self.elderly)

    @property
    def language(self) -> str:
        return self.flow.language

    def tr(self, message_key: str, /, **params: object) -> str:
        return self.flow.tr(message_key, **params)

    def set_elderly(self, on: bool) -> None:
        self.elderly = on
        self.theme = Theme.for_screen(self.config.screen, on)


@dataclass
class Built:
    """A screen's widgets and what they were built from, kept aside (`FlowScreen.prepare`)."""

    widgets: list[Widget]
    actions: dict[str, Widget]
    state: tuple
    frame: tuple
    at_frame: int


class FlowScreen(Screen):
    step: ClassVar[Step]
    title_key: ClassVar[str]
    show_steps: ClassVar[bool] = True
    show_footer: ClassVar[bool] = True
    show_back: ClassVar[bool] = True
    ahead: ClassVar[tuple[Step, ...]] = ()  # screens usually next: built while this one waits
    built_at_frame = 0  # the frame count when refresh() last rebuilt the widgets
    built_state: tuple | None = None  # `state()` when the widgets were built
    built_frame: tuple = ()  # `frame_state()` when the widgets were built

    def __init__(self, ui: Ui) -> None:
        super().__init__(name=self.step.value)
        self.ui = ui
        self.actions: dict[str, Widget] = {}
        self._fingers: set[int] = set()
        self._stale = False
        self._view: FlowView | None = None  # the flow as `prepare` builds for
        self._prepared: dict[tuple, Built] = {}

    @property
    def t(self) -> Theme:
        return self.ui.theme

    @property
    def flow(self) -> FlowController:
        # while `prepare` builds: the flow as it would be, which reads like the flow
        return cast(FlowController, self._view or self.ui.flow)

    def action(self, name: str, widget: Widget) -> Widget:
        """Register a control under a stable name (for the demo's autopilot and UI tests)."""
        self.actions[name] = widget
        return widget

    def enter(self) -> None:
        """The flow arrives at this screen: reset what the screen shows of its own (a typed PIN, the
        focused field). Called before the first `refresh` of each visit."""

    def shown_state(self) -> tuple | None:
        """Everything of the flow's state (and the screen's own) that the body shows, or None (the
        default) when that is not known: then the screen is rebuilt whenever it is shown."""
        return None

    def state(self) -> tuple | None:
        """What the whole screen shows: the shared frame and `shown_state`."""
        shown = self.shown_state()
        return None if shown is None else (*self.frame_state(), shown)

    def frame_state(self) -> tuple:
        """What the frame around the body shows (title, steps, notice, footer, overlays); a screen
        may change its body in place while this stays as it was built (`built_frame`)."""
        flow = self.flow
        notice = flow.notice.message(self.ui.language) if flow.notice else ""
        service = flow.service.code if flow.service else ""
        return (*self.overlay_state(), self.ui.elderly, notice, service, tuple(flow.path()))

    def show(self) -> None:
        """Bring the widgets up to date with the flow: rebuilt unless they already show its state
        or were prepared for it."""
        prepared, self._prepared = self._prepared, {}
        if self._up_to_date():
            return
        built = prepared.get(self.state())
        if built is None:
            self.refresh()
        else:
            self._stale = False
            self._install(built)

    def views_ahead(self) -> list[tuple[Step, FlowView]]:
        """Screens to `prepare` while this one is shown, each with the flow as it would be."""
        return []

    def prepare(self, view: FlowView) -> None:
        """Build this screen, not shown now, as it would show `view`, and keep it aside: if the flow
        gets there, showing it only has to draw it. What it shows now is kept aside too."""
        if self.manager is not None and self.manager.current == self.name:
            return
        self._view = view
        try:
            state = self.state()
            if state is not None and state not in self._prepared:  # None: it cannot tell
                self._put_aside()
                self.refresh()
                self._put_aside()
        finally:
            self._view = None

    def _put_aside(self) -> None:
        if self.built_state is not None and self.children:
            widgets = list(reversed(self.children))  # in the order they were added
            self._prepared[self.built_state] = Built(
                widgets, self.actions, self.built_state, self.built_frame, self.built_at_frame
            )
        self._drop()

    def _install(self, built: Built) -> None:
        self.clear_widgets()
        for widget in built.widgets:
            self.add_widget(widget)
        self.actions = built.actions
        self.built_state, self.built_frame, self.built_at_frame = built.state, built.frame, built.at_frame

    def _up_to_date(self) -> bool:
        state = self.state()
        return state is not None and state == self.built_state

    def update(self) -> None:
        """The flow changed: show its new state. Never under a finger: a button rebuilt between
        press and release would lose the press. While the frame around the body shows what it was
        built with, a screen may bring its body up to date in place (`change_in_place`)."""
        if self._up_to_date():
            return
        if self._fingers:
            self._stale = True
            return
        if self.frame_state() == self.built_frame and self.change_in_place():
            return
        self.refresh()

    def change_in_place(self) -> bool:
        """Bring the body up to date without rebuilding the screen; False when it must be rebuilt
        (the default)."""
        return False

    def on_touch_down(self, touch) -> bool:
        self._fingers.add(touch.uid)
        return super().on_touch_down(touch)

    def on_touch_up(self, touch) -> bool:
        handled = super().on_touch_up(touch)
        self._fingers.discard(touch.uid)
        if not self._fingers and self._stale:
            Clock.schedule_once(self._catch_up, 0)  # after the pressed button has seen the release
        return handled

    def _catch_up(self, _dt: float) -> None:
        if self._stale and not self._fingers:
            self._stale = False
            self.refresh()

    def forget(self) -> None:
        """Drop the widgets, and with them whatever they showed of the last resident."""
        self._drop()
        self._prepared = {}

    def _drop(self) -> None:
        self.clear_widgets()
        self.actions = {}
        self.built_state = None

    def overlay_state(self) -> tuple:
        return (self.flow.help_open, self.flow.countdown, self.flow.muted, self.flow.language)

    def refresh(self) -> None:
        self._stale = False
        self.built_at_frame = Clock.frames_displayed
        self.built_state = self.state()
        self.built_frame = self.frame_state()
        self.clear_widgets()
        self.actions = {}
        # no background of its own: the window is cleared to PAPER, and with software GL a
        # screen-sized fill costs every frame 15-30 ms
        root = BoxLayout(orientation="vertical")
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
        if self.flow.countdown is not None:
            self.add_widget(self._countdown())
        elif self.flow.help_open:
            self.add_widget(self._help())
        if self.manager is not None and self.manager.get_root_window() is not None:  # not at start-up
            self.size = self.manager.size  # also when it is not shown (built ahead)
            lay_out_now(self)

    @abstractmethod
    def body(self) -> Widget:
        """The screen's own content."""

    def title_text(self) -> str:
        return self.ui.tr(self.title_key)

    def _title_bar(self) -> Widget:
        t = self.t
        bar = Panel(
            background=theme.PRIMARY,
            orientation="horizontal",
            size_hint_y=None,
            height=max(t.heading * 2.1, t.touch + t.gap * 0.6),
            padding=(t.gap * 2, t.gap * 0.3),
            spacing=t.gap,
        )
        title = Text(self.title_text(), t.heading, color=theme.PRIMARY_TEXT, bold=True, size_hint_x=2)
        texts = [title]
        service = self.flow.service
        if service and self.show_steps:
            label = service.name + (f"（{self.ui.tr('ui.sample')}）" if service.sample else "")
            texts.append(Text(label, t.small, color=theme.PRIMARY_TEXT, halign="right"))
        base_height = bar.height

        def fit_height(*_: object) -> None:
            bar.height = max(base_height, *(text.height + t.gap * 0.6 for text in texts))

        for text in texts:
            text.bind(height=fit_height)
            bar.add_widget(text)
        for widget in self.title_widgets():
            bar.add_widget(widget)
        sound = "ui.sound_off" if self.flow.muted else "ui.sound_on"
        for name, key, handler in (
            ("mute", sound, self.flow.toggle_mute),
            ("help", "ui.help_button", self.flow.show_help),
        ):
            button = BigButton(
                self.ui.tr(key),
                t,
                handler,
                primary=False,
                size_hint_x=None,
                width=t.mm(42),
                height=bar.height - t.gap * 0.6,
            )
            bar.add_widget(self.action(name, button))
        return bar

    def title_widgets(self) -> list[Widget]:
        """Anything a screen shows in its title bar, left of the sound and help buttons."""
        return []

    def _step_bar(self) -> Widget:
        t = self.t
        bar = Panel(orientation="horizontal", size_hint_y=None, height=t.small * 2.2, padding=(t.gap * 2, 0))
        path = self.flow.path()
        current = path.index(self.step) if self.step in path else len(path)
        for index, step in enumerate(path):
            done, here = index < current, index == current
            mark = "✓ " if done else f"{index + 1} "
            colour = theme.PRIMARY if here else theme.OK if done else theme.MUTED
            label = Text(
                mark + self.ui.tr(f"ui.step_{step.value}"), t.small, color=colour, bold=here, halign="center"
            )
            label.bind(
                height=lambda *_: setattr(
                    bar, "height", max([t.small * 2.2] + [c.height for c in bar.children])
                )
            )
            bar.add_widget(label)
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
        t = self.t
        bar = Panel(orientation="horizontal", size_hint_y=None, height=t.touch + t.gap * 1.5)
        bar.padding = (t.gap * 2, t.gap * 0.75)
        bar.spacing = t.gap
        if self.show_back:
            for name, key, handler in (
                ("back", "ui.back", self.flow.back),
                ("start_over", self.start_over_key(), self.flow.start_over),
            ):
                button = BigButton(
                    self.ui.tr(key), t, handler, primary=False, size_hint_x=None, width=t.mm(55)
                )
                bar.add_widget(self.action(name, button))
        bar.add_widget(spacer())
        for name, widget in self.footer_actions():
            bar.add_widget(self.action(name, widget))
        return bar

    def start_over_key(self) -> str:
        return "ui.start_over"

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

    def _help(self) -> Widget:
        t = self.t
        close = BigButton(self.ui.tr("ui.help_close"), t, self.flow.close_help)
        self.action("help_close", close)
        return Overlay(
            t,
            Text(self.ui.tr("ui.help_title"), t.heading, bold=True),
            Text(self.ui.tr(f"ui.help.{self.step.value}"), t.body),
            close,
        )

    def _countdown(self) -> Widget:
        t = self.t
        stay = BigButton(self.ui.tr("ui.idle.stay"), t, self.flow.touched, font_size=t.heading)
        self.action("stay", stay)
        return Overlay(
            t,
            Text(self.ui.tr("ui.idle.title"), t.heading, bold=True, halign="center"),
            Text(str(self.flow.countdown), t.hero, bold=True, color=theme.ALERT, halign="center"),
            Text(self.ui.tr("ui.idle.explain", seconds=self.flow.countdown), t.body, halign="center"),
            stay,
        )


def lay_out_now(widget: Widget) -> None:
    """Lay a freshly built tree out once, top-down, now. Left to Kivy's layout triggers the
    innermost boxes go first, at the 100 px every widget starts with, and each text would wrap and
    measure itself again at every width it passes through on the way to its own."""
    if isinstance(widget, Layout):
        widget.do_layout()
    elif isinstance(widget, ScrollView):
        widget.update_from_scroll()
    for child in widget.children:
        lay_out_now(child)


def panel_of(t: Theme, *children: Widget, **kwargs) -> Panel:
    """A white panel that takes its children's height (for lists inside scroll views)."""
    kwargs.setdefault("padding", t.gap * 0.6)
    kwargs.setdefault("spacing", t.gap * 0.3)
    panel = Panel(size_hint_y=None, **kwargs)
    for child in children:
        panel.add_widget(child)
    panel.bind(minimum_height=panel.setter("height"))
    return panel


class PinScreen(FlowScreen):
    """A screen that takes a six-digit PIN on the keypad, shown as dots; `submit_pin` checks it."""

    pin_length = 6

    def __init__(self, ui: Ui) -> None:
        super().__init__(ui)
        self.pin = ""

    def enter(self) -> None:
        self.pin = ""

    def pin_entry(self, *above: Widget, below: Widget | None = None) -> Widget:
        """Texts above the dots, an optional control below them, and the keypad at the right."""
        t = self.t
        row = BoxLayout(spacing=t.gap * 2)
        left = BoxLayout(orientation="vertical", spacing=t.gap)
        for widget in above:
            left.add_widget(widget)
        dots = "●" * len(self.pin) + "○" * (self.pin_length - len(self.pin))
        left.add_widget(Text(dots, t.hero, halign="center"))
        left.add_widget(spacer())
        if below is not None:
            left.add_widget(below)
        row.add_widget(left)
        labels = {k: self.ui.tr(f"ui.form.keypad_{k}") for k in ("clear", "delete")}
        row.add_widget(Keypad(t, self._press, labels, register=self.action))
        return row

    def _press(self, key: str) -> None:
        self.pin = type_key(self.pin, key, self.pin_length)
        if len(self.pin) == self.pin_length:
            pin, self.pin = self.pin, ""
            if self.submit_pin(pin):
                return
        self.refresh()

    @abstractmethod
    def submit_pin(self, pin: str) -> bool:
        """Hand the PIN to the flow; True when it moved on."""

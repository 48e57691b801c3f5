"""Technician screens: the PIN (after the hidden gesture) and diagnostics: per device its connection,
identity, a live test and last errors; the back office; the outbox; the log with export to USB; the
device ID card (设备身份证); and a button back to service."""

from __future__ import annotations

import time

from kivy.graphics import Color, Line, Rectangle
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.scrollview import ScrollView
from kivy.uix.widget import Widget

from kiosk.flow.bus import Event
from kiosk.flow.controller import Step
from kiosk.flow.diagnostics import DEVICES, SECTIONS
from kiosk.screens import theme
from kiosk.screens.base import FlowScreen, PinScreen, panel_of
from kiosk.screens.camera_preview import Preview
from kiosk.screens.widgets import BigButton, Panel, Text, column, flat_texture, spacer


class TechPinScreen(PinScreen):
    step = Step.TECH_PIN
    title_key = "ui.diag.pin_title"
    show_steps = False

    def body(self) -> Widget:
        return self.pin_entry(Text(self.ui.tr("ui.diag.pin_prompt"), self.t.heading, bold=True))

    def submit_pin(self, pin: str) -> bool:
        return self.flow.enter_technician_pin(pin)


class StrokeView(Widget):
    """The pad test: the strokes the pad (or a finger) drew, scaled to fit."""

    def __init__(self, strokes, **kwargs) -> None:
        super().__init__(**kwargs)
        self.strokes = strokes
        self.bind(pos=self.redraw, size=self.redraw)

    def redraw(self, *_: object) -> None:
        self.canvas.clear()
        points = [p for s in self.strokes for p in s]
        with self.canvas:
            Color(*theme.PANEL)
            Rectangle(pos=self.pos, size=self.size, texture=flat_texture())
            Color(*theme.INK)
            if not points:
                return
            width = max(p[0] for p in points) or 1
            height = max(p[1] for p in points) or 1
            scale = min(self.width / width, self.height / height) * 0.9
            for stroke in self.strokes:
                line = [c for x, y, *_ in stroke for c in (self.x + x * scale, self.top - y * scale)]
                if len(line) >= 4:
                    Line(points=line, width=2)


def scrolled(content: Widget, **kwargs) -> ScrollView:
    scroll = ScrollView(do_scroll_x=False, **kwargs)
    scroll.add_widget(content)
    return scroll


class DiagnosticsScreen(FlowScreen):
    step = Step.DIAGNOSTICS
    title_key = "ui.diag.title"
    show_steps = False

    def __init__(self, ui) -> None:
        super().__init__(ui)
        self.preview: Preview | None = None
        self.figures: Text | None = None
        ui.flow.bus.subscribe("camera.preview", self._on_preview)

    def start_over_key(self) -> str:
        return "ui.diag.back_to_service"

    def _on_preview(self, event: Event) -> None:
        if self.preview is not None and self.manager and self.manager.current == self.name:
            self.preview.show(event.data["frame"], event.data["corners"])
            facts = self.diag.reports["camera"].facts
            if self.figures is not None:
                self.figures.text = self._fact_lines(
                    [(k, facts.get(k, "")) for k in ("focus", "exposure", "page")]
                )

    @property
    def diag(self):
        return self.flow.diagnostics

    def body(self) -> Widget:
        t = self.t
        row = BoxLayout(spacing=t.gap * 1.5)
        menu = column(spacing=t.gap * 0.3)
        for section in SECTIONS:
            button = BigButton(
                self._menu_label(section),
                t,
                lambda s=section: self.flow.diagnose(s),
                primary=section == self.diag.section,
            )
            button.font_size = t.small
            menu.add_widget(self.action(f"section:{section}", button))
        row.add_widget(scrolled(menu, size_hint_x=None, width=t.mm(85)))
        self.preview = None
        row.add_widget(self._detail())
        return row

    def _menu_label(self, section: str) -> str:
        label = self.ui.tr(f"ui.diag.section_{section}")
        if section in DEVICES:
            connected = self.diag.reports[section].connected
            mark = "？" if connected is None else "✓" if connected else "✗"
            return f"{mark} {label}"
        return label

    def _detail(self) -> Widget:
        section = self.diag.section
        box = BoxLayout(orientation="vertical", spacing=self.t.gap * 0.6)
        box.add_widget(Text(self.ui.tr(f"ui.diag.section_{section}"), self.t.subheading, bold=True))
        builder = getattr(self, f"_{section}", None) or self._device
        for widget in builder():
            box.add_widget(widget)
        return box

    def _fact_lines(self, facts: list[tuple[str, str]]) -> str:
        return "\n".join(f"{self.ui.tr(f'ui.diag.fact_{k}')}：{v}" for k, v in facts if v != "")

    def _facts(self, facts: list[tuple[str, str]]) -> Widget:
        return panel_of(
            self.t, Text(self._fact_lines(facts) or self.ui.tr("ui.diag.not_checked"), self.t.small)
        )

    def _device(self) -> list[Widget]:
        t = self.t
        section = self.diag.section
        report = self.diag.reports[section]
        state = {None: "ui.diag.unknown", True: "ui.diag.connected", False: "ui.diag.disconnected"}[
            report.connected
        ]
        colour = {None: theme.MUTED, True: theme.OK, False: theme.ALERT}[report.connected]
        widgets: list[Widget] = [Text(self.ui.tr(state), t.body, bold=True, color=colour)]
        tests = BoxLayout(size_hint_y=None, height=t.touch, spacing=t.gap)
        tests.add_widget(
            self.action(
                "recheck",
                BigButton(
                    self.ui.tr("ui.diag.recheck"), t, lambda: self.flow.diagnose(section), primary=False
                ),
            )
        )
        live = {
            "idcard": ("ui.diag.test_read", self.diag.read_test_card),
            "printer": ("ui.diag.test_print", self.diag.print_test_page),
            "sigpad": ("ui.diag.test_clear", self.diag.clear_pad_test),
        }.get(section)
        if live:
            tests.add_widget(self.action("test", BigButton(self.ui.tr(live[0]), t, live[1])))
        widgets.append(tests)
        live_row = BoxLayout(spacing=t.gap)
        self.figures = Text("", t.small, color=theme.PRIMARY)
        live_row.add_widget(
            scrolled(column(self._facts(sorted(report.facts.items())), self.figures, spacing=t.gap * 0.3))
        )
        if section == "camera":
            self.preview = Preview()
            live_row.add_widget(self.preview)
        elif section == "sigpad":
            live_row.add_widget(StrokeView(self.diag.strokes))
        widgets.append(live_row)
        widgets.append(Text(self.ui.tr("ui.diag.last_errors"), t.small, bold=True))
        errors = list(self.diag.errors[section])[-4:]
        lines = [
            f"{time.strftime('%H:%M:%S', time.localtime(e.at))}  {e.code}  {e.detail}"
            for e in reversed(errors)
        ]
        widgets.append(
            panel_of(
                t,
                Text(
                    "\n".join(lines) or self.ui.tr("ui.diag.no_errors"),
                    t.small,
                    color=theme.ALERT if lines else theme.MUTED,
                ),
            )
        )
        return widgets

    def _network(self) -> list[Widget]:
        t = self.t
        return [
            self._facts(sorted(self.diag.network.items())),
            self.action(
                "recheck",
                BigButton(
                    self.ui.tr("ui.diag.recheck"), t, lambda: self.flow.diagnose("network"), primary=False
                ),
            ),
            spacer(),
        ]

    def _outbox(self) -> list[Widget]:
        t = self.t
        summary = self.diag.outbox_summary()
        return [
            self.action("retry", BigButton(self.ui.tr("ui.diag.retry"), t, self.diag.retry_outbox)),
            scrolled(self._facts([(k, str(v)) for k, v in summary.items()])),
        ]

    def _logs(self) -> list[Widget]:
        t = self.t
        lines = self.diag.log_ring.lines()[-40:]
        scroll = ScrollView(do_scroll_x=False)
        scroll.add_widget(column(Text("\n".join(reversed(lines)) or "—", t.small * 0.8)))
        export = BigButton(
            self.ui.tr("ui.diag.export", folder=self.flow.config.terminal.export_dir),
            t,
            self.flow.export_logs,
        )
        return [self.action("export", export), scroll]

    def _identity(self) -> list[Widget]:
        card = Panel(padding=self.t.gap, spacing=self.t.gap * 0.3, size_hint_y=None)
        for key, value in self.diag.identity():
            card.add_widget(Text(f"{self.ui.tr(f'ui.diag.id_{key}')}：{value or '—'}", self.t.body))
        card.bind(minimum_height=card.setter("height"))
        return [scrolled(card)]

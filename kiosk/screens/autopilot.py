"""The demo's autopilot: drives the real Kivy app with simulated touches through one resident
transaction, and saves a screenshot of every screen on the way.

The resident's hands on the devices (card, pages, pen) are the demo rig's simulators.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from kivy.base import EventLoop
from kivy.clock import Clock
from kivy.input.motionevent import MotionEvent
from kivy.uix.scrollview import ScrollView
from kivy.uix.widget import Widget

from kiosk.demo import DemoResult, DemoRig, delivered, form_answers, materials_to_capture
from kiosk.errors import KioskError
from kiosk.flow.controller import Step
from kiosk.flow.terminal import Terminal
from kiosk.screens.form import KEYPAD_TYPES
from kiosk.screens.widgets import save_png

SETTLE_S = 0.6  # let the new screen lay out and draw before the screenshot
SETTLE_FRAMES = 5
STEP_TIMEOUT_S = 40.0
AUTO_CAPTURE_WAIT_S = 3.0
PINYIN = {"示例": "shili"}  # how the demo's sample text is spelled on the keyboard
_touch_ids = itertools.count(1)

Wait = Callable[[], bool]


class Finger(MotionEvent):
    """A touch at window coordinates, fed through Kivy's input pipeline like a real one."""

    def __init__(self, x: float, y: float) -> None:
        window = EventLoop.window
        super().__init__(
            "autopilot",
            next(_touch_ids),
            {"x": x / window.width, "y": y / window.height},
            is_touch=True,
            type_id="touch",
        )

    def depack(self, args: dict) -> None:
        self.sx, self.sy = args["x"], args["y"]
        super().depack(args)


def scroll_into_view(widget: Widget) -> bool:
    """Scroll the list a control is in until it shows, as a person would before touching it;
    False when it is in no list."""
    scroller = next((w for w in iter_parents(widget) if isinstance(w, ScrollView)), None)
    if scroller is not None:
        scroller.scroll_to(widget, padding=20, animate=False)
    return scroller is not None


def iter_parents(widget: Widget) -> Iterator[Widget]:
    while widget.parent is not None and widget.parent is not widget:
        widget = widget.parent
        yield widget


def tap(widget: Widget) -> None:
    """Press and, a tenth of a second later, lift: scroll views need a real tap's duration."""
    x, y = widget.to_window(*widget.center)
    finger = Finger(x, y)
    EventLoop._dispatch_input("begin", finger)
    Clock.schedule_once(lambda _dt: EventLoop._dispatch_input("end", finger), 0.1)


def tap_when_drawn(widget: Widget, frames: int = 2) -> None:
    """Tap once `frames` frames have been drawn: a scrolled or rebuilt screen is laid out on the
    next frame, which on a loaded machine can come later than any fixed delay."""
    start = Clock.frames_displayed

    def attempt(_dt: float) -> None:
        if Clock.frames_displayed - start < frames:
            Clock.schedule_once(attempt, 0.05)
        else:
            tap(widget)

    Clock.schedule_once(attempt, 0.05)


class Autopilot:
    def __init__(self, rig: DemoRig, terminal: Terminal, service_code: str, out_dir: Path) -> None:
        self.rig = rig
        self.terminal = terminal
        self.flow = terminal.flow
        self.service_code = service_code
        self.out_dir = out_dir
        self.screenshots: list[str] = []
        self.expecting = ""  # what the current wait is for, when the step alone does not say
        self.error: KioskError | None = None
        self.done = False

    def __call__(self, app) -> None:
        self.app = app
        self.script = self.steps()
        self.waiting: Wait = lambda: True
        self.deadline = time.monotonic() + STEP_TIMEOUT_S
        self.settled_at: float | None = None
        Clock.schedule_interval(self._tick, 0.1)

    def _tick(self, _dt: float) -> bool:
        if not self.waiting():
            if time.monotonic() > self.deadline:
                notice = self.flow.notice.code if self.flow.notice else ""
                self._fail(f"timed out at {self.flow.step} ({notice}) {self.expecting}".rstrip())
                return False
            return True
        now = time.monotonic()
        if self.settled_at is None:
            self.settled_at, self.settled_frame = now, Clock.frames_displayed
        if now - self.settled_at < SETTLE_S or Clock.frames_displayed - self.settled_frame < SETTLE_FRAMES:
            return True  # a loaded machine draws slowly: wait for frames, not only for time
        self.settled_at = None
        try:
            self.waiting = next(self.script)
            self.deadline = time.monotonic() + STEP_TIMEOUT_S
        except StopIteration:
            self.done = True
            self.app.stop()
            return False
        except KioskError as e:
            self._fail(e.detail or str(e))
            return False
        return True

    def _fail(self, reason: str) -> None:
        self.error = KioskError("DEMO_FAILED", reason=reason)
        self.app.stop()

    def shoot(self, name: str) -> None:
        """Save the screen once it has been laid out and drawn since it was last rebuilt (an event
        may rebuild it just before the shot; its new widgets are placed on the next frame)."""
        self.out_dir.mkdir(parents=True, exist_ok=True)
        path = self.out_dir / f"{len(self.screenshots) + 1:02d}-{name}.png"
        self.screenshots.append(str(path))
        screen = self.app.screen(self.flow.step)

        def export(_dt: float) -> None:
            if Clock.frames_displayed - screen.built_at_frame < SETTLE_FRAMES:
                Clock.schedule_once(export, 0.05)
            else:
                save_png(self.app.root, str(path))

        export(0)

    def press(self, name: str) -> None:
        """Tap a named control, scrolling it into view first as a person would."""
        screen = self.app.screen(self.flow.step)
        if name not in screen.actions:
            raise KioskError("DEMO_FAILED", reason=f"no control {name} on {self.flow.step}")
        widget = screen.actions[name]
        scroll_into_view(widget)
        tap_when_drawn(widget)

    def at(self, step: Step) -> Wait:
        return lambda: self.flow.step == step

    def steps(self) -> Iterator[Wait]:
        flow, rig = self.flow, self.rig
        self.shoot("attract")
        self.press("start")
        yield self.at(Step.CATALOG)
        self.shoot("catalog")
        self.press(f"service:{self.service_code}")
        yield self.at(Step.GUIDE)
        self.shoot("guide")
        self.press("next")
        yield self.at(Step.IDENTIFY)
        self.shoot("identify")
        rig.place_card()
        yield self.at(Step.MATERIALS)
        rig.lift_card()
        for number, material in enumerate(materials_to_capture(flow.service)):
            before = len(flow.application.pages)
            rig.place_material(material)  # a page lying still is captured by itself
            if number == 0:
                yield self._preview_shows_page()
                self.shoot("materials-preview")
            give_up = time.monotonic() + AUTO_CAPTURE_WAIT_S
            yield (
                lambda before=before, give_up=give_up: (
                    len(flow.application.pages) > before or time.monotonic() > give_up
                )
            )
            if len(flow.application.pages) == before:  # not captured by itself: touch "capture"
                self.press(f"capture:{material.key}")
                yield lambda before=before: len(flow.application.pages) > before
            rig.mat.clear()  # the resident takes the page away
            yield self._preview_shows_empty_mat()
        self.shoot("materials-captured")
        self.press("next")
        yield self.at(Step.FORM)
        yield from self._fill_form()
        self.shoot("form")
        self.press("next")
        yield self.at(Step.SIGN)
        yield lambda: rig.sigpad.replays >= 1 and bool(flow.strokes)
        self.shoot("sign")
        self.press("next")
        yield self.at(Step.REVIEW)
        self.shoot("review")
        self.press("submit")
        yield lambda: flow.step == Step.RECEIPT and flow.print_state in ("done", "failed")
        self.shoot("receipt")
        bundle_id = flow.submitted.bundle_id
        yield lambda: delivered(self.terminal, rig, bundle_id)
        self.result = DemoResult(flow.submitted.case_number, bundle_id, rig.receipt_png(), True)
        self.press("done")
        yield self.at(Step.RATING)
        self.press("rate:very_satisfied")
        yield lambda: True
        self.press("reason:easy")
        yield lambda: True
        self.shoot("rating")
        self.press("send")
        yield self.at(Step.FAREWELL)
        self.shoot("farewell")
        self.press("done")
        yield self.at(Step.ATTRACT)

    def _preview_shows_page(self) -> Wait:
        shown_after = time.monotonic() + 0.5  # a preview frame taken after the page was laid down
        screen = self.app.screen(Step.MATERIALS)
        return lambda: (
            time.monotonic() > shown_after
            and screen.preview is not None
            and screen.preview.corners is not None
        )

    def _preview_shows_empty_mat(self) -> Wait:
        shown_after = time.monotonic() + 0.5
        return lambda: time.monotonic() > shown_after and self.flow.mat_outline is None

    def _fill_form(self) -> Iterator[Wait]:
        answers = form_answers(self.flow.service.form)
        screen = self.app.screen(Step.FORM)
        for spec in self.flow.service.form:
            value = answers[spec.key]
            if spec.type == "choice":
                self.press(f"choice:{spec.key}:{value}")
                yield lambda: True
            else:
                self.press(f"field:{spec.key}")
                yield lambda: True
                keys = [f"key:{c}" for c in value if c.isdigit()] if spec.type in KEYPAD_TYPES else []
                for key in keys or [f"letter:{c}" for c in PINYIN[value]]:
                    self.press(key)
                    yield lambda: True
                if not keys:
                    self.press(self._candidate(value))
                    yield lambda: True
            self.expecting = f"form field {spec.key}"
            typed = value.replace("-", "")  # a date shows its dashes by itself
            yield lambda key=spec.key, typed=typed: screen.values.get(key, "").replace("-", "") == typed
            self.expecting = ""

    def _candidate(self, word: str) -> str:
        """The name of the pinyin keyboard's candidate button showing `word`."""
        actions = self.app.screen(self.flow.step).actions
        return next(n for n, w in actions.items() if n.startswith("candidate:") and w.source_text == word)

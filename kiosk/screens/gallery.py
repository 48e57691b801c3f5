"""The screen gallery: every screen of the app, at each panel size, in each language and in normal and
elderly mode, staged through the real flow on the demo's simulated devices; each one checked for
text that does not fit (kiosk.screens.fit) and, if asked, saved as a PNG (`kiosk screens`).

Run inside a Kivy window (prepare() first); it resizes the window and puts it back afterwards.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from kivy.base import EventLoop
from kivy.core.window import Window
from PIL import Image

from kiosk.config import with_overrides
from kiosk.demo import DemoRig, form_answers, materials_to_capture
from kiosk.flow.controller import Step
from kiosk.flow.diagnostics import hash_pin
from kiosk.flow.terminal import Terminal
from kiosk.i18n import LANGUAGES
from kiosk.screens.app import KioskApp
from kiosk.screens.fit import problems
from kiosk.screens.widgets import save_png
from kiosk.sim import people

SIZES = ((1920, 1080, 476.0, 268.0), (1280, 800, 476.0, 297.0))  # pixels and the panel's millimetres
SERVICE = "senior-age-allowance"
GALLERY_PIN = "000000"
STEP_TIMEOUT_S = 60.0


def compress(path: Path) -> None:
    """Flat colours and text: a 256-colour palette keeps them sharp at a fifth of the size."""
    with Image.open(path) as image:
        palette = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    palette.save(path, optimize=True)


@dataclass
class Gallery:
    out_dir: Path | None
    sizes: tuple = SIZES
    languages: tuple[str, ...] = LANGUAGES
    modes: tuple[bool, ...] = (False, True)
    found: list[str] = field(default_factory=list)
    saved: list[Path] = field(default_factory=list)

    def run(self, workdir: Path) -> list[str]:
        if self.out_dir is not None:  # this gallery's folders only: docs/screens holds others' pictures too
            for width, height, *_ in self.sizes:
                shutil.rmtree(self.out_dir / f"{width}x{height}", ignore_errors=True)
        agent = people.resident(name="李秀英", sex_code="2", birth="19780512", sequence=37)
        original = Window.size
        with DemoRig(workdir) as rig:
            config = with_overrides(
                rig.config, {"terminal.technician_pin_hash": hash_pin(GALLERY_PIN), "terminal.speech": False}
            )
            from kiosk.backoffice import agent_registry  # the demo world's township (a dev extra)

            agent_registry.add_agent(rig.app.state.store, agent.name, "示例村", agent.id_number, GALLERY_PIN)
            terminal = Terminal(config).start()
            self.flow, self.rig, self.agent = terminal.flow, rig, agent
            self.app = KioskApp(terminal)
            self.app._run_prepare()
            try:
                self.until(lambda: bool(terminal.agents.agents()), "the agent register")
                for number, name in enumerate(self.stages(), start=1):
                    self.shoot(number, name)
            finally:
                self.app.dispatch("on_stop")
                for child in list(Window.children):
                    Window.remove_widget(child)
                terminal.stop()
                Window.size = original
        return self.found

    # --- driving ---

    def pump(self, seconds: float = 0.3) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            EventLoop.idle()

    def until(self, condition: Callable[[], bool], what: str) -> None:
        end = time.monotonic() + STEP_TIMEOUT_S
        while not condition():
            if time.monotonic() > end:
                raise TimeoutError(f"gallery: {what} at {self.flow.step}")
            EventLoop.idle()

    def stages(self) -> Iterator[str]:
        """Bring the flow to each screen in turn; yields the screenshot's name."""
        flow, rig = self.flow, self.rig
        yield "attract"
        flow.start()
        yield "catalog"
        flow.show_help()
        yield "catalog-help"
        flow.close_help()
        flow.choose_service(SERVICE)
        yield "guide"
        flow.accept_guide()
        yield "identify"
        rig.place_card()
        self.until(lambda: flow.step == Step.MATERIALS, "card")
        rig.lift_card()
        first, *rest = materials_to_capture(flow.service)
        rig.place_material(first)
        self.until(lambda: len(flow.application.pages) == 1, "auto-capture")
        for material in rest:
            rig.place_material(material)
            flow.capture(material.key)
            self.until(lambda: not flow.capturing, "capture")
        self.pump(1.0)
        yield "materials"
        flow.finish_materials()
        yield "form"
        flow.countdown = 17
        yield "form-countdown"
        flow.countdown = None
        assert flow.submit_form(form_answers(flow.service.form))
        self.until(lambda: sum(map(len, flow.strokes)) > 60, "signature")
        yield "sign"
        flow.finish_signature()
        yield "review"
        yield "submit"
        flow.confirm()
        self.until(lambda: flow.step == Step.RECEIPT and flow.print_state in ("done", "failed"), "receipt")
        submitted = flow.submitted
        yield "receipt"
        flow.finish()
        yield "rating"
        flow.rate("satisfied", ["easy"])
        rig.mat.clear()
        self.until(lambda: flow.mat_clear is not None, "mat check")
        yield "farewell"
        flow.farewell_done()
        flow.open_status()
        yield "status"
        flow.query_status(submitted.case_number, rig.resident.id_number[-6:])
        yield "status-result"
        flow.end_session()
        flow.open_agent_signin()
        yield "agent-signin"
        rig.idcard.place(self.agent)
        self.until(lambda: flow.agent_card is not None, "agent card")
        rig.idcard.lift()
        yield "agent-pin"
        flow.enter_agent_pin(GALLERY_PIN)
        flow.new_application()
        flow.choose_service(SERVICE)
        flow.accept_guide()
        rig.place_card()
        self.until(lambda: flow.step == Step.CONSENT, "resident card")
        rig.lift_card()
        self.until(lambda: sum(map(len, flow.strokes)) > 60, "consent signature")
        yield "consent"
        returned = self.submit_as_agent()
        flow.outbox.set_decision(returned, "returned", "户口簿页面不清晰，请重拍老年人本人页")
        flow.new_application()
        flow.start_over()  # back to the list, read afresh
        yield "agent-cases"
        flow.end_session()
        for _ in range(5):
            flow.secret_tap()
        yield "technician-pin"
        flow.enter_technician_pin(GALLERY_PIN)
        self.until(lambda: all(r.connected is not None for r in flow.diagnostics.reports.values()), "checks")
        yield "diagnostics"
        flow.diagnose("identity")
        yield "diagnostics-identity"
        flow.end_session()

    def submit_as_agent(self) -> str:
        """From the consent to the agent's case list; returns the case number."""
        flow, rig = self.flow, self.rig
        flow.finish_consent()
        for material in materials_to_capture(flow.service):
            rig.place_material(material)
            count = len(flow.application.pages)
            flow.capture(material.key)
            self.until(lambda count=count: len(flow.application.pages) > count, "capture")
        flow.finish_materials()
        flow.submit_form(form_answers(flow.service.form))
        self.until(lambda: sum(map(len, flow.strokes)) > 60, "agent signature")
        flow.finish_signature()
        flow.confirm()
        self.until(lambda: flow.step == Step.RECEIPT, "receipt")
        case_number = flow.submitted.case_number
        flow.finish()
        flow.farewell_done()
        return case_number

    # --- looking ---

    def shoot(self, number: int, name: str) -> None:
        flow = self.flow
        for width, height, width_mm, height_mm in self.sizes:
            screen_config = flow.config.screen
            screen_config.width_px, screen_config.height_px = width, height
            screen_config.width_mm, screen_config.height_mm = width_mm, height_mm
            Window.size = (width, height)
            for language in self.languages:
                for elderly in self.modes:
                    flow.language, flow.elderly = language, elderly
                    self.app.ui.set_elderly(elderly)
                    self.app._build_screens()
                    screen = self.app.screen(Step.SUBMIT if name == "submit" else flow.step)
                    if name == "submit":
                        screen.refresh()
                        self.app.manager.current = screen.name
                    self.pump(0.25)
                    if getattr(screen, "preview", None) is not None:
                        self.until(lambda screen=screen: screen.preview.texture is not None, "camera preview")
                    label = f"{width}x{height}/{language}{'-elderly' if elderly else ''}/{number:02d}-{name}"
                    self.found += [f"{label}: {p}" for p in problems(self.app.root)]
                    if self.out_dir is not None:
                        path = self.out_dir / f"{label}.png"
                        path.parent.mkdir(parents=True, exist_ok=True)
                        save_png(self.app.root, str(path))
                        compress(path)
                        self.saved.append(path)
        flow.language, flow.elderly = flow.config.terminal.language, flow.config.screen.elderly_mode

"""The camera inside the device service and the flow: preview events, auto-capture, the material PDF."""

import pytest

from kiosk import config as config_module
from kiosk.demo import identify, materials_to_capture, wait
from kiosk.flow.terminal import Terminal


@pytest.fixture
def terminal(rig):
    rig.config = config_module.with_overrides(rig.config, {"devices.camera.hold_s": 0.5})
    term = Terminal(rig.config).start()
    yield term
    term.stop()


def test_a_page_left_on_the_mat_is_captured_by_itself_once(rig, terminal):
    flow = identify(terminal, rig)
    previews = []
    terminal.bus.subscribe("camera.preview", lambda e: previews.append(e.data))
    first = materials_to_capture(flow.service)[0]
    rig.place_material(first)
    wait(terminal, lambda: len(flow.application.pages) == 1, "auto-capture")
    assert flow.application.pages[0].material_key == first.key
    assert any(0 < p["progress"] < 1 for p in previews)  # the ring was seen counting down
    terminal.bus.run_until(lambda: False, 2.0)  # the page stays on the mat
    assert len(flow.application.pages) == 1
    assert f"material-{first.key}.pdf" in flow.store.names()
    assert flow.file(f"material-{first.key}.pdf").startswith(b"%PDF")


def test_a_captured_page_reports_its_dpi_and_quality(rig, terminal):
    flow = identify(terminal, rig)
    captured = []
    terminal.bus.subscribe("page.captured", lambda e: captured.append(e.data))
    material = materials_to_capture(flow.service)[0]
    rig.place_material(material)
    flow.capture(material.key)
    wait(terminal, lambda: bool(captured), "capture")
    page = captured[0]
    assert page["dpi"] >= 200 and page["warnings"] == [] and page["jpeg"][13:14] == b"\x01"
    assert page["original_jpeg"][:2] == b"\xff\xd8" and page["sharpness"] > 0.11

"""Headless transactions through the same flow controller the Kivy screens drive."""

import pytest

from kiosk.demo import capture_materials, form_answers, identify, materials_to_capture, run_headless, wait
from kiosk.flow.controller import Step
from kiosk.flow.terminal import Terminal


def all_bytes_under(folder):
    return b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())


@pytest.fixture
def terminal(rig):
    term = Terminal(rig.config).start()
    yield term
    term.stop()


def test_a_resident_transaction_reaches_the_township_verified(rig):
    result = run_headless(rig)
    assert result.verified
    assert len(result.case_number) == 15 and result.case_number.isdigit()
    assert "申请人：王*国" in result.receipt_text
    assert rig.app.state.store.case(result.case_number)["state"] == "received"


def test_what_stays_on_the_terminal_after_a_transaction_is_nothing_personal(rig):
    run_headless(rig)
    kept = all_bytes_under(rig.workdir / "kiosk-data")
    for secret in (rig.resident.name, rig.resident.id_number):
        for encoding in ("utf-8", "utf-16-le", "gb18030"):
            assert secret.encode(encoding) not in kept


def test_ending_a_session_midway_wipes_everything_personal(rig, terminal):
    flow = identify(terminal, rig)
    material = materials_to_capture(flow.service)[0]
    rig.place_material(material)
    flow.capture(material.key)
    wait(terminal, lambda: len(flow.application.pages) == 1, "capture")
    assert flow.store.names()  # encrypted working files exist during the session
    flow.start_over()
    assert flow.step == Step.ATTRACT and flow.application is None and flow.strokes == []
    kept = all_bytes_under(rig.workdir / "kiosk-data")
    assert rig.resident.name.encode("utf-16-le") not in kept and rig.resident.id_number.encode() not in kept
    assert not list((rig.workdir / "kiosk-data" / "session").iterdir())


def test_working_files_are_unreadable_on_disk_during_the_session(rig, terminal):
    flow = identify(terminal, rig)
    assert (flow.store.dir / "idcard_text.bin").exists()
    on_disk = all_bytes_under(flow.store.dir)
    assert rig.resident.id_number.encode("utf-16-le") not in on_disk


def test_leaving_out_a_required_material_is_named(rig, terminal):
    flow = identify(terminal, rig)
    flow.finish_materials()
    assert flow.step == Step.MATERIALS
    assert flow.notice.code == "FLOW_MATERIAL_MISSING"
    assert "户口簿" in flow.notice.message()


def test_form_errors_are_per_field_and_block_the_next_step(rig, terminal):
    flow = identify(terminal, rig)
    capture_materials(terminal, rig)
    flow.finish_materials()
    answers = form_answers(flow.service.form) | {"phone": "12345"}
    assert not flow.submit_form(answers)
    assert flow.step == Step.FORM and set(flow.form_errors) == {"phone"}
    assert flow.form_errors["phone"].code == "FORM_INVALID_PHONE"


def test_back_walks_the_steps_and_start_over_ends_the_session(rig, terminal):
    flow = identify(terminal, rig)
    flow.back()
    assert flow.step == Step.IDENTIFY
    flow.back()
    assert flow.step == Step.GUIDE
    flow.start_over()
    assert flow.step == Step.ATTRACT and flow.store is None


def test_a_blank_page_on_the_mat_is_not_captured(rig, terminal):
    flow = identify(terminal, rig)
    rig.mat.clear()
    flow.capture(materials_to_capture(flow.service)[0].key)
    wait(terminal, lambda: flow.notice is not None, "notice")
    assert flow.notice.code == "CAMERA_NO_PAGE" and flow.application.pages == []

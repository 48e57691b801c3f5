"""Sessions through the flow controller: idle timeout and wipe, spoken guidance, status query, rating,
village agent with consent and corrections, technician diagnostics."""

import json

import pytest

from kiosk.backoffice.casework import Material
from kiosk.config import with_overrides
from kiosk.demo import capture_materials, delivered, form_answers, identify, materials_to_capture, wait
from kiosk.flow.controller import Step
from kiosk.flow.diagnostics import hash_pin
from kiosk.flow.speech import Speaker
from kiosk.flow.status import RatingLog
from kiosk.flow.terminal import Terminal
from tests.conftest import AGENT_PIN

TECH_PIN = "135790"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def spoken():
    return []


@pytest.fixture
def terminal(rig, agent_card, spoken, tmp_path):
    config = with_overrides(
        rig.config,
        {
            "terminal.technician_pin_hash": hash_pin(TECH_PIN),
            "terminal.export_dir": str(tmp_path / "usb"),
            "terminal.idle_timeout_s": 60.0,
        },
    )
    speaker = Speaker(play=False, sink=lambda text, wav: spoken.append((text, wav)))
    term = Terminal(config, speaker=speaker).start()
    wait(term, lambda: bool(term.agents.agents()), "the agent register")
    yield term
    term.stop()


HUKOU = Material("hukou", "户口簿")  # what the township asks to be corrected


def everything_on_disk(folder):
    return b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())


def personal(card):
    return [card.name.encode(e) for e in ("utf-8", "utf-16-le")] + [
        card.id_number.encode(e) for e in ("ascii", "utf-16-le")
    ]


def through_materials(terminal, rig):
    capture_materials(terminal, rig)
    terminal.flow.finish_materials()


def signed(terminal, rig, finish):
    replays = rig.sigpad.replays
    wait(terminal, lambda: rig.sigpad.replays > replays and len(terminal.flow.strokes) > 0, "pen")
    wait(terminal, lambda: sum(map(len, terminal.flow.strokes)) > 30, "strokes")
    assert finish()


def submit_rest(terminal, rig):
    """From the form to the printed receipt."""
    flow = terminal.flow
    assert flow.submit_form(form_answers(flow.service.form))
    signed(terminal, rig, flow.finish_signature)
    flow.confirm()
    wait(terminal, lambda: flow.step == Step.RECEIPT and flow.print_state in ("done", "failed"), "receipt")
    return flow.submitted


def resident_case(terminal, rig):
    identify(terminal, rig)
    rig.lift_card()
    through_materials(terminal, rig)
    return submit_rest(terminal, rig)


def test_the_flow_as_touching_a_service_would_leave_it_is_what_the_touch_does(terminal):
    flow = terminal.flow
    clock = FakeClock()
    flow.clock = clock
    flow.start()
    for service in flow.services("", ""):
        flow.show_help()  # choosing closes it
        clock.now += 61
        flow.tick()  # and the touch ends the idle countdown
        view = flow.as_if_chosen(service.code)
        foreseen = (view.step, view.service, view.help_open, view.countdown, view.path())
        assert (flow.step, flow.help_open) == (Step.CATALOG, True)  # looking ahead changed nothing
        assert flow.countdown is not None
        flow.touched()
        flow.choose_service(service.code)
        assert foreseen == (flow.step, flow.service, flow.help_open, flow.countdown, flow.path())
        flow.back()


def test_idle_session_counts_down_then_wipes_everything_personal(terminal, rig):
    flow = terminal.flow
    clock = FakeClock()
    flow.clock = clock
    flow.start()
    flow.choose_service("senior-age-allowance")
    flow.accept_guide()
    flow.touched()
    rig.place_card()
    wait(terminal, lambda: flow.step == Step.MATERIALS, "card")
    material = materials_to_capture(flow.service)[0]
    rig.place_material(material)
    flow.capture(material.key)
    wait(terminal, lambda: len(flow.application.pages) == 1, "capture")
    clock.now += 59
    flow.tick()
    assert flow.countdown is None
    clock.now += 2
    flow.tick()
    assert flow.countdown == 19 and flow.step == Step.MATERIALS
    flow.touched()  # someone is still there: the countdown stops
    assert flow.countdown is None
    clock.now += 61
    flow.tick()
    clock.now += 20
    flow.tick()
    assert flow.step == Step.ATTRACT
    assert flow.application is None and flow.store is None and flow.strokes == []
    kept = everything_on_disk(rig.workdir / "kiosk-data")
    for secret in personal(rig.resident):
        assert secret not in kept
    assert not list((rig.workdir / "kiosk-data" / "session").iterdir())


def test_every_step_is_spoken_without_blocking_and_mute_silences(terminal, spoken):
    flow = terminal.flow
    flow.start()
    wait(terminal, lambda: terminal.speaker.idle() and spoken, "speech")
    text, wav = spoken[-1]
    assert text == flow.tr("ui.speak.catalog") and wav[:4] == b"RIFF" and len(wav) > 10_000
    flow.toggle_mute()
    flow.choose_service("senior-age-allowance")
    wait(terminal, terminal.speaker.idle, "speech")
    assert spoken[-1][0] == text  # muted: the guide was not spoken
    flow.show_help()
    assert flow.help_open


def case_to_query(terminal, rig):
    """A resident's case done, and the next person at the status query."""
    flow = terminal.flow
    submitted = resident_case(terminal, rig)
    flow.finish()
    flow.skip_rating()
    flow.farewell_done()
    flow.open_status()
    return submitted


def test_status_query_needs_the_case_number_and_the_last_six_digits(terminal, rig):
    flow = terminal.flow
    submitted = case_to_query(terminal, rig)
    assert not flow.query_status(submitted.case_number, "000000")
    assert flow.notice.code == "STATUS_NOT_FOUND"
    assert flow.query_status(submitted.case_number, rig.resident.id_number[-6:])
    assert flow.case_status.masked_name == "王*国" and flow.case_status.state in ("sealed", "delivered")


def test_the_receipt_qr_code_held_under_the_camera_finds_the_case(terminal, rig):
    flow = terminal.flow
    submitted = case_to_query(terminal, rig)
    terminal.bus.publish("code.read", text=submitted.receipt["status_url"], kind="QRCODE")
    wait(terminal, lambda: flow.case_status is not None, "scan")
    assert flow.case_status.case_number == submitted.case_number


def test_rating_keeps_no_personal_data_and_the_farewell_checks_the_mat(terminal, rig):
    flow = terminal.flow
    submitted = resident_case(terminal, rig)
    flow.finish()
    assert flow.step == Step.RATING and flow.application is None and flow.store is None
    flow.rate("satisfied", ["easy", "fast"])
    assert flow.step == Step.FAREWELL
    rig.mat.clear()
    wait(terminal, lambda: flow.mat_clear is True, "empty mat")
    flow.farewell_done()
    assert flow.step == Step.ATTRACT
    records = RatingLog(flow.config.data_dir).records()
    assert records[-1]["case_number"] == submitted.case_number and records[-1]["level"] == "satisfied"
    assert rig.resident.name not in json.dumps(records, ensure_ascii=False)


def sign_in_agent(terminal, rig, agent_card, pin=AGENT_PIN):
    flow = terminal.flow
    flow.open_agent_signin()
    rig.idcard.place(agent_card)
    wait(terminal, lambda: flow.agent_card is not None, "agent card")
    rig.idcard.lift()
    return flow.enter_agent_pin(pin)


def agent_case(terminal, rig, agent_card):
    flow = terminal.flow
    assert sign_in_agent(terminal, rig, agent_card)
    flow.new_application()
    flow.choose_service("senior-age-allowance")
    flow.accept_guide()
    rig.place_card()
    wait(terminal, lambda: flow.step == Step.CONSENT, "resident card")
    rig.lift_card()
    assert rig.resident.name[0] in flow.consent_text()
    signed(terminal, rig, flow.finish_consent)
    assert flow.step == Step.MATERIALS
    through_materials(terminal, rig)
    return submit_rest(terminal, rig)


def test_an_agent_submission_records_agent_resident_and_consent(terminal, rig, agent_card):
    flow = terminal.flow
    submitted = agent_case(terminal, rig, agent_card)
    wait(
        terminal,
        lambda: (rig.workdir / "backoffice" / "cases" / submitted.bundle_id / "manifest.json").exists(),
        "delivery",
    )
    manifest = json.loads(
        (rig.workdir / "backoffice" / "cases" / submitted.bundle_id / "manifest.json").read_text()
    )
    application = manifest["application"]
    assert application["channel"] == "agent"
    assert application["agent"]["id_number"] == agent_card.id_number
    assert application["applicant"]["id_number"] == rig.resident.id_number
    assert (
        application["consent"]["signature_file"] == "consent.png"
        and "李*英" in application["consent"]["text"]
    )
    assert submitted.receipt["agent_name"] == "李*英"
    flow.finish()
    assert flow.step == Step.FAREWELL and flow.agent is not None
    flow.farewell_done()
    assert flow.step == Step.AGENT_CASES
    assert [row.case_number for row in flow.cases()] == [submitted.case_number]


def test_the_agent_pin_locks_after_five_wrong_tries(terminal, rig, agent_card):
    flow = terminal.flow
    for tries_left in (4, 3, 2, 1):
        assert not sign_in_agent(terminal, rig, agent_card, pin="000000")
        assert flow.notice.code == "AGENT_BAD_PIN" and flow.notice.params["left"] == tries_left
        flow.end_session()
    assert not sign_in_agent(terminal, rig, agent_card, pin="000000")
    flow.end_session()
    assert not sign_in_agent(terminal, rig, agent_card)
    assert flow.notice.code == "AGENT_LOCKED" and flow.agent is None


def test_an_agent_cannot_apply_with_their_own_card(terminal, rig, agent_card):
    flow = terminal.flow
    assert sign_in_agent(terminal, rig, agent_card)
    flow.new_application()
    flow.choose_service("senior-age-allowance")
    flow.accept_guide()
    rig.idcard.place(agent_card)
    wait(terminal, lambda: flow.notice is not None, "own card")
    assert flow.notice.code == "AGENT_OWN_CARD" and flow.step == Step.IDENTIFY


def test_a_returned_case_comes_first_and_is_resubmitted_as_a_superseding_case(terminal, rig, agent_card):
    flow = terminal.flow
    first = agent_case(terminal, rig, agent_card)
    flow.finish()
    flow.farewell_done()
    wait(terminal, lambda: delivered(terminal, rig, first.bundle_id), "delivery")
    casework = rig.app.state.services.casework
    casework.decide(first.case_number, "returned", "clerk", note="请重拍", materials=[HUKOU])
    terminal.decisions.wake()
    wait(terminal, lambda: terminal.outbox.by_case(first.case_number).state == "returned", "the decision")
    rows = flow.cases()
    assert rows[0].case_number == first.case_number and rows[0].correctable
    flow.correct(first.case_number)
    assert flow.step == Step.IDENTIFY and flow.service.code == "senior-age-allowance"
    rig.place_card()
    wait(terminal, lambda: flow.step == Step.CONSENT, "resident card")
    rig.lift_card()
    signed(terminal, rig, flow.finish_consent)
    through_materials(terminal, rig)
    second = submit_rest(terminal, rig)
    assert terminal.outbox.by_case(second.case_number).summary["supersedes"] == first.case_number
    flow.finish()
    flow.farewell_done()
    old = next(r for r in flow.cases() if r.case_number == first.case_number)
    assert old.superseded_by == second.case_number and not old.correctable


def test_technician_pin_opens_diagnostics_which_reports_every_device(terminal, rig, tmp_path):
    flow = terminal.flow
    for _ in range(5):
        flow.secret_tap()
    assert flow.step == Step.TECH_PIN
    assert not flow.enter_technician_pin("000000") and flow.notice.code == "TECH_PIN_WRONG"
    assert flow.enter_technician_pin(TECH_PIN) and flow.step == Step.DIAGNOSTICS
    reports = flow.diagnostics.reports
    wait(terminal, lambda: all(r.connected is not None for r in reports.values()), "device checks")
    assert reports["idcard"].connected and len(reports["idcard"].facts["sam_id"]) > 20
    assert reports["printer"].facts["status"] == "ready"
    assert reports["sigpad"].facts["range"] and reports["camera"].facts["resolution"] == "4160 x 3120"
    flow.diagnose("idcard")
    rig.place_card()
    wait(terminal, lambda: "test_card" in reports["idcard"].facts, "test read")
    assert rig.resident.id_number not in reports["idcard"].facts["test_card"]
    (tmp_path / "usb").mkdir()
    flow.export_logs()
    assert flow.notice.code == "DIAG_EXPORTED"
    exported = next((tmp_path / "usb").glob("kiosk-log-*.jsonl")).read_text()
    assert "flow.step" in exported and rig.resident.id_number not in exported
    flow.back()
    assert flow.step == Step.ATTRACT


def test_a_reader_unplugged_in_the_middle_of_identify_is_named_in_plain_words(terminal, rig):
    flow = terminal.flow
    flow.start()
    flow.choose_service("senior-age-allowance")
    flow.accept_guide()
    rig.idcard.stop()  # the USB cable is pulled
    wait(terminal, lambda: flow.notice is not None, "reader gone")
    assert flow.notice.code == "IDCARD_NO_READER" and flow.step == Step.IDENTIFY
    assert flow.diagnostics.errors["idcard"][-1].code == "IDCARD_NO_READER"

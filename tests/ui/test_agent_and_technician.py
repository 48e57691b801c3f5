"""A village agent and a technician at the terminal, by touch: sign-in with card and PIN, an
application with the resident's consent, a correction resubmitted, and diagnostics of every device
with one unplugged in the middle of a step."""

import json

from kiosk.backoffice.casework import Material
from kiosk.flow.controller import Step
from tests.conftest import AGENT_PIN
from tests.ui.conftest import TECH_PIN

SERVICE = "resident-pension-enrolment"  # one page to photograph

HUKOU = Material("hukou", "户口簿")  # what the township asks to be corrected


def signs_on_the_pad(pilot):
    replays = pilot.rig.sigpad.replays
    pilot.until(
        lambda: pilot.rig.sigpad.replays > replays and sum(map(len, pilot.flow.strokes)) > 30, "signature"
    )


def sign_in(pilot, agent_card):
    pilot.tap("agent")
    pilot.at(Step.AGENT_SIGNIN)
    pilot.rig.idcard.place(agent_card)
    pilot.until(lambda: pilot.has("key:1"), "PIN keypad")
    pilot.rig.idcard.lift()
    pilot.type_keys(*[f"key:{d}" for d in AGENT_PIN])
    pilot.at(Step.AGENT_CASES)


def resident_consents_and_applies(pilot):
    """From the resident's card to the printed receipt, the agent at the controls."""
    flow, rig = pilot.flow, pilot.rig
    pilot.at(Step.IDENTIFY)
    rig.place_card()
    pilot.at(Step.CONSENT)
    rig.lift_card()
    assert "王*国" in pilot.texts() and "李*英" in pilot.texts()
    signs_on_the_pad(pilot)
    pilot.tap("next")
    pilot.at(Step.MATERIALS)
    rig.mat.clear()  # an empty mat first: the camera takes no second copy of a page it has taken
    pilot.until(lambda: flow.mat_outline is None, "an empty mat")
    rig.place_material(flow.service.materials_to_photograph[0])
    pilot.until(lambda: len(flow.application.pages) == 1, "page captured by itself")
    pilot.tap("next")
    pilot.at(Step.FORM)
    pilot.type_keys(*[f"key:{d}" for d in "13900000000"])
    pilot.tap("field:contribution_level")
    pilot.tap("key:5")
    pilot.tap("next")
    pilot.at(Step.SIGN)
    signs_on_the_pad(pilot)
    pilot.tap("next")
    pilot.at(Step.REVIEW)
    assert pilot.flow.tr("ui.review.consent") in pilot.texts()
    pilot.tap("submit")
    pilot.until(lambda: flow.step == Step.RECEIPT and flow.print_state in ("done", "failed"), "receipt")
    submitted = flow.submitted
    pilot.tap("done")
    pilot.at(Step.FAREWELL)
    pilot.tap("done")
    pilot.at(Step.AGENT_CASES)
    return submitted


def test_an_agent_applies_with_consent_then_resubmits_the_case_sent_back(pilot, agent_card):
    sign_in(pilot, agent_card)
    pilot.tap("new")
    pilot.at(Step.CATALOG)
    pilot.tap(f"service:{SERVICE}")
    pilot.tap("next")
    first = resident_consents_and_applies(pilot)
    assert first.case_number in pilot.texts()  # in the agent's case list
    case = pilot.rig.workdir / "backoffice" / "cases" / first.bundle_id / "manifest.json"
    pilot.until(case.exists, "delivery to the township")
    application = json.loads(case.read_text())["application"]
    assert application["channel"] == "agent" and application["agent"]["id_number"] == agent_card.id_number
    assert application["applicant"]["id_number"] == pilot.rig.resident.id_number and application["consent"]

    casework = pilot.rig.app.state.services.casework
    casework.decide(first.case_number, "returned", "clerk", note="请重拍", materials=[HUKOU])
    pilot.terminal.decisions.wake()
    pilot.until(lambda: pilot.terminal.outbox.by_case(first.case_number).state == "returned", "the decision")
    pilot.tap("start_over")  # sign out, and back in: the list is read afresh
    pilot.at(Step.ATTRACT)
    sign_in(pilot, agent_card)
    assert "请重拍" in pilot.texts() and "户口簿" in pilot.texts()
    pilot.tap(f"correct:{first.case_number}")
    second = resident_consents_and_applies(pilot)
    assert pilot.terminal.outbox.by_case(second.case_number).summary["supersedes"] == first.case_number
    assert pilot.flow.tr("ui.agent.resubmitted", case=second.case_number) in pilot.texts()


def test_diagnostics_checks_every_device_and_names_one_unplugged_mid_step(pilot):
    flow, rig = pilot.flow, pilot.rig
    pilot.tap("start")
    pilot.tap(f"service:{SERVICE}")
    pilot.tap("next")
    pilot.at(Step.IDENTIFY)
    rig.idcard.stop()  # the reader's cable is pulled while the resident is asked for the card
    pilot.until(lambda: flow.notice is not None, "the reader missed")
    assert flow.notice.message() in pilot.texts()
    pilot.tap("start_over")
    for _ in range(5):
        pilot.tap("secret")
    pilot.at(Step.TECH_PIN)
    pilot.type_keys(*[f"key:{d}" for d in TECH_PIN])
    pilot.at(Step.DIAGNOSTICS)
    reports = flow.diagnostics.reports
    pilot.until(lambda: all(r.connected is not None for r in reports.values()), "every device checked")
    assert not reports["idcard"].connected and reports["printer"].connected
    assert reports["sigpad"].connected and reports["camera"].connected
    assert "IDCARD_NO_READER" in pilot.texts()  # the reader's last error, for the technician
    pilot.tap("section:printer")
    pilot.tap("test")
    pilot.until(lambda: reports["printer"].facts.get("test_page") not in (None, "printing"), "test page")
    assert reports["printer"].facts["test_page"] == "printed"
    assert pilot.terminal.config.terminal.id in rig.printer.receipts[-1].text
    pilot.tap("section:sigpad")
    pilot.until(lambda: sum(map(len, flow.diagnostics.strokes)) > 5, "strokes from the pad")
    pilot.tap("section:camera")
    pilot.until(
        lambda: "focus" in reports["camera"].facts and pilot.screen.preview.texture is not None, "preview"
    )
    pilot.tap("section:network")
    pilot.until(lambda: flow.diagnostics.network.get("ok") == "True", "back office reachable")
    pilot.tap("section:outbox")
    pilot.tap("retry")
    pilot.tap("section:identity")
    assert pilot.terminal.config.terminal.id in pilot.texts()
    pilot.tap("section:logs")
    pilot.tap("export")
    assert flow.notice.code == "DIAG_NO_USB"
    pilot.tap("start_over")  # back to service
    pilot.at(Step.ATTRACT)

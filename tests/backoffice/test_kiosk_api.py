"""The contracts terminals rely on, over real HTTP: enrolment, heartbeat, time, decisions, agent register."""

from datetime import UTC, datetime, timedelta

import pytest
import requests
from backoffice_world import heartbeat_payload

from kiosk import keys, signed
from kiosk.agents import AgentRegistry
from kiosk.backoffice import agent_registry, enrolment
from kiosk.backoffice.casework import Material
from kiosk.crypto.suites import MODERN, SigningKey
from kiosk.decisions import DecisionPoller
from kiosk.errors import AgentError, SyncError
from kiosk.outbox import Outbox
from kiosk.township import TownshipClient

AGENT_ID_NUMBER = "522731198001010028"


def pem(key: SigningKey) -> str:
    return keys.public_pem(key.public).decode()


def enrol(office, code, kiosk_id="KIOSK-NEW-0001", key=None):
    body = {"code": code, "kiosk_id": kiosk_id, "device_public_key": pem(key or MODERN.new_signing_key())}
    return requests.post(f"{office.url}/api/v1/enrolments", json={**body, "suite": "modern"}, timeout=10)


def test_enrolment_by_code_returns_the_township_keys_and_the_code_works_once(office, tmp_path):
    code = enrolment.new_code(office.store, "东村", "clerk", ttl_h=1)
    device = MODERN.new_signing_key()
    answer = enrol(office, code, key=device)
    assert answer.status_code == 201
    body = answer.json()
    (tmp_path / "got.pub").write_text(body["township_public_key"])
    township = keys.load_township_public(tmp_path / "got.pub")
    assert body["key_id"] == township.key_id == office.township.public.key_id
    assert office.store.trusted_key("KIOSK-NEW-0001") == device.public
    assert office.store.kiosk("KIOSK-NEW-0001")["village"] == "东村"
    assert enrol(office, code).status_code == 403
    assert enrol(office, "AAAA-BBBB-CCCC").status_code == 403


def test_an_expired_code_or_a_key_that_is_not_ed25519_is_refused(office):
    expired = enrolment.new_code(office.store, "东村", "clerk", ttl_h=-0.01)
    assert enrol(office, expired).status_code == 403
    fresh = enrolment.new_code(office.store, "东村", "clerk", ttl_h=1)
    bad = {"code": fresh, "kiosk_id": "K-1", "device_public_key": "not a key", "suite": "modern"}
    answer = requests.post(f"{office.url}/api/v1/enrolments", json=bad, timeout=10)
    assert answer.status_code == 422 and answer.json()["detail"] == "ENROL_BAD_KEY"
    assert enrol(office, fresh, kiosk_id="K-1").status_code == 201  # the refusal did not use the code up


def beat(office, kiosk, payload, key=None):
    body = signed.sign(payload, key or kiosk.key)
    return requests.post(f"{office.url}/api/v1/kiosks/{kiosk.kiosk_id}/heartbeat", json=body, timeout=10)


def test_a_heartbeat_is_answered_with_a_signed_time_and_shows_in_the_fleet_view(office):
    kiosk = office.enrol()
    answer = beat(office, kiosk, heartbeat_payload(kiosk.kiosk_id))
    assert answer.status_code == 200
    receipt = signed.verify(answer.json(), office.township.public.signing)
    assert receipt["received_at"] and receipt["kiosk_id"] == kiosk.kiosk_id
    session = office.staff_session()
    fleet = session.get(f"{office.url}/fleet", timeout=10).text
    for shown in (
        "东村便民服务站自助终端",
        "县信息中心",
        "PRINTER_PAPER_OUT",
        "打印纸将尽",
        "2 件",
        "最久 90 分钟",
    ):
        assert shown in fleet


def test_heartbeats_that_are_forged_replayed_malformed_or_from_strangers_are_refused(office):
    kiosk = office.enrol()
    sent = datetime.now(UTC)
    first = heartbeat_payload(kiosk.kiosk_id, sent.isoformat())
    assert beat(office, kiosk, first).status_code == 200
    assert beat(office, kiosk, first).status_code == 409  # the same heartbeat again
    later = heartbeat_payload(kiosk.kiosk_id, (sent + timedelta(seconds=5)).isoformat())
    assert beat(office, kiosk, later, key=MODERN.new_signing_key()).status_code == 401
    bad = beat(office, kiosk, {**later, "outbox_depth": -1})
    assert bad.status_code == 422 and bad.json()["detail"] == "HEARTBEAT_INVALID"
    other = office.enrol("KIOSK-T-0002")
    assert beat(office, kiosk, {**later, "kiosk_id": other.kiosk_id}).status_code == 403
    office.store.revoke_kiosk(kiosk.kiosk_id, "被盗")
    assert beat(office, kiosk, later).json()["detail"] == "KIOSK_REVOKED"


def test_the_time_endpoint_answers_with_the_township_clock(office):
    told = datetime.fromisoformat(requests.get(f"{office.url}/api/v1/time", timeout=10).json()["time"])
    assert abs((told - datetime.now(UTC)).total_seconds()) < 60


def client(office, kiosk):
    return TownshipClient(office.url, kiosk.kiosk_id, kiosk.key, office.township.public, timeout=20)


def decided_case(office, kiosk, case_number, state="returned"):
    office.submit(kiosk, case_number)
    casework = office.app.state.services.casework
    if state == "returned":
        casework.decide(case_number, "returned", "clerk", "第二页模糊", [Material("hukou", "户口簿")])
    else:
        casework.decide(case_number, state, "clerk")


def outbox_with(tmp_path, case_numbers):
    outbox = Outbox(tmp_path / "kiosk")
    for n, case_number in enumerate(case_numbers):
        outbox.bundle_path(f"{n:032x}").write_bytes(b"sealed bundle")
        outbox.add(f"{n:032x}", case_number, "senior-age-allowance", "0" * 64, {})
    return outbox


def test_the_poller_applies_this_kiosks_decisions_once_and_in_order(office, tmp_path):
    kiosk = office.enrol()
    decided_case(office, kiosk, "000126112800019")
    decided_case(office, kiosk, "000126112800027", state="accepted")
    outbox = outbox_with(tmp_path, ["000126112800019", "000126112800027"])
    seen = []
    poller = DecisionPoller(client(office, kiosk), outbox, tmp_path / "kiosk", on_decision=seen.append)
    applied = poller.poll_once()
    assert [(d.case_number, d.state) for d in applied] == [
        ("000126112800019", "returned"),
        ("000126112800027", "accepted"),
    ]
    returned = outbox.by_case("000126112800019")
    assert (
        returned.state == "returned"
        and "户口簿" in returned.decision_note
        and "第二页模糊" in returned.decision_note
    )
    assert seen[0].materials == [{"key": "hukou", "name": "户口簿"}]
    assert poller.poll_once() == []  # the cursor on disk remembers
    assert DecisionPoller(client(office, kiosk), outbox, tmp_path / "kiosk").cursor == applied[-1].seq


def test_one_kiosk_cannot_read_another_kiosks_decisions(office):
    mine, theirs = office.enrol("KIOSK-T-0001"), office.enrol("KIOSK-T-0002")
    decided_case(office, theirs, "000226112800018")
    path = f"/api/v1/kiosks/{theirs.kiosk_id}/decisions?since=0"
    own_path = f"/api/v1/kiosks/{mine.kiosk_id}/decisions?since=0"
    attempts = {
        "KIOSK_AUTH_SIGNATURE": signed.request_header(mine.kiosk_id, mine.key, "GET", path),
        "KIOSK_AUTH_SIGNATURE ": signed.request_header(theirs.kiosk_id, mine.key, "GET", path),
        "KIOSK_AUTH_MISSING": {},
    }
    for expected, header in attempts.items():
        refused = requests.get(office.url + path, headers=header, timeout=10)
        assert (refused.status_code, refused.json()) == (401, {"detail": expected.strip()})
    mine_header = signed.request_header(mine.kiosk_id, mine.key, "GET", own_path)
    assert (
        requests.get(office.url + own_path, headers=mine_header, timeout=10).json()["payload"]["decisions"]
        == []
    )


def test_a_replayed_or_stale_request_is_refused_and_a_skewed_clock_is_corrected(office, tmp_path):
    kiosk = office.enrol()
    path = f"/api/v1/kiosks/{kiosk.kiosk_id}/decisions?since=0"
    header = signed.request_header(kiosk.kiosk_id, kiosk.key, "GET", path)
    assert requests.get(office.url + path, headers=header, timeout=10).status_code == 200
    assert requests.get(office.url + path, headers=header, timeout=10).json()["detail"] == "KIOSK_AUTH_REPLAY"
    old = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
    stale = signed.request_header(kiosk.kiosk_id, kiosk.key, "GET", path, old)
    assert requests.get(office.url + path, headers=stale, timeout=10).json()["detail"] == "KIOSK_AUTH_CLOCK"
    township = client(office, kiosk)
    township.clock_offset = -7200.0  # as if this terminal's clock ran two hours fast
    assert township.get(path)["kiosk_id"] == kiosk.kiosk_id
    assert abs(township.clock_offset) < 60


def test_a_revoked_kiosk_gets_no_decisions(office, tmp_path):
    kiosk = office.enrol()
    office.store.revoke_kiosk(kiosk.kiosk_id, "报废")
    poller = DecisionPoller(client(office, kiosk), outbox_with(tmp_path, []), tmp_path / "kiosk")
    with pytest.raises(SyncError) as refused:
        poller.poll_once()
    assert refused.value.params["reason"] == "KIOSK_REVOKED"


def registry_for(office, kiosk, tmp_path) -> AgentRegistry:
    registry = AgentRegistry(tmp_path / "kiosk", kiosk.kiosk_id, office.township.public)
    registry.sync(client(office, kiosk))
    return registry


def test_an_agent_signs_in_with_card_and_pin_and_is_locked_after_five_wrong_pins(office, tmp_path):
    kiosk = office.enrol(village="东村")
    agent_id = agent_registry.add_agent(office.store, "赵代办", "东村", AGENT_ID_NUMBER, "246810")
    agent_registry.add_agent(office.store, "钱代办", "西村", "110105198001010032", "135790")
    registry = registry_for(office, kiosk, tmp_path)
    assert [a.name for a in registry.agents()] == ["赵代办"]  # only this village's agents
    assert registry.sign_in(" " + AGENT_ID_NUMBER, "246810").agent_id == agent_id
    with pytest.raises(AgentError) as unknown:
        registry.sign_in("110105198001010032", "135790")
    assert unknown.value.code == "AGENT_UNKNOWN"
    for left in (4, 3, 2, 1):
        with pytest.raises(AgentError) as wrong:
            registry.sign_in(AGENT_ID_NUMBER, "000000")
        assert (wrong.value.code, wrong.value.params["left"]) == ("AGENT_BAD_PIN", left)
    for _ in range(2):
        with pytest.raises(AgentError) as locked:
            registry.sign_in(AGENT_ID_NUMBER, "000000")
        assert locked.value.code == "AGENT_LOCKED"
    with pytest.raises(AgentError):
        registry.sign_in(AGENT_ID_NUMBER, "246810")  # even the right PIN, until the township resets it
    agent_registry.reset_pin(office.store, agent_id, "112233")
    registry.sync(client(office, kiosk))
    assert registry.sign_in(AGENT_ID_NUMBER, "112233").name == "赵代办"


def test_a_revoked_agent_is_refused_and_an_edited_or_older_register_is_not_believed(office, tmp_path):
    kiosk = office.enrol(village="东村")
    agent_id = agent_registry.add_agent(office.store, "赵代办", "东村", AGENT_ID_NUMBER, "246810")
    registry = registry_for(office, kiosk, tmp_path)
    old_envelope = registry.register_path.read_text()
    office.store.revoke_agent(agent_id)
    registry.sync(client(office, kiosk))
    with pytest.raises(AgentError) as revoked:
        registry.sign_in(AGENT_ID_NUMBER, "246810")
    assert revoked.value.code == "AGENT_REVOKED"
    import json

    with pytest.raises(SyncError):
        registry.install(json.loads(old_envelope))  # an old copy would revive the agent
    edited = json.loads(registry.register_path.read_text())
    edited["payload"]["agents"][0]["revoked"] = False
    registry.register_path.write_text(json.dumps(edited))
    assert registry.agents() == []

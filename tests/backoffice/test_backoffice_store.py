"""The storage interface behaves the same on SQLite and on a real PostgreSQL server."""

import time

import pytest

from kiosk.backoffice import enrolment
from kiosk.backoffice.blobs import FileBlobs
from kiosk.backoffice.db import connect
from kiosk.backoffice.store import Store
from kiosk.crypto.suites import MODERN
from kiosk.errors import BundleError


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    url = "sqlite" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    store = Store(connect(url, tmp_path), FileBlobs(tmp_path / "blobs"))
    yield store
    store.close()


def record(store, case_number, kiosk_id="K1", service="senior-age-allowance"):
    header = {"bundle_id": case_number.rjust(32, "0"), "kiosk_id": kiosk_id, "service_code": service}
    store.record_bundle(header, case_number, "0" * 64)


def test_a_revoked_kiosk_is_no_longer_trusted_and_says_why(store):
    key = MODERN.new_signing_key().public
    store.enrol("K1", key, village="东村")
    assert store.trusted_key("K1") == key
    assert store.trusted_key("K2") is None
    assert store.revoke_kiosk("K1", "被盗")
    with pytest.raises(BundleError) as refused:
        store.trusted_key("K1")
    assert refused.value.code == "BUNDLE_KIOSK_REVOKED"
    assert store.kiosk_key("K1", include_revoked=True) == key


def test_the_queue_is_oldest_first_and_narrows_by_service_and_village(store):
    store.enrol("K1", MODERN.new_signing_key().public, village="东村")
    store.enrol("K2", MODERN.new_signing_key().public, village="西村")
    record(store, "000126112800019", "K1")
    record(store, "000226112800018", "K2", service="birth-registration")
    record(store, "000126112800027", "K1")
    assert [c["case_number"] for c in store.queue(("received",))] == [
        "000126112800019",
        "000226112800018",
        "000126112800027",
    ]
    assert [c["case_number"] for c in store.queue(("received",), village="西村")] == ["000226112800018"]
    assert len(store.queue(("received",), service="senior-age-allowance")) == 2
    assert store.villages() == sorted(["东村", "西村"])


def test_a_decision_applies_only_to_the_state_it_was_made_on_and_is_numbered_in_order(store):
    record(store, "000126112800019")
    first = store.decide("000126112800019", "accepted", "", [], "clerk", expected="received")
    assert store.decide("000126112800019", "rejected", "x", [], "clerk", expected="received") is None
    second = store.decide("000126112800019", "completed", "", [], "clerk", expected="accepted")
    assert second > first
    assert [d["state"] for d in store.decisions_since("K1", 0, 10)] == ["accepted", "completed"]
    assert [d["state"] for d in store.decisions_since("K1", first, 10)] == ["completed"]
    assert store.decisions_since("K2", 0, 10) == []
    assert store.case("000126112800019")["state"] == "completed"


def test_an_enrolment_code_works_once_before_it_expires_and_only_for_its_kiosk(store):
    code = enrolment.new_code(store, "东村", "clerk", ttl_h=1)
    assert enrolment.redeem(store, code.lower().replace("-", " "), "K1")["village"] == "东村"
    assert enrolment.redeem(store, code, "K1") is None
    expired = enrolment.new_code(store, "东村", "clerk", ttl_h=-1)
    assert enrolment.redeem(store, expired, "K1") is None
    bound = enrolment.new_code(store, "东村", "clerk", ttl_h=1, kiosk_id="K9")
    assert enrolment.redeem(store, bound, "K1") is None
    assert enrolment.redeem(store, bound, "K9") is not None


def test_sessions_expire_when_idle_or_too_old(store):
    store.put_user("clerk", "李", "$scrypt$x")
    store.add_session("t1", "clerk", "c")
    assert store.live_session("t1", idle_s=60, max_s=3600)["display_name"] == "李"
    time.sleep(1.1)
    assert store.live_session("t1", idle_s=1, max_s=3600) is None
    store.add_session("t2", "clerk", "c")
    time.sleep(1.1)
    assert store.live_session("t2", idle_s=60, max_s=1) is None


def test_a_request_nonce_is_accepted_once(store):
    assert store.use_nonce("K1", "n" * 32, time.time() + 60)
    assert not store.use_nonce("K1", "n" * 32, time.time() + 60)
    assert store.use_nonce("K2", "n" * 32, time.time() + 60)


def test_resetting_an_agents_pin_moves_its_version(store):
    store.add_agent("A1", "赵代办", "东村", "$id", "$pin")
    assert store.reset_agent_pin("A1", "$pin2")
    assert store.agent("A1")["pin_version"] == 2
    assert store.revoke_agent("A1") and not store.revoke_agent("A1")
    assert store.agents("东村")[0]["revoked_at"]


def test_the_whole_service_runs_on_postgresql(tmp_path, pg_url):
    """Intake, a decision and the kiosk's poll through HTTP, with metadata in PostgreSQL."""
    from backoffice_world import start_office

    from kiosk.backoffice.settings import Settings
    from kiosk.decisions import DecisionPoller
    from kiosk.outbox import Outbox
    from kiosk.township import TownshipClient

    office = start_office(tmp_path, Settings(database=pg_url))
    try:
        assert office.store.db.dialect == "postgresql"
        kiosk = office.enrol()
        office.submit(kiosk, "000126112800019")
        office.app.state.services.casework.decide("000126112800019", "accepted", "clerk")
        outbox = Outbox(tmp_path / "kiosk")
        outbox.bundle_path("ab" * 16).write_bytes(b"sealed bundle")
        outbox.add("ab" * 16, "000126112800019", "senior-age-allowance", "0" * 64, {})
        client = TownshipClient(office.url, kiosk.kiosk_id, kiosk.key, office.township.public)
        DecisionPoller(client, outbox, tmp_path / "kiosk").poll_once()
        assert outbox.by_case("000126112800019").state == "accepted"
    finally:
        office.server.stop()
        office.store.close()

"""Bad uploads are refused with a clear reason, and nothing half-written stays behind."""

import pytest
from backoffice_world import Kiosk, application, start_office

from kiosk import bundle
from kiosk.backoffice import agent_registry
from kiosk.backoffice.settings import Settings
from kiosk.crypto.suites import MODERN
from kiosk.i18n import tr


def leftovers(office) -> list[str]:
    """Anything intake left besides kept bundles and quarantined ones: temp files, case folders."""
    found = []
    for path in office.data_dir.rglob("*"):
        relative = path.relative_to(office.data_dir)
        if (relative.parts[0] == "cases" and len(relative.parts) > 1) or path.name.startswith("."):
            found.append(str(relative))
    return found


def refused(response, status, code):
    assert response.status_code == status, response.text
    assert response.json()["detail"] == code
    assert not tr(f"error.{code}").startswith("error."), "every refusal has a message for staff"


def test_a_truncated_bundle_is_refused_and_quarantined(office):
    kiosk = office.enrol()
    bundle_id, data = office.seal(kiosk)
    refused(office.put(bundle_id, data[: len(data) // 2]), 422, "BUNDLE_TRUNCATED")
    assert leftovers(office) == [] and office.store.quarantined()[0]["reason"] == "BUNDLE_TRUNCATED"


def test_a_tampered_bundle_is_refused_by_its_digest_and_signature(office):
    kiosk = office.enrol()
    bundle_id, data = office.seal(kiosk)
    tampered = bytearray(data)
    tampered[len(data) // 2] ^= 0x01
    refused(office.put(bundle_id, bytes(tampered)), 422, "BUNDLE_CIPHERTEXT_DIGEST")  # the signed digest
    signature = bytearray(data)
    signature[bundle.parse_header(data).size - 1] ^= 0x01  # the header's signature
    refused(office.put(bundle_id, bytes(signature)), 422, "BUNDLE_BAD_SIGNATURE")
    assert leftovers(office) == []


def test_an_oversize_bundle_is_refused_before_it_is_read(tmp_path):
    office = start_office(tmp_path, Settings(max_bundle_bytes=20_000))
    try:
        bundle_id, data = office.seal(office.enrol())
        assert len(data) > 20_000
        refused(office.put(bundle_id, data), 413, "BUNDLE_TOO_LARGE")
        assert leftovers(office) == [] and office.store.counts()["bundles"] == 0
    finally:
        office.server.stop()


def test_a_path_escaping_the_bundle_folder_is_refused(office, monkeypatch):
    monkeypatch.setattr(bundle.writer, "check_names", lambda names: None)  # a forged terminal
    kiosk = office.enrol()
    manifest, _ = application("000126112800019")
    bundle_id, data = office.seal(kiosk, manifest=manifest, files={"../../escape.txt": b"x"})
    refused(office.put(bundle_id, data), 422, "BUNDLE_UNSAFE_PATH")
    assert leftovers(office) == [] and not (office.data_dir.parent / "escape.txt").exists()


def test_a_file_count_bomb_is_refused(office):
    kiosk = office.enrol()
    manifest, _ = application("000126112800019")
    files = {f"p{i}.jpg": b"" for i in range(bundle.MAX_FILES + 1)}
    bundle_id, data = office.seal(kiosk, manifest=manifest, files=files)
    refused(office.put(bundle_id, data), 422, "BUNDLE_BOMB")
    assert leftovers(office) == []


def test_a_bundle_from_an_unknown_or_revoked_kiosk_is_quarantined_with_its_reason(office):
    stranger = Kiosk("KIOSK-X-9999", MODERN.new_signing_key())
    bundle_id, data = office.seal(stranger)
    refused(office.put(bundle_id, data), 422, "BUNDLE_UNKNOWN_KIOSK")
    stolen = office.enrol("KIOSK-T-0002")
    office.store.revoke_kiosk(stolen.kiosk_id, "被盗")
    bundle_id, data = office.seal(stolen, "000226112800018")
    refused(office.put(bundle_id, data), 422, "BUNDLE_KIOSK_REVOKED")
    assert [q["reason"] for q in office.store.quarantined()] == [
        "BUNDLE_KIOSK_REVOKED",
        "BUNDLE_UNKNOWN_KIOSK",
    ]
    assert office.store.blobs.exists(f"quarantine/{bundle_id}.kskb") and leftovers(office) == []


def test_a_replayed_bundle_id_with_other_content_is_a_conflict_and_changes_nothing(office):
    kiosk = office.enrol()
    bundle_id = office.submit(kiosk)
    kept = office.store.blobs.get(f"bundles/{bundle_id}.kskb")
    _, other = office.seal(kiosk, "000126112800027", bundle_id=bundle_id)
    refused(office.put(bundle_id, other), 409, "BUNDLE_CONFLICT")
    assert office.store.blobs.get(f"bundles/{bundle_id}.kskb") == kept
    assert office.store.case("000126112800027") is None


@pytest.mark.parametrize(
    ("registered_village", "revoke", "code"),
    [
        (None, False, "BUNDLE_AGENT_UNKNOWN"),
        ("西村", False, "BUNDLE_AGENT_UNKNOWN"),
        ("示例村", True, "BUNDLE_AGENT_REVOKED"),
    ],
)
def test_an_agent_submission_needs_a_current_agent_of_the_kiosks_village(
    office, registered_village, revoke, code
):
    kiosk = office.enrol()
    agent = {"name": "赵代办", "id_number": "522731198001010028"}
    if registered_village:
        agent_id = agent_registry.add_agent(
            office.store, "赵代办", registered_village, agent["id_number"], "246810"
        )
        if revoke:
            office.store.revoke_agent(agent_id)
    manifest, files = application("000126112800019", channel="agent", agent=agent)
    bundle_id, data = office.seal(kiosk, manifest=manifest, files=files)
    refused(office.put(bundle_id, data), 422, code)
    assert leftovers(office) == [] and office.store.case("000126112800019") is None


def test_an_agent_submission_from_a_registered_agent_is_received(office):
    kiosk = office.enrol()
    agent = {"name": "赵代办", "id_number": "522731198001010028"}
    agent_registry.add_agent(office.store, "赵代办", "示例村", agent["id_number"], "246810")
    manifest, files = application("000126112800019", channel="agent", agent=agent)
    bundle_id, data = office.seal(kiosk, manifest=manifest, files=files)
    assert office.put(bundle_id, data).status_code == 201

"""Bundle intake over real HTTP on loopback, through the resumable upload endpoint: verify, file,
answer with a signed receipt; refuse and quarantine the rest with the reason."""

import pytest
import requests

from kiosk import keys, signed
from kiosk.crypto.suites import GM, MODERN
from kiosk.errors import UploadError, UploadRefused
from kiosk.outbox import Outbox
from kiosk.sim.township import Township, seal_into


@pytest.fixture(params=[MODERN, GM], ids=lambda s: s.name)
def world(request, tmp_path):
    with Township(tmp_path / "world", request.param) as township:
        yield township


def sealed(world, outbox, device=None, size=300_000, recipient=None):
    bundle_id = seal_into(
        outbox, device or world.device, recipient or world.township.public, world.kiosk_id, size
    )
    return outbox.get(bundle_id)


def test_a_good_bundle_is_filed_and_gets_a_signed_receipt_naming_it(world, outbox):
    entry = sealed(world, outbox)
    receipt = world.uploader(chunk_bytes=64 * 1024).deliver(entry)
    assert receipt["bundle_id"] == entry.bundle_id and receipt["bundle_digest"] == entry.digest
    assert receipt["case_number"] == entry.case_number
    assert world.store.case(entry.case_number)["state"] == "received"
    envelope = requests.get(f"{world.url}/api/v1/bundles/{entry.bundle_id}/receipt", timeout=10).json()
    assert signed.verify(envelope, world.township.public.signing) == receipt
    case = world.root / "backoffice" / "cases" / entry.bundle_id
    assert (case / "files" / "page-000.jpg").stat().st_size == 300_000 and (case / "manifest.json").exists()
    assert not list((world.root / "backoffice" / "uploads").iterdir())


def test_the_same_bundle_twice_is_received_once(world, outbox):
    entry = sealed(world, outbox)
    first = world.uploader().deliver(entry)
    assert world.uploader().deliver(entry) == first
    assert world.store.counts()["bundles"] == 1


def test_a_reused_bundle_id_with_other_content_is_a_conflict(world, outbox, tmp_path):
    entry = sealed(world, outbox)
    world.uploader().deliver(entry)
    other = Outbox(tmp_path / "other")
    twin = other.get(seal_into(other, world.device, world.township.public, world.kiosk_id, 1000))
    clash = type(twin)(**{**twin.__dict__, "bundle_id": entry.bundle_id})
    twin.path.rename(other.bundle_path(entry.bundle_id))
    with pytest.raises(UploadRefused) as caught:
        world.uploader().deliver(clash)
    assert caught.value.code == "UPLOAD_CONFLICT"
    other.close()


def test_a_bundle_signed_by_an_unenrolled_key_is_refused_after_its_header(world, outbox, tmp_path):
    stranger = keys.create_device_key(tmp_path / "stranger", world.suite)
    entry = sealed(world, outbox, device=stranger, size=2_000_000)
    uploader = world.uploader(chunk_bytes=64 * 1024)
    with pytest.raises(UploadError) as caught:
        uploader.deliver(entry)
    assert caught.value.code == "UPLOAD_NOT_ENROLLED" and caught.value.detail == "BUNDLE_KEY_NOT_ENROLLED"
    assert uploader.sent <= 64 * 1024  # refused after the first chunk, not after 2 MB
    assert world.store.counts()["bundles"] == 0
    assert not list((world.root / "backoffice" / "uploads").iterdir())  # nothing of it kept


def test_a_tampered_header_is_quarantined_with_the_reason(world, outbox):
    entry = sealed(world, outbox)
    data = entry.path.read_bytes()
    entry.path.write_bytes(data.replace(b"senior-age-allowance", b"senior-age-allowancf", 1))
    with pytest.raises(UploadRefused) as caught:
        world.uploader().deliver(entry)
    assert caught.value.detail == "BUNDLE_BAD_SIGNATURE"
    counts = world.store.counts()
    assert (counts["bundles"], counts["quarantined"], counts["kiosks"]) == (0, 1, 1)
    response = requests.get(f"{world.url}/api/v1/bundles/{entry.bundle_id}/receipt", timeout=10)
    assert response.status_code == 422 and response.json()["detail"] == "BUNDLE_BAD_SIGNATURE"


def test_a_bundle_for_another_township_is_quarantined_with_the_reason(world, outbox, tmp_path):
    other = keys.create_township_key(tmp_path / "elsewhere", world.suite)
    entry = sealed(world, outbox, recipient=other.public)
    with pytest.raises(UploadRefused):
        world.uploader().deliver(entry)
    assert world.store.quarantine_reason(entry.bundle_id) == "BUNDLE_WRONG_RECIPIENT"
    assert not list((world.root / "backoffice" / "cases").glob("*"))


def test_a_kiosk_not_yet_enrolled_is_told_to_enrol_and_keeps_its_bundle(world, outbox):
    entry = outbox.get(seal_into(outbox, world.device, world.township.public, "KIOSK-NEW-0002", 10_000))
    uploader = world.uploader()
    uploader.kiosk_id = "KIOSK-NEW-0002"
    with pytest.raises(UploadError) as caught:
        uploader.deliver(entry)
    assert caught.value.code == "UPLOAD_NOT_ENROLLED" and not isinstance(caught.value, UploadRefused)
    assert world.store.counts()["quarantined"] == 0
    world.store.enrol("KIOSK-NEW-0002", world.device.public, world.suite.name)
    assert uploader.deliver(entry)["bundle_id"] == entry.bundle_id


def test_a_bundle_id_that_is_not_hex_is_refused_before_any_file_is_touched(world):
    response = requests.get(f"{world.url}/api/v1/bundles/..%2F..%2Fetc/receipt", timeout=10)
    assert response.status_code in (404, 422)


def test_a_second_bundle_claiming_a_filed_case_number_is_refused(world, outbox, tmp_path):
    entry = sealed(world, outbox)
    world.uploader().deliver(entry)
    other = Outbox(tmp_path / "twin")  # a restored copy of the terminal reusing its counter
    twin = other.get(seal_into(other, world.device, world.township.public, world.kiosk_id, 1000))
    assert twin.case_number == entry.case_number
    with pytest.raises(UploadRefused) as caught:
        world.uploader().deliver(twin)
    assert caught.value.detail == "BUNDLE_CASE_TAKEN"
    other.close()

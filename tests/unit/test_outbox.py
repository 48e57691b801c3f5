"""The outbox: durable records in order, recovery after a crash at any point of a seal, states from
sealed to the township's decisions, corrections that name the case they supersede."""

import os

import pytest

from kiosk import bundle, keys
from kiosk.outbox import Outbox
from kiosk.sim.township import KIOSK_ID, seal_into


@pytest.fixture
def parties(tmp_path):
    return keys.create_device_key(tmp_path / "k"), keys.create_township_key(tmp_path / "t")


def add(outbox, parties, size=1000):
    device, township = parties
    return seal_into(outbox, device, township.public, KIOSK_ID, size)


def test_the_file_and_its_folder_are_fsynced_before_the_record_is_committed(outbox, parties, monkeypatch):
    """What makes "submitted" true after a power cut: data, name, then record, in that order."""
    events = []
    real_fsync, real_replace, real_add = os.fsync, os.replace, Outbox.add
    monkeypatch.setattr(
        os, "fsync", lambda fd: events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}"))) or real_fsync(fd)
    )
    monkeypatch.setattr(os, "replace", lambda a, b: events.append(("rename", str(b))) or real_replace(a, b))
    monkeypatch.setattr(
        Outbox, "add", lambda self, *a, **k: events.append(("record", a[0])) or real_add(self, *a, **k)
    )
    bundle_id = add(outbox, parties)
    path = str(outbox.bundle_path(bundle_id))
    kinds = [kind for kind, _ in events]
    assert kinds == ["fsync", "rename", "fsync", "record"]
    assert (
        events[0][1].startswith(str(outbox.dir)) and events[1][1] == path and events[2][1] == str(outbox.dir)
    )


def test_case_numbers_are_15_digits_with_a_luhn_check_and_never_repeat(outbox):
    from stdnum import luhn

    numbers = [outbox.next_case_number(7) for _ in range(5)]
    assert len(set(numbers)) == 5 and all(len(n) == 15 and luhn.is_valid(n) for n in numbers)
    assert numbers[0].startswith("0007")


def test_recovery_removes_half_seals_and_unrecorded_files_and_keeps_the_rest(tmp_path, outbox, parties):
    kept = add(outbox, parties)
    (outbox.dir / ".abc.kskb.x.tmp").write_bytes(b"half a seal")
    (outbox.dir / ("f" * 32 + ".kskb")).write_bytes(b"sealed, never recorded")
    found = outbox.recover()
    assert (found.temporary, found.unrecorded, found.missing) == (1, 1, 0)
    assert [p.name for p in outbox.dir.iterdir()] == [f"{kept}.kskb"]
    bundle.check_integrity(outbox.bundle_path(kept))


def test_a_recorded_bundle_whose_file_vanished_is_refused_loudly(outbox, parties):
    bundle_id = add(outbox, parties)
    outbox.bundle_path(bundle_id).unlink()
    assert outbox.recover().missing == 1
    assert outbox.get(bundle_id).state == "refused" and outbox.get(bundle_id).last_error == "BUNDLE_MISSING"


def test_delivery_keeps_the_receipt_and_ends_the_sending(outbox, parties):
    bundle_id = add(outbox, parties)
    outbox.delivered(bundle_id, {"bundle_id": bundle_id})
    entry = outbox.get(bundle_id)
    assert entry.state == "delivered" and entry.receipt == {"bundle_id": bundle_id}
    assert outbox.due() == [] and outbox.recover().unrecorded == 0


def test_a_decision_proves_delivery_and_a_correction_supersedes_its_case(outbox, parties):
    device, township = parties
    first = outbox.get(add(outbox, parties))
    # the receipt was lost (power cut after the back office filed it): the decision still lands
    assert outbox.set_decision(first.case_number, "returned", "缺户口簿")
    assert outbox.due() == []  # and the bundle is not sent again
    assert not outbox.set_decision(first.case_number, "returned", "缺户口簿")  # nothing new
    assert outbox.get(first.bundle_id).state == "returned"
    correction_id = "c" * 32
    sealed = bundle.seal(
        sources=[bundle.from_bytes("page.jpg", b"x")], manifest={"supersedes": first.case_number},
        bundle_id=correction_id, kiosk_id=KIOSK_ID, service_code="s", device_key=device,
        recipient=township.public, out=outbox.bundle_path(correction_id),
    )  # fmt: skip
    number = outbox.next_case_number(1)
    outbox.add(correction_id, number, "s", sealed.digest, {}, supersedes=first.case_number)
    assert outbox.get(first.bundle_id).superseded_by == number
    assert outbox.get(correction_id).supersedes == first.case_number
    with pytest.raises(ValueError):
        outbox.set_decision(number, "lost")


def test_back_off_restarts_after_progress_and_retry_clears_it(outbox, parties):
    bundle_id = add(outbox, parties)
    outbox.attempt_failed(bundle_id, "UPLOAD_UNREACHABLE", 1e12, progressed=False)
    outbox.attempt_failed(bundle_id, "UPLOAD_UNREACHABLE", 1e12, progressed=False)
    assert outbox.get(bundle_id).attempts == 2 and outbox.due() == []
    outbox.attempt_failed(bundle_id, "UPLOAD_UNREACHABLE", 1e12, progressed=True)
    assert outbox.get(bundle_id).attempts == 1
    assert outbox.retry() == 1 and [e.bundle_id for e in outbox.due()] == [bundle_id]


def test_what_the_outbox_keeps_is_not_personal(outbox, parties):
    bundle_id = add(outbox, parties)
    assert set(outbox.get(bundle_id).summary) <= {
        "case_number",
        "masked_name",
        "service_code",
        "receipt",
        "id_last4",
    }

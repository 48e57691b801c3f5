"""Bundle intake over real HTTP on loopback: verify, file, answer with a signed receipt; refuse the rest."""

import requests

from kiosk import bundle, keys, signed


def sealed(tmp_path, rig, bundle_id="ab" * 16, key=None):
    device = key or keys.load_device_key(rig.workdir / "keys" / "device.key")
    township = keys.load_township_public(rig.workdir / "township" / "township.pub")
    return bundle.seal(
        manifest={"case_number": "000126112800019"},
        files={"page.jpg": b"page"},
        bundle_id=bundle_id,
        kiosk_id=rig.config.terminal.id,
        service_code="birth-registration",
        device_key=device,
        recipient=township,
        out=tmp_path / f"{bundle_id}.kskb",
    ).path.read_bytes()


def put(rig, bundle_id, data):
    return requests.put(f"{rig.server.url}/api/v1/bundles/{bundle_id}", data=data, timeout=10)


def test_a_good_bundle_gets_a_signed_receipt_naming_it(tmp_path, rig):
    data = sealed(tmp_path, rig)
    response = put(rig, "ab" * 16, data)
    assert response.status_code == 201
    township = keys.load_township_public(rig.workdir / "township" / "township.pub")
    receipt = signed.verify(response.json(), township.signing)
    assert receipt["bundle_id"] == "ab" * 16 and receipt["case_number"] == "000126112800019"


def test_the_same_bundle_twice_is_received_once(tmp_path, rig):
    data = sealed(tmp_path, rig)
    first, second = put(rig, "ab" * 16, data), put(rig, "ab" * 16, data)
    assert first.json() == second.json()
    assert requests.get(f"{rig.server.url}/healthz", timeout=5).json()["bundles"] == 1


def test_a_reused_bundle_id_with_other_content_is_a_conflict(tmp_path, rig):
    put(rig, "ab" * 16, sealed(tmp_path, rig))
    other = sealed(tmp_path / "x", rig)
    assert put(rig, "ab" * 16, other).status_code == 409


def test_tampered_and_unknown_kiosk_bundles_are_quarantined_with_the_reason(tmp_path, rig):
    data = bytearray(sealed(tmp_path, rig))
    data[200] ^= 1
    response = put(rig, "ab" * 16, bytes(data))
    assert response.status_code == 422 and response.json()["detail"].startswith("BUNDLE_")
    stranger = keys.create_device_key(tmp_path / "stranger")
    response = put(rig, "cd" * 16, sealed(tmp_path, rig, "cd" * 16, stranger))
    assert response.json()["detail"] == "BUNDLE_BAD_SIGNATURE"
    health = requests.get(f"{rig.server.url}/healthz", timeout=5).json()
    assert (health["status"], health["bundles"], health["quarantined"], health["kiosks"]) == ("ok", 0, 2, 1)
    assert not (rig.workdir / "backoffice" / "cases").exists() or not list(
        (rig.workdir / "backoffice" / "cases").iterdir()
    )


def test_a_bundle_id_that_is_not_hex_is_refused_before_any_file_is_touched(rig):
    assert put(rig, "..%2F..%2Fetc", b"x").status_code in (404, 422)

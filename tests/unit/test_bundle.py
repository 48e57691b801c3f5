import pytest

from kiosk import bundle, keys
from kiosk.errors import BundleError

BUNDLE_ID = "0" * 31 + "1"


@pytest.fixture
def parties(tmp_path):
    device = keys.create_device_key(tmp_path / "kiosk")
    township = keys.create_township_key(tmp_path / "township")
    return device, township


def seal(tmp_path, device, township, recipient=None):
    return bundle.seal(
        manifest={"case_number": "000126112800019"},
        files={"page-000.jpg": b"\xff\xd8 page", "signature.png": b"\x89PNG sig"},
        bundle_id=BUNDLE_ID,
        kiosk_id="KIOSK-1",
        service_code="birth-registration",
        device_key=device,
        recipient=(recipient or township).public,
        out=tmp_path / "b.kskb",
    ).path.read_bytes()


def trust(device):
    return lambda kiosk_id: device.public_key() if kiosk_id == "KIOSK-1" else None


def test_round_trip_gives_back_every_file(tmp_path, parties):
    device, township = parties
    header, manifest, files = bundle.open_bytes(seal(tmp_path, device, township), township, trust(device))
    assert header["bundle_id"] == BUNDLE_ID
    assert manifest["case_number"] == "000126112800019"
    assert files == {"page-000.jpg": b"\xff\xd8 page", "signature.png": b"\x89PNG sig"}


def test_any_altered_byte_is_rejected(tmp_path, parties):
    device, township = parties
    data = seal(tmp_path, device, township)
    for index in range(0, len(data), max(1, len(data) // 97)):
        altered = bytearray(data)
        altered[index] ^= 0x01
        with pytest.raises(BundleError):
            bundle.open_bytes(bytes(altered), township, trust(device))


def test_truncated_bundle_is_rejected(tmp_path, parties):
    device, township = parties
    data = seal(tmp_path, device, township)
    for cut in (0, 5, 100, len(data) - 1):
        with pytest.raises(BundleError):
            bundle.open_bytes(data[:cut], township, trust(device))


def test_unknown_kiosk_and_wrong_recipient_are_named(tmp_path, parties):
    device, township = parties
    data = seal(tmp_path, device, township)
    with pytest.raises(BundleError) as caught:
        bundle.open_bytes(data, township, lambda kiosk_id: None)
    assert caught.value.code == "BUNDLE_UNKNOWN_KIOSK"
    other = keys.create_township_key(tmp_path / "other")
    with pytest.raises(BundleError) as caught:
        bundle.open_bytes(seal(tmp_path, device, township, recipient=other), township, trust(device))
    assert caught.value.code == "BUNDLE_WRONG_RECIPIENT"


def test_signature_by_another_key_is_rejected(tmp_path, parties):
    device, township = parties
    impostor = keys.create_device_key(tmp_path / "impostor")
    with pytest.raises(BundleError) as caught:
        bundle.open_bytes(seal(tmp_path, impostor, township), township, trust(device))
    assert caught.value.code == "BUNDLE_BAD_SIGNATURE"


def test_failed_open_leaves_no_output_folder(tmp_path, parties):
    device, township = parties
    data = bytearray(seal(tmp_path, device, township))
    data[-1] ^= 0xFF
    out = tmp_path / "opened"
    with pytest.raises(BundleError):
        bundle.open_to_folder(bytes(data), township, trust(device), out)
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".opened")]


def test_private_keys_are_written_0600(tmp_path, parties):
    assert (tmp_path / "kiosk" / "device.key").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "township" / "township.key").stat().st_mode & 0o777 == 0o600

"""Sealed bundles, format 1, in both suites: round trips, and every way a bundle can be wrong is
refused by the reader with a reason that names it."""

import contextlib
import os
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk import bundle, keys
from kiosk.bundle import layout
from kiosk.crypto.suites import GM, MODERN
from kiosk.errors import BundleError

BUNDLE_ID = "0" * 31 + "1"
KIOSK = "KIOSK-1"
SUITES = [MODERN, GM]


@pytest.fixture(params=SUITES, ids=lambda s: s.name)
def parties(request, tmp_path):
    suite = request.param
    return keys.create_device_key(tmp_path / "kiosk", suite), keys.create_township_key(
        tmp_path / "township", suite
    )


def files(tmp_path, sizes=(0, 1, 5000, 70000)):
    src = tmp_path / "src"
    for index, size in enumerate(sizes):
        path = src / ("pages" if index % 2 else "") / f"file-{index}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(size))
    return src


def seal(
    tmp_path, device, township, *, src=None, kiosk_id=KIOSK, recipient=None, segment_size=4096, name="b.kskb"
):
    return bundle.seal(
        sources=bundle.from_folder(src or files(tmp_path)),
        manifest={"case_number": "000126112800019"},
        bundle_id=BUNDLE_ID,
        kiosk_id=kiosk_id,
        service_code="birth-registration",
        device_key=device,
        recipient=(recipient or township).public,
        out=tmp_path / name,
        segment_size=segment_size,
    ).path


def trust(device, kiosk_id=KIOSK):
    return lambda asked: device.public if asked == kiosk_id else None


def refusal(path, township, lookup, out):
    with pytest.raises(BundleError) as caught:
        bundle.open_to_folder(path, township, lookup, out)
    assert not out.exists() and not list(out.parent.glob(f".{out.name}.*"))
    return caught.value.code


def tree(folder):
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_round_trip_gives_back_every_file_byte_identical(tmp_path, parties):
    device, township = parties
    src = files(tmp_path)
    opened = bundle.open_to_folder(
        seal(tmp_path, device, township, src=src), township, trust(device), tmp_path / "out"
    )
    assert tree(tmp_path / "out") == tree(src)
    assert opened.header.suite is device.public.suite
    assert opened.manifest["case_number"] == "000126112800019"
    assert [f["name"] for f in opened.manifest["files"]] == sorted(tree(src))


@pytest.mark.parametrize("size", [0, 4, 4096 - 4, 4096, 4096 * 3 - 200, 4096 * 3])
def test_segment_boundaries_do_not_matter(tmp_path, size):
    device, township = keys.create_device_key(tmp_path / "k"), keys.create_township_key(tmp_path / "t")
    src = tmp_path / "src"
    src.mkdir()
    (src / "f").write_bytes(os.urandom(size))
    path = seal(tmp_path, device, township, src=src, segment_size=1024)
    bundle.open_to_folder(path, township, trust(device), tmp_path / "out")
    assert (tmp_path / "out" / "f").read_bytes() == (src / "f").read_bytes()


def test_any_altered_byte_is_rejected_with_a_named_reason(tmp_path, parties):
    device, township = parties
    data = seal(tmp_path, device, township).read_bytes()
    header = layout.parse_header(data)
    reasons = set()
    for index in sorted({*range(0, header.size, 7), *range(header.size, len(data), 997), len(data) - 1}):
        altered = bytearray(data)
        altered[index] ^= 0x01
        (tmp_path / "x.kskb").write_bytes(altered)
        reasons.add(refusal(tmp_path / "x.kskb", township, trust(device), tmp_path / "out"))
    assert reasons <= {
        "BUNDLE_FORMAT", "BUNDLE_VERSION", "BUNDLE_TRUNCATED", "BUNDLE_BAD_SIGNATURE", "BUNDLE_UNKNOWN_KIOSK",
        "BUNDLE_KEY_NOT_ENROLLED", "BUNDLE_CIPHERTEXT_DIGEST", "BUNDLE_WRONG_RECIPIENT",
    }  # fmt: skip
    assert {"BUNDLE_BAD_SIGNATURE", "BUNDLE_CIPHERTEXT_DIGEST"} <= reasons


def test_a_ciphertext_altered_and_redigested_still_fails_the_signature(tmp_path, parties):
    device, township = parties
    data = bytearray(seal(tmp_path, device, township).read_bytes())
    header = layout.parse_header(bytes(data))
    data[header.size + 10] ^= 1
    digest = header.suite.hash(bytes(data[header.size :]))
    data[header.size - 64 - 32 : header.size - 64] = digest
    (tmp_path / "x.kskb").write_bytes(data)
    assert refusal(tmp_path / "x.kskb", township, trust(device), tmp_path / "out") == "BUNDLE_BAD_SIGNATURE"


def test_segments_are_authenticated_even_without_the_outer_checks(tmp_path, parties):
    """An attacker who could re-sign (a stolen device key) still cannot alter a segment unseen."""
    device, township = parties
    path = seal(tmp_path, device, township)
    data = bytearray(path.read_bytes())
    header = layout.parse_header(bytes(data))
    data[header.size + 4096 + 16 + 3] ^= 1  # inside the second segment
    resigned = layout.Header(
        header.suite, header.fields, header.header_json, header.ciphertext_length,
        header.suite.hash(bytes(data[header.size :])), bytes(64),
    )  # fmt: skip
    resigned = layout.Header(
        header.suite, header.fields, header.header_json, header.ciphertext_length, resigned.ciphertext_digest,
        device.sign(layout.SIGNATURE_CONTEXT + resigned.signed_block),
    )  # fmt: skip
    data[: header.size] = resigned.encode()
    path.write_bytes(data)
    assert refusal(path, township, trust(device), tmp_path / "out") == "BUNDLE_SEGMENT"


def test_replayed_under_another_kiosk_id_is_rejected(tmp_path, parties):
    device, township = parties
    other = keys.create_device_key(tmp_path / "other", device.public.suite)
    data = bytearray(seal(tmp_path, device, township).read_bytes())
    forged = data.replace(KIOSK.encode(), b"KIOSK-2")
    (tmp_path / "x.kskb").write_bytes(forged)
    lookup = {"KIOSK-1": device.public, "KIOSK-2": other.public}.get
    assert refusal(tmp_path / "x.kskb", township, lookup, tmp_path / "out") == "BUNDLE_KEY_NOT_ENROLLED"
    assert (
        refusal(tmp_path / "x.kskb", township, lambda k: device.public, tmp_path / "out")
        == "BUNDLE_BAD_SIGNATURE"
    )


def test_signed_by_an_unenrolled_key_is_rejected(tmp_path, parties):
    device, township = parties
    impostor = keys.create_device_key(tmp_path / "impostor", device.public.suite)
    path = seal(tmp_path, impostor, township)
    assert refusal(path, township, trust(device), tmp_path / "out") == "BUNDLE_KEY_NOT_ENROLLED"
    assert refusal(path, township, lambda k: None, tmp_path / "out") == "BUNDLE_UNKNOWN_KIOSK"


def test_wrapped_to_another_township_is_rejected(tmp_path, parties):
    device, township = parties
    other = keys.create_township_key(tmp_path / "other", device.public.suite)
    path = seal(tmp_path, device, township, recipient=other)
    assert refusal(path, township, trust(device), tmp_path / "out") == "BUNDLE_WRONG_RECIPIENT"


def test_truncated_or_extended_bundles_are_rejected(tmp_path, parties):
    device, township = parties
    data = seal(tmp_path, device, township).read_bytes()
    for cut, reason in ((0, "BUNDLE_TRUNCATED"), (7, "BUNDLE_TRUNCATED"), (200, "BUNDLE_TRUNCATED")):
        (tmp_path / "x.kskb").write_bytes(data[:cut])
        assert refusal(tmp_path / "x.kskb", township, trust(device), tmp_path / "out") == reason
    (tmp_path / "x.kskb").write_bytes(data[:-1])
    assert refusal(tmp_path / "x.kskb", township, trust(device), tmp_path / "out") == "BUNDLE_TRUNCATED"
    (tmp_path / "x.kskb").write_bytes(data + b"\x00")
    assert refusal(tmp_path / "x.kskb", township, trust(device), tmp_path / "out") == "BUNDLE_FORMAT"


def test_mixed_suites_are_refused_when_sealing(tmp_path):
    device = keys.create_device_key(tmp_path / "k", GM)
    township = keys.create_township_key(tmp_path / "t", MODERN)
    with pytest.raises(BundleError) as caught:
        seal(tmp_path, device, township)
    assert caught.value.code == "KEY_SUITE_MISMATCH"
    assert not list(tmp_path.glob("*.kskb")) and not list(tmp_path.glob(".*.tmp"))


def test_a_file_changed_while_sealing_leaves_no_bundle(tmp_path):
    device, township = keys.create_device_key(tmp_path / "k"), keys.create_township_key(tmp_path / "t")
    src = files(tmp_path)
    sources = bundle.from_folder(src)
    (src / "file-0.bin").write_bytes(b"changed after listing")
    with pytest.raises(BundleError) as caught:
        bundle.seal(
            sources=sources, manifest={}, bundle_id=BUNDLE_ID, kiosk_id=KIOSK, service_code="s",
            device_key=device, recipient=township.public, out=tmp_path / "b.kskb",
        )  # fmt: skip
    assert caught.value.code == "BUNDLE_SOURCE_CHANGED"
    assert not list(tmp_path.glob("*.kskb")) and not list(tmp_path.glob(".*"))


@pytest.mark.parametrize("name", ["../etc/passwd", "/abs", "a//b", "a/./b", "a\\b", "", "tab\there", ".."])
def test_unsafe_names_are_refused(name):
    with pytest.raises(BundleError) as caught:
        bundle.from_bytes(name, b"x")
    assert caught.value.code == "BUNDLE_UNSAFE_PATH"


def test_a_file_cannot_also_be_a_folder():
    with pytest.raises(BundleError):
        bundle.sources.check_names(["a", "a/b"])


def test_a_manifest_naming_a_path_outside_is_refused_before_anything_is_written(
    tmp_path, parties, monkeypatch
):
    device, township = parties
    monkeypatch.setattr(bundle.writer, "check_names", lambda names: None)  # a hostile writer skips the check
    path = bundle.seal(
        sources=[bundle.Source("../escape", 1, bundle.from_bytes("ok", b"x").open)],
        manifest={}, bundle_id=BUNDLE_ID, kiosk_id=KIOSK, service_code="s",
        device_key=device, recipient=township.public, out=tmp_path / "evil.kskb",
    ).path  # fmt: skip
    assert refusal(path, township, trust(device), tmp_path / "out") == "BUNDLE_UNSAFE_PATH"
    assert not (tmp_path / "escape").exists()


def test_keys_are_written_0600_and_read_back_in_both_suites(tmp_path, parties):
    device, township = parties
    assert (tmp_path / "kiosk" / "device.key").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "township" / "township.key").stat().st_mode & 0o777 == 0o600
    assert keys.load_device_key(tmp_path / "kiosk" / "device.key").public == device.public
    loaded = keys.load_township_private(tmp_path / "township" / "township.key")
    assert (
        loaded.public == township.public == keys.load_township_public(tmp_path / "township" / "township.pub")
    )


def test_a_key_file_of_the_wrong_kind_is_named(tmp_path, parties):
    with pytest.raises(BundleError) as caught:
        keys.load_device_key(tmp_path / "township" / "township.pub")
    assert caught.value.code == "KEY_INVALID" and "township.pub" in str(caught.value)


PREFIX = struct.pack(">4sBBH", b"KSKB", 1, 1, 20)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.binary(max_size=400), st.binary(max_size=400).map(lambda b: PREFIX + b)))
def test_the_header_parser_refuses_random_input_with_a_bundle_error(data):
    with contextlib.suppress(BundleError):  # anything else escaping is the failure
        layout.parse_header(data)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_the_header_parser_refuses_truncated_and_corrupted_real_headers(data):
    head = _REAL_HEADER
    cut = data.draw(st.integers(0, len(head) - 1))
    with pytest.raises(BundleError):
        layout.parse_header(head[:cut])
    index = data.draw(st.integers(0, len(head) - 1 - 64 - 32 - 8))
    corrupted = bytearray(head)
    corrupted[index] ^= data.draw(st.integers(1, 255))
    try:
        parsed = layout.parse_header(bytes(corrupted))
    except BundleError:
        return
    assert (
        parsed.signed_block != layout.parse_header(head).signed_block
    )  # parses, but the signature won't match


def _real_header() -> bytes:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = seal(
            Path(tmp), keys.create_device_key(Path(tmp) / "k"), keys.create_township_key(Path(tmp) / "t")
        )
        data = path.read_bytes()
    return data[: layout.parse_header(data).size]


_REAL_HEADER = _real_header()

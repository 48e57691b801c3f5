"""Opening a bundle: check structure, the device signature and the ciphertext digest, unwrap the
content key, then decrypt segment by segment into a staging folder that becomes the output only
when every file has been written and its digest matches.

Nothing is written before the signature has verified, and nothing is left behind on failure.
"""

from __future__ import annotations

import base64
import json
import shutil
import struct
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from kiosk.bundle import layout
from kiosk.bundle.sources import check_names
from kiosk.crypto.suites import AuthenticationFailed, VerifyKey
from kiosk.errors import BundleError
from kiosk.keys import TownshipPrivate, fingerprint

READ_BLOCK = 1024 * 1024
MAX_MANIFEST = 16 * 1024 * 1024
MAX_FILES = 2000  # a generous ceiling for one application's pages; more is a file-count bomb

TrustLookup = Callable[[str], VerifyKey | None]


def read_header(stream: BinaryIO) -> layout.Header:
    """The parsed header from the start of `stream` (structure only, nothing verified)."""
    stream.seek(0)
    prefix = stream.read(layout.PREAMBLE.size)
    return layout.parse_header(prefix + stream.read(layout.header_size_needed(prefix) - len(prefix)))


def check_signature(header: layout.Header, trust: TrustLookup) -> VerifyKey:
    """The device key that signed the header; a BundleError naming what is wrong otherwise."""
    device = trust(header.kiosk_id)
    if device is None:
        raise BundleError("BUNDLE_UNKNOWN_KIOSK", kiosk=header.kiosk_id)
    if device.suite is not header.suite or fingerprint(device) != header.fields["device_key_id"]:
        raise BundleError(
            "BUNDLE_KEY_NOT_ENROLLED", kiosk=header.kiosk_id, key=header.fields["device_key_id"]
        )
    if not device.verify(header.signature, layout.SIGNATURE_CONTEXT + header.signed_block):
        raise BundleError("BUNDLE_BAD_SIGNATURE", kiosk=header.kiosk_id)
    return device


def check_integrity(path: Path) -> layout.Header:
    """Structure, exact length and ciphertext digest; needs no key (the terminal checks its own
    files with this before uploading, the back office an upload before verifying it)."""
    with path.open("rb") as stream:
        header = read_header(stream)
        actual = path.stat().st_size
        if actual < header.total_size:
            raise BundleError("BUNDLE_TRUNCATED")
        if actual > header.total_size:
            raise BundleError("BUNDLE_FORMAT", reason=f"{actual - header.total_size} bytes after the end")
        digest = header.suite.new_hash()
        for block in iter(lambda: stream.read(READ_BLOCK), b""):
            digest.update(block)
    if digest.digest() != header.ciphertext_digest:
        raise BundleError("BUNDLE_CIPHERTEXT_DIGEST")
    return header


@dataclass(frozen=True)
class Opened:
    header: layout.Header
    manifest: dict[str, Any]


def verify(path: Path, township: TownshipPrivate, trust: TrustLookup) -> layout.Header:
    """Everything short of decrypting: structure, signature, digest, recipient, key unwrap."""
    with path.open("rb") as stream:
        check_signature(read_header(stream), trust)
    header = check_integrity(path)
    _content_key(header, township)
    return header


def open_to_folder(path: Path, township: TownshipPrivate, trust: TrustLookup, out: Path) -> Opened:
    """Verify and decrypt the bundle at `path` into the new folder `out`, byte-identical to what
    was sealed. `out` must not exist; it appears complete or not at all."""
    header = verify(path, township, trust)
    if out.exists():
        raise BundleError("BUNDLE_OUTPUT_EXISTS", file=str(out))
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.", suffix=".partial"))
    try:
        with path.open("rb") as stream:
            stream.seek(header.size)
            manifest = _extract(header, _plaintext(stream, header, _content_key(header, township)), staging)
        staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return Opened(header, manifest)


def _content_key(header: layout.Header, township: TownshipPrivate) -> bytes:
    if header.fields["recipient_key_id"] != township.public.key_id or header.suite is not township.suite:
        raise BundleError("BUNDLE_WRONG_RECIPIENT", key=header.fields["recipient_key_id"])
    try:
        wrapped = base64.b64decode(header.fields["wrapped_key"], validate=True)
        return header.suite.unwrap(township.encryption, wrapped, header.bundle_id.encode())
    except (AuthenticationFailed, ValueError):
        raise BundleError("BUNDLE_DECRYPT") from None


def _plaintext(stream: BinaryIO, header: layout.Header, key: bytes) -> Iterator[bytes]:
    fields, suite = header.fields, header.suite
    prefix = base64.b64decode(fields["nonce_prefix"])
    if len(prefix) != layout.NONCE_PREFIX_BYTES:
        raise BundleError("BUNDLE_FORMAT", reason="nonce prefix length")
    count = layout.segment_count(fields["plaintext_length"], fields["segment_size"])
    aad = header.segment_aad
    for index in range(count):
        last = index == count - 1
        size = (
            fields["segment_size"]
            if not last
            else fields["plaintext_length"] - index * fields["segment_size"]
        )
        sealed = stream.read(size + 16)
        try:
            yield suite.open_segment(key, layout.nonce(prefix, index, last), sealed, aad)
        except AuthenticationFailed:
            raise BundleError("BUNDLE_SEGMENT", index=index) from None


class _Reader:
    """Exact reads from a stream of plaintext segments."""

    def __init__(self, segments: Iterator[bytes]) -> None:
        self.segments = segments
        self.buffer = b""

    def read(self, size: int) -> Iterator[bytes]:
        while size > 0:
            if not self.buffer:
                self.buffer = next(self.segments, b"")
                if not self.buffer:
                    raise BundleError("BUNDLE_FORMAT", reason="payload shorter than its manifest says")
            piece, self.buffer = self.buffer[:size], self.buffer[size:]
            size -= len(piece)
            yield piece

    def exactly(self, size: int) -> bytes:
        return b"".join(self.read(size))

    def at_end(self) -> bool:
        return not self.buffer and next(self.segments, b"") == b""


def _extract(header: layout.Header, segments: Iterator[bytes], staging: Path) -> dict[str, Any]:
    reader = _Reader(segments)
    (length,) = struct.unpack(">I", reader.exactly(4))
    if length > MAX_MANIFEST:
        raise BundleError("BUNDLE_FORMAT", reason="manifest too long")
    manifest = _manifest(reader.exactly(length), header)
    for entry in manifest["files"]:
        target = staging / entry["name"]
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = header.suite.new_hash()
        with target.open("wb") as f:
            for piece in reader.read(entry["size"]):
                digest.update(piece)
                f.write(piece)
        if digest.hexdigest() != entry["digest"]:
            raise BundleError("BUNDLE_DIGEST", detail=entry["name"])
    if not reader.at_end():
        raise BundleError("BUNDLE_FORMAT", reason="payload longer than its manifest says")
    return manifest


def _manifest(data: bytes, header: layout.Header) -> dict[str, Any]:
    try:
        manifest = json.loads(data.decode("utf-8"))
        files = manifest["files"]
        names = [entry["name"] for entry in files]
        sizes_ok = all(
            isinstance(e["size"], int) and e["size"] >= 0 and isinstance(e["digest"], str) for e in files
        )
    except (UnicodeDecodeError, ValueError, KeyError, TypeError):
        raise BundleError("BUNDLE_FORMAT", reason="manifest") from None
    if not sizes_ok or not all(isinstance(name, str) for name in names):
        raise BundleError("BUNDLE_FORMAT", reason="manifest file list")
    if len(files) > MAX_FILES:
        raise BundleError("BUNDLE_BOMB", reason=f"{len(files)} files")
    check_names(names)
    for field in ("bundle_id", "kiosk_id", "service_code"):
        if manifest.get(field) != header.fields[field]:
            raise BundleError("BUNDLE_MISMATCH", field=field)
    if 4 + len(data) + sum(e["size"] for e in files) != header.fields["plaintext_length"]:
        raise BundleError("BUNDLE_FORMAT", reason="file sizes disagree with the plaintext length")
    return manifest

"""Sealing: files and a manifest into one bundle file, encrypted to the township and signed by the
terminal, streamed segment by segment so memory stays flat whatever the size.

The file appears at its final name only complete, fsynced, and with its folder entry fsynced.
"""

from __future__ import annotations

import base64
import os
import struct
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from kiosk.bundle import layout
from kiosk.bundle.sources import Source, check_names
from kiosk.crypto.suites import SIGNATURE_BYTES, SigningKey, random_key
from kiosk.errors import BundleError
from kiosk.keys import TownshipPublic, fingerprint

READ_BLOCK = 1024 * 1024


@dataclass(frozen=True)
class SealedBundle:
    path: Path
    header: layout.Header

    @property
    def bundle_id(self) -> str:
        return self.header.bundle_id

    @property
    def digest(self) -> str:
        return self.header.bundle_digest()


def seal(
    *,
    sources: list[Source],
    manifest: dict[str, Any],
    bundle_id: str,
    kiosk_id: str,
    service_code: str,
    device_key: SigningKey,
    recipient: TownshipPublic,
    out: Path,
    segment_size: int = layout.SEGMENT_SIZE,
) -> SealedBundle:
    """Seal `sources` with `manifest` (application data: anything JSON) into the file `out`."""
    suite = recipient.suite
    if device_key.public.suite is not suite:
        raise BundleError("KEY_SUITE_MISMATCH", device=device_key.public.suite.name, township=suite.name)
    check_names([source.name for source in sources])
    created_at = datetime.now().astimezone().isoformat(timespec="seconds")
    digests = [_digest(source, suite) for source in sources]
    manifest_json = layout.canonical_json(
        {
            **manifest,
            "format": layout.FORMAT,
            "bundle_id": bundle_id,
            "kiosk_id": kiosk_id,
            "service_code": service_code,
            "created_at": created_at,
            "files": [
                {"name": s.name, "size": s.size, "digest": d} for s, d in zip(sources, digests, strict=True)
            ],
        }
    )
    content_key = random_key(suite)
    fields = {
        "format": layout.FORMAT,
        "suite": suite.name,
        "bundle_id": bundle_id,
        "kiosk_id": kiosk_id,
        "device_key_id": fingerprint(device_key.public),
        "created_at": created_at,
        "service_code": service_code,
        "recipient_key_id": recipient.key_id,
        "wrapped_key": base64.b64encode(
            suite.wrap(recipient.encryption, content_key, bundle_id.encode())
        ).decode(),
        "nonce_prefix": base64.b64encode(os.urandom(layout.NONCE_PREFIX_BYTES)).decode(),
        "segment_size": segment_size,
        "plaintext_length": 4 + len(manifest_json) + sum(s.size for s in sources),
    }
    header_json = layout.canonical_json(fields)
    if len(header_json) > 0xFFFF:
        raise BundleError("BUNDLE_FORMAT", reason="header too long")
    layout.check_fields(header_json, suite)  # the writer refuses what a reader would refuse
    draft = layout.Header(
        suite,
        fields,
        header_json,
        layout.ciphertext_length(fields["plaintext_length"], segment_size),
        bytes(layout.DIGEST_BYTES),
        bytes(SIGNATURE_BYTES),
    )
    plaintext = _plaintext(manifest_json, sources, digests, suite)
    with _AtomicFile(out) as f:
        f.write(draft.encode())
        digest = _encrypt(plaintext, draft, content_key, f)
        signed = layout.Header(
            suite, fields, header_json, draft.ciphertext_length, digest, bytes(SIGNATURE_BYTES)
        ).signed_block
        header = layout.Header(
            suite,
            fields,
            header_json,
            draft.ciphertext_length,
            digest,
            device_key.sign(layout.SIGNATURE_CONTEXT + signed),
        )
        f.seek(0)
        f.write(header.encode())
    return SealedBundle(out, header)


def _digest(source: Source, suite) -> str:
    digest, size = suite.new_hash(), 0
    with source.open() as stream:
        for block in iter(lambda: stream.read(READ_BLOCK), b""):
            digest.update(block)
            size += len(block)
    if size != source.size:
        raise BundleError("BUNDLE_SOURCE_CHANGED", file=source.name)
    return digest.hexdigest()


def _plaintext(manifest_json: bytes, sources: list[Source], digests: list[str], suite) -> Iterator[bytes]:
    """The payload as a stream; each file is hashed again as it is read and must not have changed."""
    yield struct.pack(">I", len(manifest_json)) + manifest_json
    for source, expected in zip(sources, digests, strict=True):
        digest, size = suite.new_hash(), 0
        with source.open() as stream:
            for block in iter(lambda stream=stream: stream.read(READ_BLOCK), b""):
                digest.update(block)
                size += len(block)
                yield block
        if size != source.size or digest.hexdigest() != expected:
            raise BundleError("BUNDLE_SOURCE_CHANGED", file=source.name)


def _segments(pieces: Iterator[bytes], segment_size: int) -> Iterator[bytes]:
    buffer = bytearray()
    for piece in pieces:
        buffer += piece
        while len(buffer) >= segment_size:
            yield bytes(buffer[:segment_size])
            del buffer[:segment_size]
    if buffer:
        yield bytes(buffer)


def _encrypt(plaintext: Iterator[bytes], header: layout.Header, key: bytes, out: BinaryIO) -> bytes:
    suite, fields = header.suite, header.fields
    prefix = base64.b64decode(fields["nonce_prefix"])
    count = layout.segment_count(fields["plaintext_length"], fields["segment_size"])
    aad = header.segment_aad
    digest, index = suite.new_hash(), 0
    for index, segment in enumerate(_segments(plaintext, fields["segment_size"])):
        sealed = suite.seal_segment(key, layout.nonce(prefix, index, index == count - 1), segment, aad)
        digest.update(sealed)
        out.write(sealed)
    if index != count - 1:
        raise BundleError("BUNDLE_SOURCE_CHANGED", file="(length)")
    return digest.digest()


class _AtomicFile:
    """A temporary file beside `path`, renamed over it only if the block completes."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self) -> BinaryIO:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp")
        self.tmp = Path(name)
        self.file = os.fdopen(fd, "w+b")
        return self.file

    def __exit__(self, kind, value, traceback) -> None:
        try:
            if kind is None:
                self.file.flush()
                os.fsync(self.file.fileno())
        finally:
            self.file.close()
        if kind is not None:
            self.tmp.unlink(missing_ok=True)
            return
        os.replace(self.tmp, self.path)
        fsync_directory(self.path.parent)


def fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

"""The byte layout of a sealed bundle, format 1 (docs/bundle-format.md): preamble, header JSON,
ciphertext length and digest, device signature, then the ciphertext segments.

Pure encoding and parsing with exact bounds; no keys, no files.
"""

from __future__ import annotations

import json
import re
import struct
from dataclasses import dataclass
from typing import Any

from kiosk.crypto.suites import BY_CODE, SIGNATURE_BYTES, TAG_BYTES, Suite
from kiosk.errors import BundleError

MAGIC = b"KSKB"
FORMAT = 1
PREAMBLE = struct.Struct(">4sBBH")  # magic, format, suite code, header length
TRAILER = struct.Struct(">Q32s")  # ciphertext length, ciphertext digest
DIGEST_BYTES = 32
NONCE_PREFIX_BYTES = 7
SEGMENT_SIZE = 64 * 1024
MIN_SEGMENT, MAX_SEGMENT = 1024, 16 * 1024 * 1024
SIGNATURE_CONTEXT = b"KSKB v1 device signature\x00"
HEADER_FIELDS = {
    "format": int,
    "suite": str,
    "bundle_id": str,
    "kiosk_id": str,
    "device_key_id": str,
    "created_at": str,
    "service_code": str,
    "recipient_key_id": str,
    "wrapped_key": str,
    "nonce_prefix": str,
    "segment_size": int,
    "plaintext_length": int,
}
BUNDLE_ID = re.compile(r"[0-9a-f]{32}")
KIOSK_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
KEY_ID = re.compile(r"[0-9a-f]{8}(:[0-9a-f]{8}){3}")


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8: the same bytes from every writer."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def segment_count(plaintext_length: int, segment_size: int) -> int:
    return -(-plaintext_length // segment_size)


def ciphertext_length(plaintext_length: int, segment_size: int) -> int:
    return plaintext_length + TAG_BYTES * segment_count(plaintext_length, segment_size)


def nonce(prefix: bytes, index: int, last: bool) -> bytes:
    """prefix (7) || segment index (4, big-endian) || 1 on the last segment else 0 (the STREAM
    construction): segments cannot be reordered, dropped or cut off at a segment boundary."""
    return prefix + struct.pack(">IB", index, 1 if last else 0)


@dataclass(frozen=True)
class Header:
    """The cleartext part of a bundle, as parsed and checked."""

    suite: Suite
    fields: dict[str, Any]
    header_json: bytes
    ciphertext_length: int
    ciphertext_digest: bytes
    signature: bytes

    @property
    def bundle_id(self) -> str:
        return self.fields["bundle_id"]

    @property
    def kiosk_id(self) -> str:
        return self.fields["kiosk_id"]

    @property
    def preamble_and_json(self) -> bytes:
        return PREAMBLE.pack(MAGIC, FORMAT, self.suite.code, len(self.header_json)) + self.header_json

    @property
    def signed_block(self) -> bytes:
        """What the device signs (after SIGNATURE_CONTEXT): preamble, JSON, length and digest."""
        return self.preamble_and_json + TRAILER.pack(self.ciphertext_length, self.ciphertext_digest)

    @property
    def size(self) -> int:
        """Bytes before the ciphertext."""
        return len(self.signed_block) + SIGNATURE_BYTES

    @property
    def total_size(self) -> int:
        return self.size + self.ciphertext_length

    @property
    def segment_aad(self) -> bytes:
        """Every segment authenticates the preamble and header JSON through their hash."""
        return self.suite.hash(self.preamble_and_json)

    def bundle_digest(self) -> str:
        """The bundle's identity in receipts: hash of everything before the ciphertext (which
        covers the ciphertext through its digest) including the signature."""
        return self.suite.hash(self.signed_block + self.signature).hex()

    def encode(self) -> bytes:
        return self.signed_block + self.signature


def header_size_needed(prefix: bytes) -> int:
    """How many leading bytes parse_header needs, from the first 8 (or 8 if fewer are given)."""
    if len(prefix) < PREAMBLE.size:
        return PREAMBLE.size
    return PREAMBLE.size + PREAMBLE.unpack_from(prefix)[3] + TRAILER.size + SIGNATURE_BYTES


def parse_header(data: bytes) -> Header:
    """Parse and check the header from the first bytes of a bundle (at least header_size_needed)."""
    if len(data) < PREAMBLE.size:
        raise BundleError("BUNDLE_TRUNCATED")
    magic, version, suite_code, json_length = PREAMBLE.unpack_from(data)
    if magic != MAGIC:
        raise BundleError("BUNDLE_FORMAT", reason="not a bundle (magic)")
    if version != FORMAT:
        raise BundleError("BUNDLE_VERSION", version=version)
    suite = BY_CODE.get(suite_code)
    if suite is None:
        raise BundleError("BUNDLE_FORMAT", reason=f"unknown suite code {suite_code}")
    end = PREAMBLE.size + json_length
    if len(data) < end + TRAILER.size + SIGNATURE_BYTES:
        raise BundleError("BUNDLE_TRUNCATED")
    header_json = data[PREAMBLE.size : end]
    fields = check_fields(header_json, suite)
    length, digest = TRAILER.unpack_from(data, end)
    if length != ciphertext_length(fields["plaintext_length"], fields["segment_size"]):
        raise BundleError("BUNDLE_FORMAT", reason="ciphertext length disagrees with the plaintext length")
    signature = data[end + TRAILER.size : end + TRAILER.size + SIGNATURE_BYTES]
    return Header(suite, fields, header_json, length, digest, signature)


def check_fields(header_json: bytes, suite: Suite) -> dict[str, Any]:
    try:
        fields = json.loads(header_json.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise BundleError("BUNDLE_FORMAT", reason="header is not UTF-8 JSON") from None
    if not isinstance(fields, dict):
        raise BundleError("BUNDLE_FORMAT", reason="header is not a JSON object")
    for name, kind in HEADER_FIELDS.items():
        value = fields.get(name)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise BundleError("BUNDLE_FORMAT", reason=f"header field {name} missing or not {kind.__name__}")
    checks = {
        "format": fields["format"] == FORMAT,
        "suite": fields["suite"] == suite.name,
        "bundle_id": BUNDLE_ID.fullmatch(fields["bundle_id"]) is not None,
        "kiosk_id": KIOSK_ID.fullmatch(fields["kiosk_id"]) is not None,
        "device_key_id": KEY_ID.fullmatch(fields["device_key_id"]) is not None,
        "recipient_key_id": KEY_ID.fullmatch(fields["recipient_key_id"]) is not None,
        "segment_size": MIN_SEGMENT <= fields["segment_size"] <= MAX_SEGMENT,
        "plaintext_length": 4 <= fields["plaintext_length"] < fields["segment_size"] * 2**32,
    }
    for name, ok in checks.items():
        if not ok:
            raise BundleError("BUNDLE_FORMAT", reason=f"header field {name} has a wrong value")
    return fields

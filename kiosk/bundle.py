"""Sealed application bundles: encrypted to the township, signed by the terminal.

Layout (format 0): magic "KSKB", format byte, 4-byte header length, header JSON, AES-256-GCM
ciphertext of a zip of the payload, Ed25519 signature over everything before it. The key is wrapped
with X25519 + HKDF-SHA256. Opening checks signature, digest and recipient before decrypting, and
writes nothing until everything has verified.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from kiosk.errors import BundleError
from kiosk.keys import TownshipPrivate, TownshipPublic

MAGIC = b"KSKB"
FORMAT = 0
SUITE = "x25519-hkdf-sha256+aes-256-gcm+ed25519"
SIGNATURE_BYTES = 64
MANIFEST = "manifest.json"
MAX_HEADER = 64 * 1024
MAX_FILES = 2000  # a generous ceiling for one application's pages; more is a file-count bomb


@dataclass(frozen=True)
class SealedBundle:
    path: Path
    header: dict[str, Any]

    @property
    def bundle_id(self) -> str:
        return self.header["bundle_id"]

    @property
    def sha256(self) -> str:
        return file_sha256(self.path)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _content_key(shared: bytes, bundle_id: str) -> bytes:
    info = f"kiosk bundle {FORMAT} {bundle_id}".encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(shared)


def _raw(public_key: X25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _zip(manifest: dict[str, Any], files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1))
        for name, data in sorted(files.items()):
            archive.writestr(f"files/{name}", data)
    return out.getvalue()


def seal(
    *,
    manifest: dict[str, Any],
    files: dict[str, bytes],
    bundle_id: str,
    kiosk_id: str,
    service_code: str,
    device_key: Ed25519PrivateKey,
    recipient: TownshipPublic,
    out: Path,
) -> SealedBundle:
    """Encrypt and sign; the file appears at `out` only complete and fsynced."""
    manifest = {**manifest, "files": {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}}
    ephemeral = X25519PrivateKey.generate()
    key = _content_key(ephemeral.exchange(recipient.encryption), bundle_id)
    nonce = os.urandom(12)
    plaintext = _zip(manifest, files)
    header = {
        "format": FORMAT,
        "bundle_id": bundle_id,
        "kiosk_id": kiosk_id,
        "created_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "service_code": service_code,
        "suite": SUITE,
        "recipient_key_id": recipient.key_id,
        "ephemeral_key": base64.b64encode(_raw(ephemeral.public_key())).decode(),
        "nonce": base64.b64encode(nonce).decode(),
        "ciphertext_length": len(plaintext) + 16,
    }
    header_bytes = json.dumps(header, sort_keys=True).encode()
    prefix = MAGIC + bytes([FORMAT]) + len(header_bytes).to_bytes(4, "big") + header_bytes
    ciphertext = AESGCM(key).encrypt(nonce, plaintext, prefix)
    signed = prefix + ciphertext
    _write_atomically(out, signed + device_key.sign(signed))
    return SealedBundle(out, header)


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def split(data: bytes) -> tuple[dict[str, Any], bytes, bytes, bytes]:
    """(header, signed part, ciphertext, signature); raises on any structural problem."""
    if len(data) < 9 + SIGNATURE_BYTES or data[:4] != MAGIC:
        raise BundleError("BUNDLE_TRUNCATED" if data[:4] == MAGIC else "BUNDLE_FORMAT", reason="magic")
    if data[4] != FORMAT:
        raise BundleError("BUNDLE_FORMAT", reason=f"format {data[4]}")
    header_length = int.from_bytes(data[5:9], "big")
    if header_length > MAX_HEADER or 9 + header_length + SIGNATURE_BYTES > len(data):
        raise BundleError("BUNDLE_TRUNCATED")
    try:
        header = json.loads(data[9 : 9 + header_length])
    except (ValueError, UnicodeDecodeError):
        raise BundleError("BUNDLE_FORMAT", reason="header is not JSON") from None
    if not isinstance(header, dict):
        raise BundleError("BUNDLE_FORMAT", reason="header is not an object")
    signed, signature = data[:-SIGNATURE_BYTES], data[-SIGNATURE_BYTES:]
    ciphertext = signed[9 + header_length :]
    if len(ciphertext) != header.get("ciphertext_length"):
        raise BundleError("BUNDLE_TRUNCATED")
    return header, signed, ciphertext, signature


def read_header(data: bytes) -> dict[str, Any]:
    return split(data)[0]


TrustLookup = Callable[[str], Ed25519PublicKey | None]


def open_bytes(
    data: bytes, township: TownshipPrivate, trust: TrustLookup
) -> tuple[dict[str, Any], dict[str, Any], dict[str, bytes]]:
    """Verify and decrypt in memory: (header, manifest, files)."""
    header, signed, ciphertext, signature = split(data)
    device_key = trust(str(header.get("kiosk_id", "")))
    if device_key is None:
        raise BundleError("BUNDLE_UNKNOWN_KIOSK", kiosk=str(header.get("kiosk_id", "")))
    try:
        device_key.verify(signature, signed)
    except InvalidSignature:
        raise BundleError("BUNDLE_BAD_SIGNATURE") from None
    if header.get("recipient_key_id") != township.public.key_id:
        raise BundleError("BUNDLE_WRONG_RECIPIENT")
    try:
        ephemeral = X25519PublicKey.from_public_bytes(base64.b64decode(header["ephemeral_key"]))
        key = _content_key(township.encryption.exchange(ephemeral), header["bundle_id"])
        plaintext = AESGCM(key).decrypt(
            base64.b64decode(header["nonce"]), ciphertext, signed[: len(signed) - len(ciphertext)]
        )
    except (InvalidTag, KeyError, ValueError):
        raise BundleError("BUNDLE_DECRYPT") from None
    manifest, files = _unzip(plaintext)
    return header, manifest, files


def _unzip(plaintext: bytes) -> tuple[dict[str, Any], dict[str, bytes]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(plaintext))
        entries = archive.infolist()
        if len(entries) > MAX_FILES + 1:
            raise BundleError("BUNDLE_BOMB", reason=f"{len(entries)} files")
        if any(info.compress_type != zipfile.ZIP_STORED for info in entries):
            # Sealing never compresses, so no entry can unpack to more than the bundle's own size.
            raise BundleError("BUNDLE_BOMB", reason="compressed entry")
        manifest = json.loads(archive.read(MANIFEST))
        files = {}
        for info in entries:
            if info.filename == MANIFEST:
                continue
            name = PurePosixPath(info.filename)
            if name.parts[0] != "files" or ".." in name.parts or len(name.parts) != 2:
                raise BundleError("BUNDLE_FORMAT", reason=f"path {info.filename}")
            files[name.name] = archive.read(info)
    except (zipfile.BadZipFile, KeyError, ValueError):
        raise BundleError("BUNDLE_FORMAT", reason="payload") from None
    for name, digest in manifest.get("files", {}).items():
        if hashlib.sha256(files.get(name, b"")).hexdigest() != digest:
            raise BundleError("BUNDLE_DIGEST", detail=name)
    return manifest, files


def open_to_folder(data: bytes, township: TownshipPrivate, trust: TrustLookup, out: Path) -> dict[str, Any]:
    """Verify, decrypt and write manifest.json and files/ under `out`; nothing appears on failure."""
    header, manifest, files = open_bytes(data, township, trust)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}."))
    try:
        (staging / "files").mkdir()
        (staging / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        (staging / "header.json").write_text(json.dumps(header, indent=1), encoding="utf-8")
        for name, content in files.items():
            (staging / "files" / name).write_bytes(content)
        staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return manifest

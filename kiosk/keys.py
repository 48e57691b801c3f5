"""Keys: the terminal's signing key and the township's key pair (encryption + signing).

Private keys are written atomically with mode 0600. No network, no UI.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from kiosk.errors import BundleError

PEM = serialization.Encoding.PEM
RAW = serialization.Encoding.Raw


def fingerprint(public_key: Ed25519PublicKey | X25519PublicKey) -> str:
    """First 16 bytes of SHA-256 over the raw public key, as four hex groups."""
    raw = public_key.public_bytes(RAW, serialization.PublicFormat.Raw)
    digest = hashlib.sha256(raw).hexdigest()[:32]
    return ":".join(digest[i : i + 8] for i in range(0, 32, 8))


def private_pem(key: Ed25519PrivateKey | X25519PrivateKey) -> bytes:
    return key.private_bytes(PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def public_pem(key: Ed25519PublicKey | X25519PublicKey) -> bytes:
    return key.public_bytes(PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def write_file(path: Path, data: bytes, mode: int) -> None:
    """Write atomically with `mode` set before any byte is written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


PEM_BLOCK = re.compile(rb"-----BEGIN [A-Z ]+-----.+?-----END [A-Z ]+-----", re.S)


def _pem_blocks(path: Path) -> list[bytes]:
    try:
        return PEM_BLOCK.findall(path.read_bytes())
    except FileNotFoundError:
        raise BundleError("KEY_MISSING", file=str(path)) from None


def _load(path: Path, index: int, private: bool, kind: type):
    blocks = _pem_blocks(path)
    try:
        block = blocks[index]
        key = (
            serialization.load_pem_private_key(block, None)
            if private
            else serialization.load_pem_public_key(block)
        )
    except (IndexError, ValueError, TypeError):
        raise BundleError("KEY_INVALID", file=str(path)) from None
    if not isinstance(key, kind):
        raise BundleError("KEY_INVALID", file=str(path))
    return key


# --- The terminal ------------------------------------------------------------------------------


def create_device_key(directory: Path) -> Ed25519PrivateKey:
    key = Ed25519PrivateKey.generate()
    write_file(directory / "device.key", private_pem(key), 0o600)
    write_file(directory / "device.pub", public_pem(key.public_key()), 0o644)
    return key


def load_device_key(path: Path) -> Ed25519PrivateKey:
    return _load(path, 0, True, Ed25519PrivateKey)


def load_device_public(path: Path) -> Ed25519PublicKey:
    return _load(path, 0, False, Ed25519PublicKey)


# --- The township ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TownshipPublic:
    """What terminals hold: the key bundles are wrapped to, and the key that signs receipts."""

    encryption: X25519PublicKey
    signing: Ed25519PublicKey

    @property
    def key_id(self) -> str:
        return fingerprint(self.encryption)


@dataclass(frozen=True)
class TownshipPrivate:
    encryption: X25519PrivateKey
    signing: Ed25519PrivateKey

    @property
    def public(self) -> TownshipPublic:
        return TownshipPublic(self.encryption.public_key(), self.signing.public_key())


def create_township_key(directory: Path) -> TownshipPrivate:
    key = TownshipPrivate(X25519PrivateKey.generate(), Ed25519PrivateKey.generate())
    write_file(directory / "township.key", private_pem(key.encryption) + private_pem(key.signing), 0o600)
    public = key.public
    write_file(directory / "township.pub", public_pem(public.encryption) + public_pem(public.signing), 0o644)
    return key


def load_township_private(path: Path) -> TownshipPrivate:
    return TownshipPrivate(_load(path, 0, True, X25519PrivateKey), _load(path, 1, True, Ed25519PrivateKey))


def load_township_public(path: Path) -> TownshipPublic:
    return TownshipPublic(_load(path, 0, False, X25519PublicKey), _load(path, 1, False, Ed25519PublicKey))

"""Key files: the terminal's signing key and the township's key pair (key wrap + signing), for
either suite, as PEM that OpenSSL reads (PKCS#8 private keys, SubjectPublicKeyInfo public keys).

Private keys are written atomically with mode 0600 set before any byte. No network, no UI.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from kiosk.crypto import sm2
from kiosk.crypto.suites import SUITES, RecipientKey, SigningKey, Suite, UnwrapKey, VerifyKey
from kiosk.errors import BundleError

PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z ]+)-----\r?\n.+?-----END \1-----\r?\n?", re.S)
PRIVATE, PUBLIC = "PRIVATE KEY", "PUBLIC KEY"
AnyPublic = VerifyKey | RecipientKey


def suite_named(name: str) -> Suite:
    try:
        return SUITES[name]
    except KeyError:
        raise BundleError("KEY_SUITE_UNKNOWN", suite=name) from None


def fingerprint(key: AnyPublic) -> str:
    """The key id: first 16 bytes of the suite's hash (SHA-256 / SM3) of the raw public key."""
    return key.suite.fingerprint(key.raw)


# --- PEM ---------------------------------------------------------------------------------------


def private_pem(key: SigningKey | UnwrapKey) -> bytes:
    inner = key.key
    if isinstance(inner, sm2.SM2PrivateKey):
        return sm2.pem_armor(PRIVATE, inner.pkcs8_der())
    return inner.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def public_pem(key: AnyPublic) -> bytes:
    inner = key.key
    if isinstance(inner, sm2.SM2PublicKey):
        return sm2.pem_armor(PUBLIC, inner.spki_der())
    return inner.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def _der(block: bytes) -> bytes:
    from asn1crypto import pem

    return pem.unarmor(block)[2]


def _private(block: bytes):
    try:
        return serialization.load_pem_private_key(block, None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return sm2.private_from_pkcs8(_der(block))


def _public(block: bytes):
    try:
        return serialization.load_pem_public_key(block)
    except (ValueError, UnsupportedAlgorithm):
        return sm2.public_from_spki(_der(block))


def _blocks(data: bytes, label: str, source: str) -> list[bytes]:
    blocks = [m.group(0) for m in PEM_BLOCK.finditer(data) if m.group(1).decode() == label]
    if not blocks:
        raise BundleError("KEY_INVALID", file=source)
    return blocks


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise BundleError("KEY_MISSING", file=str(path)) from None
    except OSError as e:
        raise BundleError("KEY_INVALID", file=f"{path}: {e.strerror}") from None


def _parse(block: bytes, private: bool, kinds: tuple[type, ...], source: str):
    try:
        key = _private(block) if private else _public(block)
    except (ValueError, sm2.SM2Error):
        key = None
    if not isinstance(key, kinds):
        raise BundleError("KEY_INVALID", file=source)
    return key


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


# --- The terminal ------------------------------------------------------------------------------

SIGNING_PRIVATE = (Ed25519PrivateKey, sm2.SM2PrivateKey)
SIGNING_PUBLIC = (Ed25519PublicKey, sm2.SM2PublicKey)


def create_device_key(directory: Path, suite: Suite | None = None) -> SigningKey:
    key = (suite or SUITES["modern"]).new_signing_key()
    write_file(directory / "device.key", private_pem(key), 0o600)
    write_file(directory / "device.pub", public_pem(key.public), 0o644)
    return key


def load_device_key(path: Path) -> SigningKey:
    block = _blocks(_read(path), PRIVATE, str(path))[0]
    return SigningKey(_parse(block, True, SIGNING_PRIVATE, str(path)))


def device_public_from_pem(pem: bytes | str, source: str = "<pem>") -> VerifyKey:
    """A terminal's public key as sent at enrolment or kept by the back office."""
    data = pem.encode() if isinstance(pem, str) else pem
    return VerifyKey(_parse(_blocks(data, PUBLIC, source)[0], False, SIGNING_PUBLIC, source))


def load_device_public(path: Path) -> VerifyKey:
    return device_public_from_pem(_read(path), str(path))


# --- The township ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TownshipPublic:
    """What terminals hold: the key bundles are wrapped to, and the key that signs receipts."""

    encryption: RecipientKey
    signing: VerifyKey

    @property
    def suite(self) -> Suite:
        return self.encryption.suite

    @property
    def key_id(self) -> str:
        return fingerprint(self.encryption)

    def pem(self) -> bytes:
        return public_pem(self.encryption) + public_pem(self.signing)


@dataclass(frozen=True)
class TownshipPrivate:
    encryption: UnwrapKey
    signing: SigningKey

    @property
    def suite(self) -> Suite:
        return self.encryption.public.suite

    @property
    def public(self) -> TownshipPublic:
        return TownshipPublic(self.encryption.public, self.signing.public)


def create_township_key(directory: Path, suite: Suite | None = None) -> TownshipPrivate:
    suite = suite or SUITES["modern"]
    key = TownshipPrivate(suite.new_unwrap_key(), suite.new_signing_key())
    write_file(directory / "township.key", private_pem(key.encryption) + private_pem(key.signing), 0o600)
    write_file(directory / "township.pub", key.public.pem(), 0o644)
    return key


def _same_suite(encryption_suite: Suite, signing_suite: Suite, source: str) -> None:
    if encryption_suite is not signing_suite:
        raise BundleError("KEY_INVALID", file=f"{source} (mixed suites)")


def load_township_private(path: Path) -> TownshipPrivate:
    blocks = _blocks(_read(path), PRIVATE, str(path))
    if len(blocks) != 2:
        raise BundleError("KEY_INVALID", file=str(path))
    key = TownshipPrivate(
        UnwrapKey(_parse(blocks[0], True, (X25519PrivateKey, sm2.SM2PrivateKey), str(path))),
        SigningKey(_parse(blocks[1], True, SIGNING_PRIVATE, str(path))),
    )
    _same_suite(key.suite, key.signing.public.suite, str(path))
    return key


def township_public_from_pem(pem: bytes | str, source: str = "<pem>") -> TownshipPublic:
    data = pem.encode() if isinstance(pem, str) else pem
    blocks = _blocks(data, PUBLIC, source)
    if len(blocks) != 2:
        raise BundleError("KEY_INVALID", file=source)
    key = TownshipPublic(
        RecipientKey(_parse(blocks[0], False, (X25519PublicKey, sm2.SM2PublicKey), source)),
        VerifyKey(_parse(blocks[1], False, SIGNING_PUBLIC, source)),
    )
    _same_suite(key.suite, key.signing.suite, source)
    return key


def load_township_public(path: Path) -> TownshipPublic:
    return township_public_from_pem(_read(path), str(path))

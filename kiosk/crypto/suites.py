"""The two cipher suites behind one interface: hashing, segment AEAD, content-key wrap, signatures.

modern: X25519 + HKDF-SHA256 wrap, AES-256-GCM, Ed25519, SHA-256 (all from `cryptography`).
gm:     SM2 wrap (GB/T 32918.4), SM4-GCM (GB/T 32907 + RFC 8998), SM2 signature, SM3 (GB/T 32905).
No file formats and no key files here: only the algorithms, with typed keys.
"""

from __future__ import annotations

import hashlib
import os
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Protocol

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from kiosk.crypto.sm2 import SM2Error, SM2PrivateKey, SM2PublicKey

TAG_BYTES = 16
NONCE_BYTES = 12
SIGNATURE_BYTES = 64
WRAP_INFO = b"KSKB v1 key wrap"
RAW = serialization.Encoding.Raw, serialization.PublicFormat.Raw


class AuthenticationFailed(Exception):
    """A tag, wrapped key or signature did not verify."""


class Digest(Protocol):
    def update(self, data: bytes, /) -> None: ...
    def digest(self) -> bytes: ...
    def hexdigest(self) -> str: ...


class _SM3:
    """hashlib-style SM3 over cryptography's (OpenSSL's) implementation."""

    def __init__(self) -> None:
        self._hash = hashes.Hash(hashes.SM3())

    def update(self, data: bytes, /) -> None:
        self._hash.update(data)

    def digest(self) -> bytes:
        return self._hash.copy().finalize()

    def hexdigest(self) -> str:
        return self.digest().hex()


# --- keys, typed by suite ---------------------------------------------------------------------


@dataclass(frozen=True)
class _PublicKey:
    key: Ed25519PublicKey | X25519PublicKey | SM2PublicKey

    @property
    def suite(self) -> Suite:
        return GM if isinstance(self.key, SM2PublicKey) else MODERN

    @property
    def raw(self) -> bytes:
        return self.key.point if isinstance(self.key, SM2PublicKey) else self.key.public_bytes(*RAW)


@dataclass(frozen=True)
class VerifyKey(_PublicKey):
    """A public signature key: Ed25519 (modern) or SM2 (gm)."""

    def verify(self, signature: bytes, message: bytes) -> bool:
        if isinstance(self.key, SM2PublicKey):
            return self.key.verify(signature, message)
        try:
            self.key.verify(signature, message)
        except InvalidSignature:
            return False
        return True


def _public_of(key: Ed25519PrivateKey | X25519PrivateKey | SM2PrivateKey):
    """The public half: gmssl-pyx's SM2 keys carry it as `.public`, cryptography's give `.public_key()`."""
    return key.public if isinstance(key, SM2PrivateKey) else key.public_key()


@dataclass(frozen=True)
class SigningKey:
    key: Ed25519PrivateKey | SM2PrivateKey

    @property
    def public(self) -> VerifyKey:
        return VerifyKey(_public_of(self.key))

    def sign(self, message: bytes) -> bytes:
        return self.key.sign(message)


@dataclass(frozen=True)
class RecipientKey(_PublicKey):
    """A public key-wrap key: X25519 (modern) or SM2 (gm)."""


@dataclass(frozen=True)
class UnwrapKey:
    key: X25519PrivateKey | SM2PrivateKey

    @property
    def public(self) -> RecipientKey:
        return RecipientKey(_public_of(self.key))


# --- the suites -------------------------------------------------------------------------------


class Suite(ABC):
    name: str
    code: int  # the byte in a bundle's preamble
    key_bytes: int  # content key length
    title: str

    @abstractmethod
    def new_hash(self) -> Digest:
        """A fresh hashlib-style object (SHA-256 or SM3)."""

    def hash(self, data: bytes) -> bytes:
        digest = self.new_hash()
        digest.update(data)
        return digest.digest()

    @abstractmethod
    def seal_segment(self, key: bytes, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
        """Ciphertext || 16-byte tag."""

    @abstractmethod
    def open_segment(self, key: bytes, nonce: bytes, sealed: bytes, aad: bytes) -> bytes:
        """The plaintext; AuthenticationFailed if the tag does not verify."""

    @abstractmethod
    def wrap(self, recipient: RecipientKey, content_key: bytes, context: bytes) -> bytes:
        """The content key, readable only with the recipient's private key."""

    @abstractmethod
    def unwrap(self, key: UnwrapKey, wrapped: bytes, context: bytes) -> bytes:
        """The content key; AuthenticationFailed if it was not wrapped to `key` with `context`."""

    @abstractmethod
    def new_signing_key(self) -> SigningKey:
        """A fresh signature key pair."""

    @abstractmethod
    def new_unwrap_key(self) -> UnwrapKey:
        """A fresh key-wrap key pair."""

    def fingerprint(self, raw_public_key: bytes) -> str:
        """First 16 bytes of the suite's hash of the raw public key, as four hex groups."""
        digest = self.hash(raw_public_key)[:16].hex()
        return ":".join(digest[i : i + 8] for i in range(0, 32, 8))


class ModernSuite(Suite):
    name, code, key_bytes = "modern", 1, 32
    title = "X25519+HKDF-SHA256 / AES-256-GCM / Ed25519 / SHA-256"

    def new_hash(self) -> Digest:
        return hashlib.sha256()

    def seal_segment(self, key: bytes, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
        return AESGCM(key).encrypt(nonce, plaintext, aad)

    def open_segment(self, key: bytes, nonce: bytes, sealed: bytes, aad: bytes) -> bytes:
        try:
            return AESGCM(key).decrypt(nonce, sealed, aad)
        except InvalidTag:
            raise AuthenticationFailed from None

    def _kek(self, shared: bytes, ephemeral: bytes, recipient: bytes) -> bytes:
        return HKDF(hashes.SHA256(), 32, salt=ephemeral + recipient, info=WRAP_INFO).derive(shared)

    def wrap(self, recipient: RecipientKey, content_key: bytes, context: bytes) -> bytes:
        """ephemeral X25519 public key (32) || AES-256-GCM(KEK, zero nonce, content key, context)."""
        assert isinstance(recipient.key, X25519PublicKey)
        ephemeral = X25519PrivateKey.generate()
        ephemeral_raw = ephemeral.public_key().public_bytes(*RAW)
        kek = self._kek(ephemeral.exchange(recipient.key), ephemeral_raw, recipient.raw)
        return ephemeral_raw + AESGCM(kek).encrypt(bytes(NONCE_BYTES), content_key, context)

    def unwrap(self, key: UnwrapKey, wrapped: bytes, context: bytes) -> bytes:
        if not isinstance(key.key, X25519PrivateKey) or len(wrapped) != 32 + self.key_bytes + TAG_BYTES:
            raise AuthenticationFailed
        try:
            shared = key.key.exchange(X25519PublicKey.from_public_bytes(wrapped[:32]))
            kek = self._kek(shared, wrapped[:32], key.public.raw)
            return AESGCM(kek).decrypt(bytes(NONCE_BYTES), wrapped[32:], context)
        except (InvalidTag, ValueError):
            raise AuthenticationFailed from None

    def new_signing_key(self) -> SigningKey:
        return SigningKey(Ed25519PrivateKey.generate())

    def new_unwrap_key(self) -> UnwrapKey:
        return UnwrapKey(X25519PrivateKey.generate())


class GMSuite(Suite):
    name, code, key_bytes = "gm", 2, 16
    title = "SM2 / SM4-GCM / SM2-with-SM3 / SM3"

    def new_hash(self) -> Digest:
        return _SM3()

    def seal_segment(self, key: bytes, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
        encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
        encryptor.authenticate_additional_data(aad)
        return encryptor.update(plaintext) + encryptor.finalize() + encryptor.tag

    def open_segment(self, key: bytes, nonce: bytes, sealed: bytes, aad: bytes) -> bytes:
        if len(sealed) < TAG_BYTES:
            raise AuthenticationFailed
        decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, sealed[-TAG_BYTES:])).decryptor()
        decryptor.authenticate_additional_data(aad)
        try:
            return decryptor.update(sealed[:-TAG_BYTES]) + decryptor.finalize()
        except InvalidTag:
            raise AuthenticationFailed from None

    def wrap(self, recipient: RecipientKey, content_key: bytes, context: bytes) -> bytes:
        """SM2 encryption of the content key, raw C1 || C3 || C2 (113 bytes); `context` is bound by
        the segment AAD and the signature instead, since SM2 encryption takes no associated data."""
        assert isinstance(recipient.key, SM2PublicKey)
        return recipient.key.encrypt(content_key)

    def unwrap(self, key: UnwrapKey, wrapped: bytes, context: bytes) -> bytes:
        if not isinstance(key.key, SM2PrivateKey):
            raise AuthenticationFailed
        try:
            content_key = key.key.decrypt(wrapped)
        except SM2Error:
            raise AuthenticationFailed from None
        if len(content_key) != self.key_bytes:
            raise AuthenticationFailed
        return content_key

    def new_signing_key(self) -> SigningKey:
        return SigningKey(SM2PrivateKey.generate())

    def new_unwrap_key(self) -> UnwrapKey:
        return UnwrapKey(SM2PrivateKey.generate())


MODERN: Suite = ModernSuite()
GM: Suite = GMSuite()
SUITES: dict[str, Suite] = {suite.name: suite for suite in (MODERN, GM)}
BY_CODE: dict[int, Suite] = {suite.code: suite for suite in (MODERN, GM)}


def random_key(suite: Suite) -> bytes:
    return os.urandom(suite.key_bytes)

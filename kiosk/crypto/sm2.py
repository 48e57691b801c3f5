"""SM2 (GB/T 32918) signatures and public-key encryption through GmSSL (gmssl-pyx), with the raw
encodings our formats use and the PKCS#8 / SubjectPublicKeyInfo PEM that OpenSSL reads.

No arithmetic here: GmSSL does it. This module only converts between encodings and checks shapes.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

import gmssl_pyx
from asn1crypto import core, keys, pem
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

CURVE_OID = "1.2.156.10197.1.301"  # sm2p256v1, GB/T 32918.5
DEFAULT_ID = b"1234567812345678"  # the signer ID of GM/T 0009 when none is agreed
COORDINATE = 32
POINT = 1 + 2 * COORDINATE  # 04 || x || y
SIGNATURE = 2 * COORDINATE  # r || s
HASH = 32  # C3, an SM3 digest

keys.NamedCurve.register("sm2p256v1", CURVE_OID, COORDINATE)
_quiet = threading.Lock()


class SM2Error(ValueError):
    """A key, signature or ciphertext that is malformed or does not check out."""


@contextlib.contextmanager
def _no_library_noise() -> Iterator[None]:
    """GmSSL prints a C stack trace to stderr on every failed check; a failed check is an answer here."""
    with _quiet:
        saved = os.dup(2)
        try:
            with open(os.devnull, "wb") as null:
                os.dup2(null.fileno(), 2)
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


class _Ciphertext(core.Sequence):
    """GM/T 0009 SM2Cipher: the DER form GmSSL and OpenSSL exchange."""

    _fields: ClassVar = [
        ("x", core.Integer),
        ("y", core.Integer),
        ("hash", core.OctetString),
        ("ciphertext", core.OctetString),
    ]


@dataclass(frozen=True)
class SM2PublicKey:
    point: bytes  # 65 bytes, uncompressed

    def __post_init__(self) -> None:
        try:
            normalised = gmssl_pyx.normalize_sm2_public_key(self.point)
        except gmssl_pyx.InvalidValueError:
            raise SM2Error("not a point on the SM2 curve") from None
        if len(self.point) != POINT or normalised != self.point[1:]:
            raise SM2Error("public key must be 65 bytes, uncompressed")

    def verify(self, signature: bytes, message: bytes, signer_id: bytes = DEFAULT_ID) -> bool:
        """SM2 signature check of `message` (Z and SM3 are computed inside) with raw r || s."""
        if len(signature) != SIGNATURE:
            return False
        if not any(signature[:COORDINATE]) or not any(signature[COORDINATE:]):
            return False
        with _no_library_noise():
            try:
                return bool(
                    gmssl_pyx.sm2_verify(self.point[1:], message, signature_to_der(signature), signer_id)
                )
            except gmssl_pyx.GmsslInnerError:
                return False

    def encrypt(self, plaintext: bytes) -> bytes:
        """SM2 public-key encryption; the result is raw C1 || C3 || C2 (GB/T 32918.4-2016 order)."""
        return ciphertext_from_der(gmssl_pyx.sm2_encrypt(self.point[1:], plaintext))

    def spki_der(self) -> bytes:
        return keys.PublicKeyInfo(
            {"algorithm": _algorithm(keys.PublicKeyAlgorithm), "public_key": self.point}
        ).dump()


@dataclass(frozen=True)
class SM2PrivateKey:
    scalar: bytes  # 32 bytes
    public: SM2PublicKey

    @classmethod
    def generate(cls) -> SM2PrivateKey:
        public, private = gmssl_pyx.sm2_key_generate()
        return cls(private, SM2PublicKey(b"\x04" + public))

    def sign(self, message: bytes, signer_id: bytes = DEFAULT_ID) -> bytes:
        """SM2 signature of `message` as raw r || s (each 32 bytes, big-endian)."""
        return signature_from_der(gmssl_pyx.sm2_sign(self.scalar, self.public.point[1:], message, signer_id))

    def decrypt(self, ciphertext: bytes) -> bytes:
        """Inverse of SM2PublicKey.encrypt; raises SM2Error if C3 does not check out."""
        if len(ciphertext) <= POINT + HASH or ciphertext[0] != 4:
            raise SM2Error("SM2 ciphertext too short or C1 not uncompressed")
        with _no_library_noise():
            try:
                return gmssl_pyx.sm2_decrypt(self.scalar, ciphertext_to_der(ciphertext))
            except (gmssl_pyx.GmsslInnerError, gmssl_pyx.InvalidValueError):
                raise SM2Error("SM2 decryption failed") from None

    def pkcs8_der(self) -> bytes:
        inner = keys.ECPrivateKey(
            {
                "version": "ecPrivkeyVer1",
                "private_key": int.from_bytes(self.scalar, "big"),
                "public_key": self.public.point,
            }
        )
        return keys.PrivateKeyInfo(
            {
                "version": 0,
                "private_key_algorithm": _algorithm(keys.PrivateKeyAlgorithm),
                "private_key": inner,
            }
        ).dump()

    def check_pair(self) -> None:
        """A key file whose public half does not belong to its private half would sign bundles that
        no reader accepts; refuse it when loading."""
        if not self.public.verify(self.sign(b"pair check"), b"pair check"):
            raise SM2Error("the public key in the file does not match the private key")


def signature_to_der(raw: bytes) -> bytes:
    """Raw r || s to the DER SEQUENCE of two INTEGERs that GmSSL and OpenSSL exchange."""
    return encode_dss_signature(
        int.from_bytes(raw[:COORDINATE], "big"), int.from_bytes(raw[COORDINATE:], "big")
    )


def signature_from_der(der: bytes) -> bytes:
    r, s = decode_dss_signature(der)
    return r.to_bytes(COORDINATE, "big") + s.to_bytes(COORDINATE, "big")


def ciphertext_to_der(raw: bytes) -> bytes:
    """Raw C1 || C3 || C2 to GM/T 0009 DER (x, y, hash, ciphertext)."""
    c1, c3, c2 = raw[:POINT], raw[POINT : POINT + HASH], raw[POINT + HASH :]
    x, y = int.from_bytes(c1[1 : 1 + COORDINATE], "big"), int.from_bytes(c1[1 + COORDINATE :], "big")
    return _Ciphertext({"x": x, "y": y, "hash": c3, "ciphertext": c2}).dump()


def ciphertext_from_der(der: bytes) -> bytes:
    parsed = _Ciphertext.load(der)
    x, y = parsed["x"].native.to_bytes(COORDINATE, "big"), parsed["y"].native.to_bytes(COORDINATE, "big")
    return b"\x04" + x + y + parsed["hash"].native + parsed["ciphertext"].native


def _algorithm(kind: type) -> core.Sequence:
    return kind({"algorithm": "ec", "parameters": keys.ECDomainParameters(name="named", value="sm2p256v1")})


def _is_sm2(algorithm: core.Sequence) -> bool:
    parameters = algorithm["parameters"]
    return (
        algorithm["algorithm"].native == "ec"
        and parameters.name == "named"
        and parameters.chosen.dotted == CURVE_OID
    )


def public_from_spki(der: bytes) -> SM2PublicKey | None:
    """The SM2 key in a SubjectPublicKeyInfo, or None if it holds another kind of key."""
    try:
        info = keys.PublicKeyInfo.load(der, strict=True)
        if not _is_sm2(info["algorithm"]):
            return None
        return SM2PublicKey(bytes(info["public_key"].native))
    except (ValueError, TypeError, KeyError):
        return None


def private_from_pkcs8(der: bytes) -> SM2PrivateKey | None:
    """The SM2 key in a PKCS#8 PrivateKeyInfo (which must carry its public key), or None."""
    try:
        info = keys.PrivateKeyInfo.load(der, strict=True)
        if not _is_sm2(info["private_key_algorithm"]):
            return None
        inner = info["private_key"].parsed
        scalar = inner["private_key"].native.to_bytes(COORDINATE, "big")
        point = inner["public_key"].native
    except (ValueError, TypeError, KeyError, OverflowError, AttributeError):
        return None
    if point is None:
        raise SM2Error("SM2 private key file lacks its public key")
    key = SM2PrivateKey(scalar, SM2PublicKey(bytes(point)))
    key.check_pair()
    return key


def pem_armor(label: str, der: bytes) -> bytes:
    return pem.armor(label, der)

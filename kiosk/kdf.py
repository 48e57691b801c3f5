"""Salted, slow hashes of secrets (staff passwords, agent PINs and ID numbers) with scrypt.

Standard library scrypt (OpenSSL); the encoded form carries its parameters so they can be raised later.
Never log a secret or its hash.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

# n=2**14, r=8: 16 MiB and tens of milliseconds per hash, the interactive-login setting RFC 7914 cites.
LOG2_N, R, P = 14, 8, 1
SALT_BYTES, HASH_BYTES = 16, 32


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


def _scrypt(secret: str, salt: bytes, log2_n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        secret.encode(), salt=salt, n=2**log2_n, r=r, p=p, maxmem=256 * 1024 * 1024, dklen=HASH_BYTES
    )


def hash_secret(secret: str, log2_n: int = LOG2_N) -> str:
    """`$scrypt$ln=14,r=8,p=1$<salt>$<hash>` (PHC string format, unpadded base64)."""
    salt = os.urandom(SALT_BYTES)
    digest = _scrypt(secret, salt, log2_n, R, P)
    return f"$scrypt$ln={log2_n},r={R},p={P}${_b64(salt)}${_b64(digest)}"


def verify_secret(secret: str, encoded: str) -> bool:
    """True if `secret` hashes to `encoded`; a malformed `encoded` is simply no match."""
    try:
        _, scheme, params, salt, digest = encoded.split("$")
        values = dict(item.split("=") for item in params.split(","))
        log2_n, r, p = int(values["ln"]), int(values["r"]), int(values["p"])
        if scheme != "scrypt" or not (10 <= log2_n <= 20 and 1 <= r <= 16 and 1 <= p <= 4):
            return False
        return hmac.compare_digest(_scrypt(secret, _unb64(salt), log2_n, r, p), _unb64(digest))
    except (ValueError, KeyError):
        return False

"""Working files of one session (scans, signature, card photo), encrypted with a key held only in memory.

When the session ends, crashes or loses power, what remains on disk is unreadable ciphertext; start-up
removes it. Deleting alone would not be enough on flash storage.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12
TAG_BYTES = 16


class SessionStore:
    def __init__(self, data_dir: Path) -> None:
        self.dir = data_dir / "session" / uuid.uuid4().hex
        self.dir.mkdir(parents=True, mode=0o700)
        self._aead: AESGCM | None = AESGCM(AESGCM.generate_key(bit_length=256))

    def put(self, name: str, data: bytes) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = nonce + self._cipher().encrypt(nonce, data, name.encode())
        tmp = self.dir / f".{name}.tmp"
        tmp.write_bytes(sealed)
        tmp.replace(self.dir / name)
        return name

    def get(self, name: str) -> bytes:
        sealed = (self.dir / name).read_bytes()
        return self._cipher().decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], name.encode())

    def remove(self, *names: str) -> None:
        for name in names:
            if name:
                (self.dir / name).unlink(missing_ok=True)

    def size(self, name: str) -> int:
        """Plaintext size of a working file, without decrypting it."""
        return (self.dir / name).stat().st_size - NONCE_BYTES - TAG_BYTES

    def names(self) -> list[str]:
        return sorted(p.name for p in self.dir.iterdir() if not p.name.startswith("."))

    def wipe(self) -> None:
        """Forget the key, then remove the files (which were never readable without it)."""
        self._aead = None
        shutil.rmtree(self.dir, ignore_errors=True)

    def _cipher(self) -> AESGCM:
        if self._aead is None:
            raise RuntimeError("session store already wiped")
        return self._aead


def purge_leftovers(data_dir: Path) -> int:
    """Remove the encrypted leftovers of sessions that a crash or power cut interrupted."""
    root = data_dir / "session"
    if not root.exists():
        return 0
    leftovers = list(root.iterdir())
    for path in leftovers:
        shutil.rmtree(path, ignore_errors=True)
    return len(leftovers)

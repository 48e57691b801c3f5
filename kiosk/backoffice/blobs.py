"""Object storage for sealed bundles (as received, and quarantined): a filesystem backend.

Keys look like object names (`bundles/<id>.kskb`); an S3-compatible backend would implement the same
methods. Writes are atomic: a reader never sees half an object.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

KEY = re.compile(r"^[a-z]+/[0-9A-Za-z._-]+$")


class BlobStore(Protocol):
    def put(self, key: str, data: bytes) -> str:
        """Store `data` under `key`; returns a location for logs and the quarantine list."""
        ...

    def put_file(self, key: str, path: Path) -> str:
        """Move the file at `path` in under `key` (large bundles never pass through memory)."""
        ...

    def size(self, key: str) -> int: ...

    def get(self, key: str) -> bytes: ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None: ...


def bundle_key(bundle_id: str, folder: str = "bundles") -> str:
    return f"{folder}/{bundle_id}.kskb"


class FileBlobs:
    """Objects as files under `root`, each written to a temporary name, fsynced, then renamed."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        if not KEY.match(key) or ".." in key:
            raise ValueError(f"bad object key {key!r}")
        return self.root / key

    def put(self, key: str, data: bytes) -> str:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".in.")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return str(target)

    def put_file(self, key: str, path: Path) -> str:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        with path.open("rb") as f:
            os.fsync(f.fileno())
        os.replace(path, target)
        directory = os.open(target.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
        return str(target)

    def size(self, key: str) -> int:
        return self._path(key).stat().st_size

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

"""What goes into a bundle: named byte streams with known sizes, and the rules for their names.

A folder, the session store or plain bytes become Sources; names are checked here for writer and
reader alike so that no bundle can name a path outside the folder it is opened into.
"""

from __future__ import annotations

import io
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from kiosk.errors import BundleError

MAX_NAME_BYTES = 1024
MAX_PART_BYTES = 255


@dataclass(frozen=True)
class Source:
    name: str  # relative POSIX path inside the bundle
    size: int
    open: Callable[[], BinaryIO]


def check_name(name: str) -> str:
    """The name if it is a safe relative POSIX path; BUNDLE_UNSAFE_PATH otherwise."""
    parts = name.split("/")
    encoded = name.encode("utf-8", errors="surrogatepass")
    unsafe = (
        not name
        or len(encoded) > MAX_NAME_BYTES
        or any(
            part in ("", ".", "..") or len(part.encode("utf-8", "surrogatepass")) > MAX_PART_BYTES
            for part in parts
        )
        or any(ord(c) < 0x20 or c in "\\\x7f" for c in name)
        or PurePosixPath(name).is_absolute()
    )
    if unsafe:
        raise BundleError("BUNDLE_UNSAFE_PATH", name=name.encode("unicode_escape").decode()[:120])
    return name


def check_names(names: list[str]) -> None:
    """Unique, safe, and no file that is also another file's folder."""
    seen = set()
    for name in names:
        check_name(name)
        if name in seen:
            raise BundleError("BUNDLE_UNSAFE_PATH", name=f"{name} (twice)")
        seen.add(name)
    folders = {"/".join(name.split("/")[:i]) for name in names for i in range(1, name.count("/") + 1)}
    clash = folders & seen
    if clash:
        raise BundleError("BUNDLE_UNSAFE_PATH", name=f"{min(clash)} (file and folder)")


def from_bytes(name: str, data: bytes) -> Source:
    return Source(check_name(name), len(data), lambda: io.BytesIO(data))


def from_folder(root: Path) -> list[Source]:
    """Every regular file under `root`, by name; symbolic links and special files are refused."""
    if not root.is_dir():
        raise BundleError("BUNDLE_SOURCE", file=str(root), reason="not a folder")
    sources = []
    for path in sorted(root.rglob("*")):
        mode = path.lstat().st_mode
        if stat.S_ISDIR(mode):
            continue
        if not stat.S_ISREG(mode):
            raise BundleError("BUNDLE_SOURCE", file=str(path), reason="not a regular file")
        name = path.relative_to(root).as_posix()
        sources.append(Source(check_name(name), path.stat().st_size, lambda path=path: path.open("rb")))
    return sources

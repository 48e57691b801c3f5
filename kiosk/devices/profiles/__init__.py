"""Device model profiles (data): printer and signature-pad models as TOML files in this folder.

A profile is named by its file stem here, or given as a path to a township's own TOML file; loading
checks every key and type. No device I/O.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from kiosk import schema
from kiosk.errors import DeviceError

PROFILE_DIR = Path(__file__).parent
T = TypeVar("T")


def profile_path(name: str) -> Path:
    """`generic-80mm` → the packaged file; anything with a slash or a .toml suffix is a path."""
    if "/" in name or name.endswith(".toml"):
        return Path(name)
    return PROFILE_DIR / f"{name}.toml"


def load_profile(cls: type[T], name: str) -> T:
    return schema.load(cls, profile_path(name), DeviceError)

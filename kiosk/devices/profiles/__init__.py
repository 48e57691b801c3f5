"""Device model profiles (data): printer and signature-pad models as TOML files in this folder."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from kiosk.errors import DeviceError

PROFILE_DIR = Path(__file__).parent


def load_profile(name: str) -> dict[str, Any]:
    path = PROFILE_DIR / f"{name}.toml"
    if not path.exists():
        raise DeviceError("FILE_MISSING", file=str(path))
    with path.open("rb") as f:
        return tomllib.load(f)

"""Message catalogs: every user-facing string by key, per language.

Each language is a folder, kiosk/locale/<language>/, of TOML files (one per area: errors, ui, …)
merged into one table. Kivy-free, so errors, receipts, the flow and the screens share one wording.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

LOCALE_DIR = Path(__file__).parent / "locale"
DEFAULT_LANGUAGE = "zh_CN"
LANGUAGES = ("zh_CN", "en")


def _flatten(table: dict, prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, name + "."))
        else:
            flat[name] = str(value)
    return flat


@cache
def messages(language: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    for path in sorted((LOCALE_DIR / language).glob("*.toml")):
        with path.open("rb") as f:
            merged.update(_flatten(tomllib.load(f)))
    return merged


def tr(message_key: str, language: str = DEFAULT_LANGUAGE, /, **params: object) -> str:
    """The message for `message_key` in `language`, falling back to Chinese, then to the key itself."""
    text = messages(language).get(message_key) or messages(DEFAULT_LANGUAGE).get(message_key) or message_key
    try:
        return text.format(**params)
    except (KeyError, IndexError, ValueError):
        return text

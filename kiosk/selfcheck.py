"""The start-up self-check of an installed release: is the software whole and can it start?

It imports every module, loads the catalog, messages, receipt templates and configuration, and
finds the fonts. It needs no device, display, key or network, and writes nothing.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import kiosk
from kiosk import catalog, config, fonts, i18n, receipts

# Modules that need a display (Kivy) or an optional extra: found, not imported.
NOT_IMPORTED = ("kiosk.screens", "kiosk.backoffice")


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str = ""


def _modules() -> list[str]:
    found = pkgutil.walk_packages(kiosk.__path__, "kiosk.")
    return sorted(m.name for m in found if not m.name.startswith(NOT_IMPORTED))


def _run(name: str, action: Callable[[], object]) -> Check:
    try:
        result = action()
    except Exception as e:  # the point is to report whatever breaks, of any kind
        return Check(name, False, f"{type(e).__name__}: {e}")
    return Check(name, True, "" if result is None else str(result))


def _import_all() -> str:
    names = _modules()
    for name in names:
        importlib.import_module(name)
    return f"{len(names)} modules"


def _kivy_present() -> None:
    if importlib.util.find_spec("kivy") is None:
        raise ModuleNotFoundError("kivy")


def run(config_path: Path | None) -> list[Check]:
    return [
        _run("modules", _import_all),
        _run("kivy", _kivy_present),
        _run("config", lambda: config.load(config_path) and None),
        _run("catalog", lambda: f"{len(catalog.load().services)} services"),
        _run("messages", lambda: [i18n.messages(lang) for lang in i18n.LANGUAGES] and None),
        _run("receipt", lambda: receipts.load_template("acceptance_receipt") and None),
        _run("fonts", lambda: fonts.truetype_cjk()),
    ]

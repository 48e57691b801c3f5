"""Typed loading of TOML data files into dataclasses, with errors that name file, line and key.

Used by the configuration, the service catalog and the receipt templates; it knows nothing of them.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

from kiosk.errors import KioskError

T = TypeVar("T")


def read_toml(path: Path, error: type[KioskError]) -> tuple[dict[str, Any], str]:
    """Parse a TOML file; a missing or malformed file raises `error` naming the file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error("FILE_MISSING", file=str(path)) from None
    except (OSError, UnicodeDecodeError) as e:
        raise error("FILE_UNREADABLE", file=str(path), reason=str(e)) from None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as e:
        line = getattr(e, "lineno", None) or _line_from_message(str(e))
        raise error("TOML_SYNTAX", file=str(path), line=line, reason=getattr(e, "msg", str(e))) from None


def _line_from_message(message: str) -> int:
    found = re.search(r"line (\d+)", message)
    return int(found.group(1)) if found else 0


def key_line(text: str, key_path: tuple[str | int, ...]) -> int:
    """Best-effort line number of the last key in `key_path` (tables and arrays of tables)."""
    names = [k for k in key_path if isinstance(k, str)]
    if not names:
        return 0
    section, wanted = ".".join(names[:-1]), names[-1]
    current, best = "", 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        header = re.fullmatch(r"\[\[?\s*([^\]]+?)\s*\]\]?", line)
        if header:
            current = header.group(1)
            if current == ".".join(names):
                best = best or number
            continue
        if current == section and re.match(rf'"?{re.escape(wanted)}"?\s*=', line):
            return number
    return best


@dataclasses.dataclass
class Source:
    """Where a table came from, for error messages."""

    file: str
    text: str
    error: type[KioskError]

    def fail(self, code: str, key_path: tuple[str | int, ...], **params: object) -> KioskError:
        key = ".".join(str(k) if isinstance(k, str) else f"[{k}]" for k in key_path).replace(".[", "[")
        return self.error(code, file=self.file, line=key_line(self.text, key_path), key=key, **params)


def build(cls: type[T], table: dict[str, Any], source: Source, path: tuple[str | int, ...] = ()) -> T:
    """Build dataclass `cls` from a TOML table: unknown keys, wrong types and missing keys are errors."""
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    values: dict[str, Any] = {}
    for key, raw in table.items():
        if key not in fields:
            raise source.fail("UNKNOWN_KEY", (*path, key))
        values[key] = _convert(hints[key], raw, source, (*path, key))
    for name, f in fields.items():
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        if required and name not in values:
            raise source.fail("MISSING_KEY", (*path, name))
    return cls(**values)


def _convert(hint: Any, raw: Any, source: Source, path: tuple[str | int, ...]) -> Any:
    origin = typing.get_origin(hint)
    if dataclasses.is_dataclass(hint):
        if not isinstance(raw, dict):
            raise source.fail("WRONG_TYPE", path, expected="table")
        return build(hint, raw, source, path)
    if origin is list:
        (item,) = typing.get_args(hint)
        if not isinstance(raw, list):
            raise source.fail("WRONG_TYPE", path, expected="list")
        return [_convert(item, v, source, (*path, i)) for i, v in enumerate(raw)]
    if origin is dict:
        if not isinstance(raw, dict):
            raise source.fail("WRONG_TYPE", path, expected="table")
        return dict(raw)
    if origin is typing.Literal:
        if raw not in typing.get_args(hint):
            allowed = ", ".join(map(str, typing.get_args(hint)))
            raise source.fail("WRONG_VALUE", path, expected=allowed)
        return raw
    if origin in (typing.Union, types.UnionType):
        raise TypeError(f"unions are not supported in data files: {hint}")
    return _scalar(hint, raw, source, path)


def _scalar(hint: Any, raw: Any, source: Source, path: tuple[str | int, ...]) -> Any:
    if hint is float and isinstance(raw, int) and not isinstance(raw, bool):
        return float(raw)
    if hint is bool and not isinstance(raw, bool):
        raise source.fail("WRONG_TYPE", path, expected="true/false")
    if hint in (int, float) and isinstance(raw, bool):
        raise source.fail("WRONG_TYPE", path, expected=hint.__name__)
    if hint is Any or isinstance(raw, hint):
        return raw
    raise source.fail("WRONG_TYPE", path, expected={str: "string", int: "integer", float: "number"}[hint])


def load(cls: type[T], path: Path, error: type[KioskError]) -> T:
    table, text = read_toml(path, error)
    return build(cls, table, Source(str(path), text, error))

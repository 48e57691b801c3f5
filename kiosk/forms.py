"""Validation of the short form a service asks for (only what card and catalog cannot fill)."""

from __future__ import annotations

import re
from datetime import date

from kiosk.catalog import FormField
from kiosk.errors import KioskError

MOBILE = re.compile(r"^1[3-9]\d{9}$")


def field_error(spec: FormField, value: str) -> KioskError | None:
    """The problem with one value, or None."""
    if not value:
        return KioskError("FORM_REQUIRED", label=spec.label) if spec.required else None
    if spec.type == "phone" and not MOBILE.match(value):
        return KioskError("FORM_INVALID_PHONE", label=spec.label)
    if spec.type == "number" and not value.isdigit():
        return KioskError("FORM_INVALID_NUMBER", label=spec.label)
    if spec.type == "choice" and value not in spec.choices:
        return KioskError("FORM_INVALID_CHOICE", label=spec.label)
    if spec.type == "date":
        try:
            date.fromisoformat(value)
        except ValueError:
            return KioskError("FORM_INVALID_DATE", label=spec.label)
    return None


def validate(fields: list[FormField], values: dict[str, str]) -> tuple[dict[str, str], dict[str, KioskError]]:
    """(cleaned values, errors by field key); unknown keys are dropped."""
    cleaned = {f.key: values.get(f.key, "").strip() for f in fields}
    errors = {f.key: e for f in fields if (e := field_error(f, cleaned[f.key])) is not None}
    return cleaned, errors

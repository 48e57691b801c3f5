"""The service catalog (事项目录): one TOML file per service in this folder (format: SCHEMA.md).

Pure data loading and validation; the flow and the screens read services from here.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from kiosk import schema
from kiosk.errors import CatalogError

BUILTIN_DIR = Path(__file__).parent


@dataclass(frozen=True)
class Material:
    key: str
    name: str
    copies: int
    original: bool
    replaced_by_id_card: bool
    required: bool
    capture: Literal["document", "color"]
    size: str
    note: str = ""


@dataclass(frozen=True)
class FormField:
    key: str
    label: str
    type: Literal["text", "phone", "number", "choice", "date"]
    required: bool
    choices: list[str] = field(default_factory=list)
    help: str = ""


@dataclass(frozen=True)
class Service:
    code: str
    name: str
    category: str
    summary: str
    department: str
    sample: bool
    source: str
    legal_basis: list[str]
    acceptance_conditions: list[str]
    process: list[str]
    time_limit_days: int
    visits: int
    fee: str
    agent_allowed: bool
    materials: list[Material]
    form: list[FormField]
    legal_basis_note: str = ""

    @property
    def materials_to_photograph(self) -> list[Material]:
        """Materials the camera must capture (the ID-card read replaces the others)."""
        return [m for m in self.materials if not m.replaced_by_id_card]

    def material(self, key: str) -> Material:
        return next(m for m in self.materials if m.key == key)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class Catalog:
    def __init__(self, services: list[Service]) -> None:
        self.services = {s.code: s for s in services}

    def __iter__(self):
        return iter(self.services.values())

    def __len__(self) -> int:
        return len(self.services)

    def get(self, code: str) -> Service:
        try:
            return self.services[code]
        except KeyError:
            raise CatalogError("CATALOG_UNKNOWN_SERVICE", code=code) from None

    def categories(self) -> dict[str, list[Service]]:
        grouped: dict[str, list[Service]] = {}
        for service in self:
            grouped.setdefault(service.category, []).append(service)
        return grouped


def load_service(path: Path) -> Service:
    service = schema.load(Service, path, CatalogError)
    if service.code != path.stem:
        raise CatalogError("CATALOG_CODE_MISMATCH", file=str(path), code=service.code)
    for material in service.materials:
        if material.copies < 1:
            raise CatalogError("CATALOG_BAD_MATERIAL", file=str(path), key=material.key)
    return service


def load(extra_dirs: list[Path] | None = None) -> Catalog:
    """The built-in services plus any in `extra_dirs` (a township's own, which may replace them)."""
    dirs = [BUILTIN_DIR, *(extra_dirs or [])]
    services: dict[str, Service] = {}
    for directory in dirs:
        for path in sorted(Path(directory).glob("*.toml")):
            service = load_service(path)
            services[service.code] = service
    if not services:
        raise CatalogError("CATALOG_EMPTY", dirs=", ".join(map(str, dirs)))
    return Catalog(list(services.values()))

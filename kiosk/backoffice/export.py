"""`kiosk backoffice export`: a case's files for staff who need them, opened again from the sealed bundle
with the same code as `kiosk bundle open` (kiosk/bundle.py), so what is exported is what was signed.

Writes nothing unless everything verifies; never into a folder that already holds files.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from kiosk import bundle
from kiosk.backoffice.blobs import bundle_key
from kiosk.backoffice.store import Store
from kiosk.errors import KioskError
from kiosk.keys import TownshipPrivate


def export_case(store: Store, township: TownshipPrivate, case_number: str, out: Path) -> Path:
    case = store.case(case_number)
    if case is None:
        raise KioskError("BACKOFFICE_UNKNOWN_CASE", case=case_number)
    key = bundle_key(case["bundle_id"])
    if not store.blobs.exists(key):
        raise KioskError("BACKOFFICE_NO_BUNDLE", bundle=case["bundle_id"])
    if out.exists():
        if any(out.iterdir()):
            raise KioskError("BACKOFFICE_OUT_EXISTS", out=str(out))
        out.rmdir()
    # A case decided before its kiosk was revoked stays exportable: trust the enrolled key as such.
    with tempfile.TemporaryDirectory(prefix="kiosk-export-") as scratch:
        sealed = Path(scratch) / "bundle.kskb"
        sealed.write_bytes(store.blobs.get(key))
        opened = bundle.open_to_folder(
            sealed, township, lambda kiosk_id: store.kiosk_key(kiosk_id, include_revoked=True), out / "files"
        )
    (out / "manifest.json").write_text(
        json.dumps(opened.manifest, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    (out / "header.json").write_text(json.dumps(opened.header.fields, indent=1), encoding="utf-8")
    return out

"""Intake of one sealed bundle: verify, decrypt, file, answer with a signed receipt; quarantine the rest.

Idempotent on the bundle id: the same bytes again get the same receipt, other bytes are a conflict.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiosk import bundle, signed
from kiosk.backoffice.blobs import bundle_key
from kiosk.backoffice.store import Store
from kiosk.errors import BundleError, KioskError
from kiosk.keys import TownshipPrivate


class Conflict(KioskError):
    code = "BUNDLE_CONFLICT"


Admission = Callable[[dict[str, Any], dict[str, Any]], None]


class Intake:
    def __init__(
        self, store: Store, township: TownshipPrivate, data_dir: Path, admit: Admission | None = None
    ) -> None:
        self.store = store
        self.township = township
        self.data_dir = data_dir
        self.admit = admit or (lambda header, manifest: None)  # policy checks: raise BundleError

    def receive(self, bundle_id: str, data: bytes) -> dict[str, Any]:
        digest = hashlib.sha256(data).hexdigest()
        known = self.store.bundle(bundle_id)
        if known:
            if known["sha256"] != digest:
                raise Conflict(detail=bundle_id)
            return self._receipt(known["bundle_id"], known["case_number"], digest, known["received_at"])
        try:
            header = bundle.read_header(data)
            if header.get("bundle_id") != bundle_id:
                raise BundleError("BUNDLE_FORMAT", reason="bundle id differs from the address")
            manifest = bundle.open_to_folder(
                data, self.township, self.store.trusted_key, self.case_dir(bundle_id)
            )
            self._admit(header, manifest, bundle_id)
        except BundleError as e:
            self.store.quarantine(bundle_id, e.code, self._keep(data, "quarantine", bundle_id))
            raise
        self._keep(data, "bundles", bundle_id)
        self.store.record_bundle(header, manifest["case_number"], digest)
        return self._receipt(
            bundle_id, manifest["case_number"], digest, self.store.bundle(bundle_id)["received_at"]
        )

    def case_dir(self, bundle_id: str) -> Path:
        return self.data_dir / "cases" / bundle_id

    def _admit(self, header: dict[str, Any], manifest: dict[str, Any], bundle_id: str) -> None:
        try:
            self.admit(header, manifest)
        except BundleError:
            shutil.rmtree(self.case_dir(bundle_id), ignore_errors=True)
            raise

    def _keep(self, data: bytes, folder: str, bundle_id: str) -> str:
        return self.store.blobs.put(bundle_key(bundle_id, folder), data)

    def _receipt(self, bundle_id: str, case_number: str, digest: str, received_at: str) -> dict[str, Any]:
        payload = {
            "bundle_id": bundle_id,
            "case_number": case_number,
            "sha256": digest,
            "received_at": received_at,
        }
        return signed.sign(payload, self.township.signing)

"""Intake of one sealed bundle: verify, decrypt, file, answer with a signed receipt; quarantine the rest.

Idempotent on the bundle id: the same bytes again get the same receipt, other bytes are a conflict.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

from kiosk import bundle, signed
from kiosk.backoffice.store import Store
from kiosk.errors import BundleError, KioskError
from kiosk.keys import TownshipPrivate


class Conflict(KioskError):
    code = "BUNDLE_CONFLICT"


class Intake:
    def __init__(self, store: Store, township: TownshipPrivate, data_dir: Path) -> None:
        self.store = store
        self.township = township
        self.data_dir = data_dir

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

    def _keep(self, data: bytes, folder: str, bundle_id: str) -> Path:
        directory = self.data_dir / folder
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".in.")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            os.fsync(f.fileno())
        target = directory / f"{bundle_id}.kskb"
        os.replace(tmp, target)
        return target

    def _receipt(self, bundle_id: str, case_number: str, digest: str, received_at: str) -> dict[str, Any]:
        payload = {
            "bundle_id": bundle_id,
            "case_number": case_number,
            "sha256": digest,
            "received_at": received_at,
        }
        return signed.sign(payload, self.township.signing)

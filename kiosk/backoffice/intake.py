"""Intake of one sealed bundle: verify, decrypt, file, answer with a signed receipt; quarantine the
rest with the reason.

Idempotent on the bundle id: the same bundle again gets the same receipt, another bundle under a
used id is a conflict. Every step can be redone after a crash; nothing half-written stays.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiosk import bundle, signed
from kiosk.backoffice.blobs import bundle_key
from kiosk.backoffice.store import Store
from kiosk.crypto.suites import VerifyKey
from kiosk.errors import BundleError, KioskError
from kiosk.keys import TownshipPrivate

TRANSIENT = ("BUNDLE_UNKNOWN_KIOSK", "BUNDLE_KEY_NOT_ENROLLED")  # may pass once the kiosk is enrolled
DAMAGED = ("BUNDLE_TRUNCATED", "BUNDLE_CIPHERTEXT_DIGEST")  # bytes lost on the way


class Conflict(KioskError):
    code = "BUNDLE_CONFLICT"


class Corrupt(KioskError):
    """What arrived is not what the terminal sealed (a storage fault here): it must be sent again."""

    code = "UPLOAD_CORRUPT"


Admission = Callable[[dict[str, Any], dict[str, Any]], None]


class Intake:
    def __init__(
        self, store: Store, township: TownshipPrivate, data_dir: Path, admit: Admission | None = None
    ) -> None:
        self.store = store
        self.township = township
        self.data_dir = data_dir
        self.admit = admit or (lambda header, manifest: None)  # policy checks: raise BundleError

    def trust(self, kiosk_id: str) -> VerifyKey | None:
        return self.store.trusted_key(kiosk_id)

    def case_dir(self, bundle_id: str) -> Path:
        return self.data_dir / "cases" / bundle_id

    def check_header(self, head: bytes, bundle_id: str) -> None:
        """Early check on the first bytes of an upload: a stranger's bundle is refused after its
        header, not after its last byte."""
        header = bundle.parse_header(head)
        if header.bundle_id != bundle_id:
            raise BundleError("BUNDLE_MISMATCH", field="bundle_id")
        bundle.check_signature(header, self.trust)

    def receive(self, bundle_id: str, data: bytes) -> dict[str, Any]:
        """A whole bundle in one request (PUT): bytes that do not check out are refused."""
        incoming = self.data_dir / "uploads"
        incoming.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=incoming, prefix="put-", suffix=".part")
        path = Path(name)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            return self.finalize(bundle_id, path)
        except BundleError as e:
            if e.code in TRANSIENT:  # one request, no later retry of it to wait for: keep it for staff
                self.store.quarantine(
                    bundle_id, e.code, self.store.blobs.put_file(bundle_key(bundle_id, "quarantine"), path)
                )
            raise
        finally:
            path.unlink(missing_ok=True)

    def finalize(self, bundle_id: str, path: Path, declared_digest: str | None = None) -> dict[str, Any]:
        """File the complete bundle at `path` and return the signed receipt. With the digest the
        terminal declared (a resumable upload), damaged bytes are Corrupt (send again), not refused."""
        known = self.store.bundle(bundle_id)
        if known:
            digest = declared_digest or _digest_or_none(path)
            if known["sha256"] != digest:
                raise Conflict(detail=bundle_id)
            return self.receipt(bundle_id) or {}
        try:
            header = bundle.check_integrity(path)
        except BundleError as e:
            if declared_digest and e.code in DAMAGED:
                raise Corrupt(detail=e.code) from None
            raise self.refuse(bundle_id, e, path) from None
        if declared_digest and header.bundle_digest() != declared_digest:
            raise Corrupt(detail="digest differs from the one declared at creation")
        try:
            if header.bundle_id != bundle_id:
                raise BundleError("BUNDLE_MISMATCH", field="bundle_id")
            manifest = self._open(path, bundle_id)
        except BundleError as e:
            raise self.refuse(bundle_id, e, path) from None
        self.store.blobs.put_file(bundle_key(bundle_id), path)
        self.store.record_bundle(header.fields, manifest["case_number"], header.bundle_digest())
        return self.receipt(bundle_id) or {}

    def _open(self, path: Path, bundle_id: str) -> dict[str, Any]:
        """Decrypt into cases/<id>/ (files/, manifest.json, header.json), atomically, and apply the
        admission rules; nothing of it stays if either fails."""
        case = self.case_dir(bundle_id)
        shutil.rmtree(case, ignore_errors=True)  # an earlier attempt that was never recorded
        case.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=case.parent, prefix=f".{bundle_id}.", suffix=".partial"))
        try:
            opened = bundle.open_to_folder(path, self.township, self.trust, staging / "files")
            case_number = opened.manifest.get("case_number")
            if not isinstance(case_number, str) or not (len(case_number) == 15 and case_number.isdigit()):
                raise BundleError("BUNDLE_MISMATCH", field="case_number")
            if self.store.case(case_number):
                raise BundleError("BUNDLE_CASE_TAKEN", case=case_number)
            self.admit(opened.header.fields, opened.manifest)
            (staging / "manifest.json").write_text(
                json.dumps(opened.manifest, ensure_ascii=False, indent=1), encoding="utf-8"
            )
            (staging / "header.json").write_text(json.dumps(opened.header.fields, indent=1), encoding="utf-8")
            staging.rename(case)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return opened.manifest

    def refuse(self, bundle_id: str, error: BundleError, path: Path) -> BundleError:
        """Quarantine the bundle with the reason, unless the reason may pass later (enrolment)."""
        if error.code not in TRANSIENT:
            location = self.store.blobs.put_file(bundle_key(bundle_id, "quarantine"), path)
            self.store.quarantine(bundle_id, error.code, location)
        return error

    def refusal(self, bundle_id: str) -> str | None:
        return self.store.quarantine_reason(bundle_id)

    def receipt(self, bundle_id: str) -> dict[str, Any] | None:
        known = self.store.bundle(bundle_id)
        if not known:
            return None
        payload = {
            "bundle_id": bundle_id,
            "bundle_digest": known["sha256"],
            "case_number": known["case_number"],
            "received_at": known["received_at"],
            "key_id": self.township.public.key_id,
        }
        return signed.sign(payload, self.township.signing)


def _digest_or_none(path: Path) -> str | None:
    try:
        return bundle.check_integrity(path).bundle_digest()
    except BundleError:
        return None

"""Turning a finished application into a sealed bundle in the outbox.

The resident is told "submitted" only after this returns: the bundle file is complete, fsynced and
recorded. What stays on the terminal afterwards is the masked summary and the masked receipt.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kiosk import bundle, form_pdf, receipts
from kiosk.application import Application
from kiosk.catalog import Service
from kiosk.config import Config
from kiosk.crypto.suites import SigningKey
from kiosk.keys import TownshipPublic
from kiosk.outbox import Outbox
from kiosk.session_store import SessionStore


@dataclass(frozen=True)
class Submitted:
    case_number: str
    bundle_id: str
    receipt: dict[str, Any]


class Submitter:
    def __init__(
        self, config: Config, outbox: Outbox, device_key: SigningKey, township: TownshipPublic
    ) -> None:
        self.config = config
        self.outbox = outbox
        self.device_key = device_key
        self.township = township

    def submit(self, application: Application, service: Service, store: SessionStore) -> Submitted:
        terminal = self.config.terminal
        application.case_number = self.outbox.next_case_number(terminal.number)
        manifest = {
            "application": application.manifest(),
            "service": {"code": service.code, "name": service.name, "department": service.department},
            "terminal": {"id": terminal.id, "name": terminal.name, "location": terminal.location},
            "case_number": application.case_number,
            "supersedes": application.supersedes,
        }
        form = bundle.from_bytes(form_pdf.FORM_FILE, form_pdf.build(application, service, store, terminal))
        sealed = bundle.seal(
            sources=[*(session_source(store, name) for name in store.names()), form],
            manifest=manifest,
            bundle_id=application.application_id,
            kiosk_id=terminal.id,
            service_code=service.code,
            device_key=self.device_key,
            recipient=self.township,
            out=self.outbox.bundle_path(application.application_id),
        )
        receipt = self.receipt(application, service)
        summary = {**application.public_summary(), "service_name": service.name, "receipt": receipt}
        self.outbox.add(
            application.application_id,
            application.case_number,
            service.code,
            sealed.digest,
            summary,
            supersedes=application.supersedes,
        )
        return Submitted(application.case_number, application.application_id, receipt)

    def receipt(self, application: Application, service: Service) -> dict[str, Any]:
        person = application.applicant
        assert person is not None
        photographed = service.materials_to_photograph
        terminal = self.config.terminal
        return receipts.receipt_data(
            case_number=application.case_number,
            service_name=service.name,
            applicant_name=person.name or person.name_en,
            id_number=person.id_number,
            materials=[
                {"name": m.name, "pages": len(application.pages_for(m.key))}
                for m in photographed
                if application.pages_for(m.key)
            ],
            owed_materials=[m.name for m in photographed if m.required and not application.pages_for(m.key)],
            promised_days=service.time_limit_days,
            status_url=f"{terminal.status_url.rstrip('/')}/{application.case_number}",
            terminal_name=terminal.name,
            terminal_location=terminal.location,
            hotline=terminal.hotline,
            submitted_at=datetime.now().astimezone().isoformat(timespec="seconds"),
            agent_name=application.agent.name if application.agent else "",
        )


def session_source(store: SessionStore, name: str) -> bundle.Source:
    """A working file, decrypted only while the bundle is being sealed."""
    return bundle.Source(name, store.size(name), lambda: io.BytesIO(store.get(name)))


def dump_receipt(receipt: dict[str, Any]) -> str:
    return json.dumps(receipt, ensure_ascii=False, indent=1)

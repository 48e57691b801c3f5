"""What the back office's routers share: settings, keys, storage, intake, case files, casework.

Built once by app.create_app and kept on `app.state.services`; routers reach it with `services_of`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fastapi import Request

from kiosk.backoffice.casefiles import CaseFiles
from kiosk.backoffice.casework import Casework
from kiosk.backoffice.intake import Intake
from kiosk.backoffice.settings import Settings
from kiosk.backoffice.store import Store
from kiosk.keys import TownshipPrivate


@dataclass
class Services:
    settings: Settings
    data_dir: Path
    township: TownshipPrivate
    store: Store
    intake: Intake
    files: CaseFiles
    casework: Casework


def services_of(request: Request) -> Services:
    return request.app.state.services

"""The back-office test world: a real server on loopback, enrolled kiosks with their own keys, staff
sessions, and cases sealed the way a terminal seals them (imported by conftest.py and the tests)."""

from __future__ import annotations

import io
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
from PIL import Image, ImageDraw

from kiosk import bundle, keys
from kiosk.backoffice import staff
from kiosk.backoffice.app import create_app
from kiosk.backoffice.server import EmbeddedServer
from kiosk.backoffice.settings import Settings
from kiosk.crypto.suites import MODERN, SigningKey
from kiosk.keys import TownshipPrivate
from kiosk.sim import people

PASSWORD = "correct horse battery"
VILLAGE = "示例村"


def page_jpeg(text: str, size: tuple[int, int] = (620, 877)) -> bytes:
    image = Image.new("RGB", size, "white")
    ImageDraw.Draw(image).text((40, 40), text, fill="black")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def application(case_number: str, channel: str = "resident", agent: dict | None = None) -> tuple[dict, dict]:
    """A manifest and files shaped like kiosk/submission.py's, for a fictional resident."""
    card = people.resident()
    files = {
        "page-000-hukou.jpg": page_jpeg("hukou p1"),
        "page-001-hukou.jpg": page_jpeg("hukou p2"),
        "page-002-bank_card.jpg": page_jpeg("bank card", (856, 540)),
        "signature.png": page_jpeg("signature", (400, 150)),
    }
    pages = [
        {"material_key": name.split("-")[2].split(".")[0], "file": name, "width": 620, "height": 877, "dpi": 150,
         "sha256": "", "warnings": [], "original_file": ""}
        for name in files if name.startswith("page-")
    ]  # fmt: skip
    manifest = {
        "application": {
            "service_code": "senior-age-allowance",
            "channel": channel,
            "applicant": {
                "card_type": "resident", "name": card.name, "id_number": card.id_number, "sex": "男",
                "nation": "汉", "birth_date": "1956-03-01", "address": card.address, "issuer": card.issuer,
                "valid_from": "2016-08-15", "valid_to": "长期", "name_en": "", "photo": "unavailable", "extra": {},
            },
            "agent": agent,
            "form": {"phone": "13900000000", "bank": "社会保障卡", "bank_account": "6217000000000000",
                     "applicant_relation": "老年人本人"},
            "pages": pages,
            "signature": {"strokes": [], "image_file": "signature.png", "source": "pad"},
            "consent": None,
            "case_number": case_number,
            "supersedes": "",
        },
        "service": {"code": "senior-age-allowance", "name": "高龄津贴申领", "department": "县级民政部门"},
        "terminal": {"id": "", "name": "示例村便民服务站自助终端", "location": "示例村"},
        "case_number": case_number,
    }  # fmt: skip
    return manifest, files


@dataclass
class Kiosk:
    kiosk_id: str
    key: SigningKey


@dataclass
class Office:
    url: str
    data_dir: Path
    township: TownshipPrivate
    app: Any
    server: EmbeddedServer
    township_pub: Path

    @property
    def store(self):
        return self.app.state.store

    def enrol(self, kiosk_id: str = "KIOSK-T-0001", village: str = VILLAGE) -> Kiosk:
        key = MODERN.new_signing_key()
        self.store.enrol(kiosk_id, key.public, village=village)
        return Kiosk(kiosk_id, key)

    def seal(
        self,
        kiosk: Kiosk,
        case_number: str = "000126112800019",
        manifest: dict | None = None,
        files: dict | None = None,
        bundle_id: str | None = None,
    ) -> tuple[str, bytes]:
        if manifest is None:
            manifest, default_files = application(case_number)
            files = default_files if files is None else files
        bundle_id = bundle_id or uuid.uuid4().hex
        sealed = bundle.seal(
            sources=[
                bundle.Source(name, len(data), lambda data=data: io.BytesIO(data))
                for name, data in (files or {}).items()
            ],
            manifest=manifest,
            bundle_id=bundle_id,
            kiosk_id=kiosk.kiosk_id,
            service_code="senior-age-allowance",
            device_key=kiosk.key,
            recipient=self.township.public,
            out=self.data_dir.parent / "sealed" / f"{bundle_id}.kskb",
        )
        return bundle_id, sealed.path.read_bytes()

    def put(self, bundle_id: str, data: bytes) -> requests.Response:
        return requests.put(f"{self.url}/api/v1/bundles/{bundle_id}", data=data, timeout=30)

    def submit(self, kiosk: Kiosk, case_number: str = "000126112800019", **kwargs: Any) -> str:
        bundle_id, data = self.seal(kiosk, case_number, **kwargs)
        response = self.put(bundle_id, data)
        assert response.status_code == 201, response.text
        return bundle_id

    def staff_session(self, username: str = "clerk", name: str = "李办事员") -> requests.Session:
        staff.add_user(self.store, username, name, PASSWORD)
        session = requests.Session()
        login_page = session.get(f"{self.url}/login", timeout=10)
        csrf = re.search(r'name="csrf" value="([^"]+)"', login_page.text).group(1)
        answer = session.post(
            f"{self.url}/login", data={"username": username, "password": PASSWORD, "csrf": csrf}, timeout=30
        )
        assert answer.url.endswith("/queue"), answer.text
        return session

    def csrf(self, session: requests.Session, path: str = "/queue") -> str:
        return re.search(r'name="csrf" value="([^"]+)"', session.get(self.url + path, timeout=10).text).group(
            1
        )


def start_office(tmp_path: Path, settings: Settings | None = None) -> Office:
    data_dir = tmp_path / "office"
    township = keys.create_township_key(tmp_path / "township")
    app = create_app(data_dir, township, settings or Settings())
    server = EmbeddedServer(app).start()
    return Office(server.url, data_dir, township, app, server, tmp_path / "township" / "township.pub")


def heartbeat_payload(kiosk_id: str, sent_at: str | None = None, **overrides: Any) -> dict[str, Any]:
    """What a terminal sends every few minutes (the contract issue 10's sender keeps to)."""
    return {
        "kiosk_id": kiosk_id,
        "sent_at": sent_at or datetime.now(UTC).isoformat(timespec="seconds"),
        "version": "0.1.0",
        "uptime_s": 3600,
        "devices": {
            "idcard": {"ok": True, "code": ""},
            "printer": {"ok": False, "code": "PRINTER_PAPER_OUT"},
            "sigpad": {"ok": True, "code": ""},
            "camera": {"ok": True, "code": ""},
        },
        "outbox_depth": 2,
        "oldest_unsent_age_s": 5400.0,
        "disk_free_bytes": 12 * 1024**3,
        "printer_paper_near_end": True,
        "device_card": {
            "name": "东村便民服务站自助终端",
            "type": "立式自助一体机",
            "location": "东村村委会一楼",
            "maintainer": "县信息中心",
            "phone": "0854-0000000",
        },
        **overrides,
    }

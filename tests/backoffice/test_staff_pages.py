"""Staff pages over HTTP: log-in, sessions, CSRF, decisions with who and when, text messages, status page."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import pytest
import requests
from backoffice_world import PASSWORD, application, start_office

from kiosk.backoffice.casework import Material
from kiosk.backoffice.notify import HttpSmsNotifier, NotifyError, make_notifier
from kiosk.backoffice.settings import NotifierSettings, Settings
from kiosk.sim import people

CASE = "000126112800019"


def test_an_anonymous_visitor_is_led_to_the_login_page(office):
    for path in ("/", "/queue", f"/cases/{CASE}", "/fleet", "/agents"):
        answer = requests.get(office.url + path, timeout=10)
        assert answer.url.endswith("/login") and "工作人员登录" in answer.text, path


def test_a_wrong_password_or_a_missing_csrf_token_does_not_log_in(office):
    office.staff_session()  # creates the account
    session = requests.Session()
    session.get(f"{office.url}/login", timeout=10)
    no_token = session.post(
        f"{office.url}/login", data={"username": "clerk", "password": PASSWORD, "csrf": ""}, timeout=30
    )
    assert no_token.status_code == 401 and "页面已过期" in no_token.text
    csrf = office.csrf(session, "/login")
    wrong = session.post(
        f"{office.url}/login", data={"username": "clerk", "password": "nope", "csrf": csrf}, timeout=30
    )
    assert wrong.status_code == 401 and "用户名或密码不正确" in wrong.text
    assert "kiosk_staff" not in session.cookies


def test_the_session_cookie_is_http_only_and_strict(office):
    session = office.staff_session()
    cookie = next(c for c in session.cookies if c.name == "kiosk_staff")
    assert cookie.has_nonstandard_attr("HttpOnly") and cookie.get_nonstandard_attr("SameSite") == "strict"


def test_an_idle_session_expires(tmp_path):
    office = start_office(tmp_path, Settings(session_idle_s=1.0))
    try:
        session = office.staff_session()
        assert session.get(f"{office.url}/queue", timeout=10).url.endswith("/queue")
        time.sleep(1.5)
        assert session.get(f"{office.url}/queue", timeout=10).url.endswith("/login")
    finally:
        office.server.stop()


def test_a_form_without_the_sessions_csrf_token_changes_nothing(office):
    kiosk = office.enrol()
    office.submit(kiosk, CASE)
    session = office.staff_session()
    answer = session.post(
        f"{office.url}/cases/{CASE}/decision", data={"decision": "accepted", "csrf": "x"}, timeout=10
    )
    assert answer.status_code == 403
    assert office.store.case(CASE)["state"] == "received"


def decide(office, session, **fields):
    data = {"csrf": office.csrf(session, f"/cases/{CASE}"), **fields}
    return session.post(f"{office.url}/cases/{CASE}/decision", data=data, timeout=10)


def test_the_case_page_shows_the_form_card_pages_and_signature_and_photo_unavailable(office):
    office.submit(office.enrol(), CASE)
    session = office.staff_session()
    queue = session.get(f"{office.url}/queue", timeout=10).text
    assert CASE in queue and "高龄津贴申领" in queue and "示例村" in queue
    page = session.get(f"{office.url}/cases/{CASE}", timeout=10).text
    card = people.resident()
    for shown in (
        card.name,
        card.id_number,
        "照片不可用",
        "户口簿",
        "第2页",
        "申请人签名",
        "13900000000",
        "本人自助办理",
    ):
        assert shown in page
    image = session.get(f"{office.url}/cases/{CASE}/files/page-000-hukou.jpg", timeout=10)
    assert image.headers["content-type"] == "image/jpeg" and image.content[:2] == b"\xff\xd8"
    assert session.get(f"{office.url}/cases/{CASE}/files/manifest.json", timeout=10).status_code == 404
    assert requests.get(f"{office.url}/cases/{CASE}/files/page-000-hukou.jpg", timeout=10).url.endswith(
        "/login"
    )


def test_a_decoded_card_photo_is_shown_and_pages_are_not_framed_or_cached(office):
    manifest, files = application(CASE)
    manifest["application"]["applicant"]["photo"] = "decoded"  # as the ID-card reader reports it
    photo = {"idcard_photo.bmp": b"BM" + bytes(60)}
    office.submit(office.enrol(), CASE, manifest=manifest, files={**files, **photo})
    session = office.staff_session()
    page = session.get(f"{office.url}/cases/{CASE}", timeout=10)
    assert "idcard_photo.bmp" in page.text and "照片不可用" not in page.text
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"


def test_decisions_need_their_reasons_and_are_logged_with_who_and_when(office):
    office.submit(office.enrol(), CASE)
    session = office.staff_session(name="李办事员")
    no_materials = decide(office, session, decision="returned", note="")
    assert no_materials.status_code == 400 and "请勾选需要补正的材料" in no_materials.text
    no_reason = decide(office, session, decision="rejected", note=" ")
    assert no_reason.status_code == 400 and "请填写理由" in no_reason.text
    assert decide(office, session, decision="completed").status_code == 400  # not before acceptance
    assert decide(office, session, decision="accepted").url.endswith(f"/cases/{CASE}")
    returned = decide(office, session, decision="returned", materials=["hukou", "no-such"], note="第二页模糊")
    assert "请补正：户口簿。 第二页模糊" in returned.text
    log = office.store.decisions_for_case(CASE)
    assert [(d["state"], d["decided_by"]) for d in log] == [("accepted", "clerk"), ("returned", "clerk")]
    assert all(d["decided_at"] for d in log) and log[1]["materials"] == [{"key": "hukou", "name": "户口簿"}]
    assert "本件已退回补正，无需再处理" in returned.text


def test_the_resident_gets_a_text_message_with_no_name_or_id_number(office):
    office.submit(office.enrol(), CASE)
    casework = office.app.state.services.casework
    casework.decide(CASE, "returned", "clerk", "", [Material("hukou", "户口簿")])
    assert casework.notify(CASE) == "sent"
    lines = (office.data_dir / "sms.log").read_text(encoding="utf-8").splitlines()
    message = json.loads(lines[-1])
    assert message["to"] == "13900000000" and CASE in message["text"] and "户口簿" in message["text"]
    card = people.resident()
    assert card.name not in lines[-1] and card.id_number not in lines[-1]
    assert (office.data_dir / "sms.log").stat().st_mode & 0o077 == 0


class Gateway(BaseHTTPRequestHandler):
    received: ClassVar[list] = []
    status = 200

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        Gateway.received.append((self.headers.get("Authorization"), json.loads(self.rfile.read(length))))
        self.send_response(Gateway.status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway():
    server = HTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Gateway.received, Gateway.status = [], 200
    yield f"http://127.0.0.1:{server.server_port}/sms"
    server.shutdown()


def test_the_http_sms_notifier_posts_to_the_gateway_and_reports_its_failures(gateway, tmp_path):
    notifier = make_notifier(
        NotifierSettings(kind="http", url=gateway, token="secret", timeout_s=5), tmp_path
    )
    assert isinstance(notifier, HttpSmsNotifier)
    notifier.send("13900000000", "您的申请已受理")
    assert Gateway.received == [("Bearer secret", {"to": "13900000000", "text": "您的申请已受理"})]
    Gateway.status = 503
    with pytest.raises(NotifyError) as failed:
        notifier.send("13900000000", "x")
    assert failed.value.detail == "HTTP 503"


def test_the_status_page_needs_the_id_tail_shows_only_the_state_and_slows_down_guessing(office):
    office.submit(office.enrol(), CASE)
    office.app.state.services.casework.decide(CASE, "accepted", "clerk")
    card = people.resident()
    ask = requests.get(f"{office.url}/status/{CASE}", timeout=10)
    assert "身份证号码的后六位" in ask.text and "已受理" not in ask.text
    right = requests.post(
        f"{office.url}/status/{CASE}", data={"id_tail": card.id_number[-6:].lower()}, timeout=10
    )
    assert "已受理" in right.text and "高龄津贴申领" in right.text
    assert card.name not in right.text and card.id_number not in right.text
    unknown = requests.post(f"{office.url}/status/000999999999999", data={"id_tail": "123456"}, timeout=10)
    assert unknown.status_code == 400 and "不正确" in unknown.text
    for _ in range(5):
        assert (
            requests.post(f"{office.url}/status/{CASE}", data={"id_tail": "000000"}, timeout=10).status_code
            == 400
        )
    locked = requests.post(f"{office.url}/status/{CASE}", data={"id_tail": card.id_number[-6:]}, timeout=10)
    assert locked.status_code == 429


def test_staff_create_enrolment_codes_and_agents_on_pages(office):
    session = office.staff_session()
    answer = session.post(
        f"{office.url}/enrolment",
        data={"csrf": office.csrf(session), "village": "东村", "kiosk_id": ""},
        timeout=10,
    )
    assert "只显示这一次" in answer.text and office.store.enrolment_codes()[0]["village"] == "东村"
    bad = session.post(
        f"{office.url}/agents",
        data={
            "csrf": office.csrf(session),
            "name": "赵",
            "village": "东村",
            "id_number": "522731198001010029",
            "pin": "123456",
        },
        timeout=30,
    )
    assert bad.status_code == 400 and "校验不通过" in bad.text
    good = session.post(
        f"{office.url}/agents",
        data={
            "csrf": office.csrf(session),
            "name": "赵代办",
            "village": "东村",
            "id_number": "522731198001010028",
            "pin": "123456",
        },
        timeout=30,
    )
    assert "赵代办" in good.text and "522731198001010028" not in good.text

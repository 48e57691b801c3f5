"""The signed application form: A4 PDF/A-2b with Chinese text intact, only subset fonts, the
signature at its place, the agent's page when an agent submitted, and every scanned page appended."""

import io
import logging
import shutil
import subprocess
import threading
import time
import warnings

import pikepdf
import pytest
from pikepdf import pdfa

from kiosk import catalog, form_pdf
from kiosk.session_store import SessionStore
from kiosk.sim.application import synthetic_application

SERVICE = catalog.load().get("senior-age-allowance")
TERMINAL = form_pdf.Terminal("示例村便民服务站自助终端", "示例县示例镇示例村村民委员会")
needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")


@pytest.fixture(scope="module")
def agent_form(tmp_path_factory):
    store = SessionStore(tmp_path_factory.mktemp("session"))
    application = synthetic_application(store, SERVICE, pages=3, agent=True)
    path = tmp_path_factory.mktemp("out") / "form.pdf"
    path.write_bytes(form_pdf.build(application, SERVICE, store, TERMINAL))
    return application, path


def text_of(path, page=None):
    pages = ["-f", str(page), "-l", str(page)] if page else []
    return subprocess.run(
        ["pdftotext", "-layout", *pages, str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


@needs_poppler
def test_the_form_reads_back_in_chinese(agent_form):
    application, path = agent_form
    first = "".join(text_of(path, 1).split())
    for expected in (
        "高龄津贴申领申请表",
        f"受理编号{application.case_number}",
        "姓名王建国",
        f"公民身份号码{application.applicant.id_number}",
        "住址贵州省惠水县示例镇示例村三组18号",
        "联系电话13900000000",
        "户口簿已拍摄1页（见附件）",
        "本人承诺：以上填写的信息和提交的材料真实、准确、完整",
        "申请人（签名）：",
        "提交终端：示例村便民服务站自助终端",
    ):
        assert expected in first, expected


@needs_poppler
def test_only_subset_fonts_are_embedded(agent_form):
    _, path = agent_form
    rows = subprocess.run(
        ["pdffonts", str(path)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    assert rows
    for row in rows:
        name, *_, emb, sub, uni, _obj, _gen = row.split()
        assert "+" in name and (emb, sub, uni) == ("yes", "yes", "yes"), row


def test_pages_are_a4_with_the_agents_page_and_every_scan_appended(agent_form):
    application, path = agent_form
    with pikepdf.open(path) as pdf:
        assert len(pdf.pages) == 1 + 1 + len(application.pages)
        for page in pdf.pages:
            width, height = float(page.mediabox[2]), float(page.mediabox[3])
            assert (round(width), round(height)) == (595, 842)
        scans = [pikepdf.PdfImage(next(iter(page.get_images().values()))) for page in pdf.pages[2:]]
        assert all(image.filters == ["/DCTDecode"] for image in scans)  # the JPEGs as taken, not re-encoded


@needs_poppler
def test_the_agents_page_names_the_agent_and_the_consent(agent_form):
    application, path = agent_form
    second = "".join(text_of(path, 2).split())
    assert "代办授权委托书" in second and f"姓名{application.agent.name}" in second
    assert "委托人（签名）：" in second


def test_the_file_passes_a_pdfa_2b_validator_and_declares_itself(agent_form):
    _, path = agent_form
    report = pdfa.validate_written(path, "2b")
    assert report.passed, report.summary()
    with pikepdf.open(path) as pdf:
        meta = pdf.open_metadata()
        assert (meta["pdfaid:part"], meta["pdfaid:conformance"]) == ("2", "B")
        assert len(pdf.Root.OutputIntents) == 1


def test_a_name_with_a_character_the_font_lacks_still_makes_a_valid_form(tmp_path):
    store = SessionStore(tmp_path)
    application = synthetic_application(store, SERVICE, pages=0)
    application.applicant.name = "王䲜"  # CJK Extension A: not in WenQuanYi, drawn from Noto's outline
    document = form_pdf.build(application, SERVICE, store, TERMINAL)
    assert pdfa.validate_written(io.BytesIO(document), "2b").passed


def test_a_warning_on_another_thread_while_sealing_does_not_fail_the_form(tmp_path):
    """pikepdf's checker records every thread's warnings; the camera's must not fail the form."""
    store = SessionStore(tmp_path)
    application = synthetic_application(store, SERVICE, pages=0)
    document = form_pdf.draw(application, SERVICE, store, TERMINAL)
    retried = threading.Event()

    class Retried(logging.Handler):
        def emit(self, record):
            if getattr(record, "event", "") == "form.pdfa_retried":
                retried.set()

    def another_thread_warns_until_the_retry():
        while not retried.is_set():
            warnings.warn("unclosed file", ResourceWarning, stacklevel=1)
            time.sleep(0.0005)

    handler = Retried()
    logging.getLogger("kiosk.form_pdf").addHandler(handler)
    noisy = threading.Thread(target=another_thread_warns_until_the_retry, daemon=True)
    noisy.start()
    try:
        sealed = form_pdf.to_pdfa(document)
    finally:
        retried.set()
        logging.getLogger("kiosk.form_pdf").removeHandler(handler)
        noisy.join()
    assert pdfa.validate_written(io.BytesIO(sealed), "2b").passed

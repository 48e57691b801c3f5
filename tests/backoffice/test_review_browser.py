"""The review page in a real headless browser (Debian's chromium + chromedriver, Selenium): a clerk logs in,
opens a case a terminal really submitted, sends it back for correction, and the terminal's poller sees it.

Screenshots at 1366x768 go to $KIOSK_SCREENSHOTS (default: the test's temporary folder).
"""

import base64
import os
import shutil
from pathlib import Path

import pytest
from backoffice_world import heartbeat_payload
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.ui import WebDriverWait

from kiosk import keys
from kiosk.backoffice import agent_registry, staff
from kiosk.decisions import DecisionPoller
from kiosk.demo import run_headless
from kiosk.outbox import Outbox
from kiosk.township import TownshipClient

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--window-size=1366,768",
    "--lang=zh-CN",
]


@pytest.fixture
def browser(tmp_path):
    if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        pytest.fail("Debian packages chromium and chromium-driver are needed (make test installs them)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in [*FLAGS, f"--user-data-dir={tmp_path / 'chromium-profile'}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def shot(driver, name: str, folder: Path) -> None:
    """The page as a 1366-wide window shows it, and the whole page below it; it must not scroll sideways."""
    folder.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(folder / f"backoffice-{name}.png"))
    full = driver.execute_cdp_cmd("Page.captureScreenshot", {"captureBeyondViewport": True, "format": "png"})
    (folder / f"backoffice-{name}-full.png").write_bytes(base64.b64decode(full["data"]))
    overflow = driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name}: {overflow}px wider than a 1366x768 screen"


def test_a_clerk_returns_a_submitted_case_and_the_kiosk_sees_it(rig, browser, tmp_path):
    folder = Path(os.environ.get("KIOSK_SCREENSHOTS", tmp_path / "screens"))
    result = run_headless(rig)
    store = rig.app.state.store
    staff.add_user(store, "clerk", "李办事员", "correct horse battery")
    wait = WebDriverWait(browser, 30)

    browser.get(rig.server.url + "/")
    wait.until(ready.presence_of_element_located((By.NAME, "username")))
    shot(browser, "login", folder)
    browser.find_element(By.NAME, "username").send_keys("clerk")
    browser.find_element(By.NAME, "password").send_keys("correct horse battery")
    browser.find_element(By.CSS_SELECTOR, "button.primary").click()

    case_link = wait.until(ready.element_to_be_clickable((By.LINK_TEXT, result.case_number)))
    shot(browser, "queue", folder)
    case_link.click()
    wait.until(ready.presence_of_element_located((By.CSS_SELECTOR, ".idcard")))
    page = browser.find_element(By.TAG_NAME, "main").text
    assert rig.resident.name in page and "照片不可用" in page and "户口簿" in page
    shot(browser, "case", folder)

    browser.find_element(By.CSS_SELECTOR, ".thumb[data-zoom]").click()
    zoom = wait.until(ready.visibility_of_element_located((By.ID, "zoom")))
    browser.find_element(By.CSS_SELECTOR, "[data-zoom-step='1']").click()
    assert zoom.find_element(By.TAG_NAME, "img").get_attribute("src").endswith(".jpg")
    shot(browser, "zoom", folder)
    browser.find_element(By.CSS_SELECTOR, "[data-zoom-close]").click()

    returned = browser.find_element(By.CSS_SELECTOR, "form.returned")
    returned.find_element(By.CSS_SELECTOR, "input[value='hukou']").click()
    returned.find_element(By.NAME, "note").send_keys("户口簿本人页不清楚")
    returned.find_element(By.TAG_NAME, "button").click()
    wait.until(ready.text_to_be_present_in_element((By.CSS_SELECTOR, ".casehead .state"), "退回补正"))
    assert "退回补正（clerk）" in browser.find_element(By.CSS_SELECTOR, ".log").text  # who decided, logged
    shot(browser, "case-returned", folder)

    outbox = Outbox(rig.config.data_dir)
    client = TownshipClient(
        rig.server.url,
        rig.config.terminal.id,
        keys.load_device_key(rig.workdir / "keys" / "device.key"),
        keys.load_township_public(rig.workdir / "township" / "township.pub"),
    )
    DecisionPoller(client, outbox, rig.config.data_dir).poll_once()
    entry = outbox.by_case(result.case_number)
    assert entry.state == "returned" and "户口簿" in entry.decision_note
    outbox.close()

    client.post(f"/api/v1/kiosks/{rig.config.terminal.id}/heartbeat", heartbeat(rig))
    agent_registry.add_agent(store, "赵代办", "示例村", "522731198001010028", "246810")
    expected = {
        "fleet": "SIGPAD_SILENT",
        "agents": "赵代办",
        "enrolment": "生成登记码",
        "quarantine": "隔离区是空的",
    }
    for name, text in expected.items():
        browser.get(f"{rig.server.url}/{name}")
        wait.until(ready.presence_of_element_located((By.CSS_SELECTOR, "main h1")))
        assert text in browser.find_element(By.TAG_NAME, "main").text
        shot(browser, name, folder)

    browser.get(f"{rig.server.url}/status/{result.case_number}")
    browser.find_element(By.NAME, "id_tail").send_keys(rig.resident.id_number[-6:])
    browser.find_element(By.CSS_SELECTOR, "button.primary").click()
    wait.until(ready.presence_of_element_located((By.CSS_SELECTOR, ".bigstate")))
    assert rig.resident.name not in browser.page_source
    shot(browser, "status", folder)


def heartbeat(rig) -> dict:
    terminal = rig.config.terminal
    payload = heartbeat_payload(terminal.id, outbox_depth=0, oldest_unsent_age_s=None)
    payload["devices"]["sigpad"] = {"ok": False, "code": "SIGPAD_SILENT"}
    payload["device_card"].update(name=terminal.name, location=terminal.location)
    del payload["kiosk_id"]  # TownshipClient.post adds it
    return payload

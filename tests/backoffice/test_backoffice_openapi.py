"""The committed OpenAPI document is the app's own, and the running API keeps to it under fuzzing
(Schemathesis: no 5xx, status codes, content types and bodies as documented). Short here; long in soak."""

from pathlib import Path

import pytest
import schemathesis
from backoffice_world import start_office
from hypothesis import HealthCheck, settings
from schemathesis import checks

from kiosk.backoffice import enrolment
from kiosk.backoffice.app import openapi_text

DOCUMENT = Path(__file__).parents[2] / "docs" / "backoffice-openapi.json"
schema = schemathesis.openapi.from_path(DOCUMENT)
FUZZ = {"deadline": None, "suppress_health_check": list(HealthCheck), "derandomize": True}
# Schema-valid bytes are not a valid bundle and random PEM text is not a key: refusing them is the point,
# so "positive data acceptance" does not apply to a signed API. Every other check runs.
EXCLUDED = [checks.positive_data_acceptance]


def test_the_committed_openapi_document_is_the_apps_current_one():
    assert DOCUMENT.read_text(encoding="utf-8") == openapi_text(), (
        "regenerate with: kiosk backoffice openapi --out docs/backoffice-openapi.json"
    )


def test_the_fixed_addresses_answer(office):
    import requests

    assert (
        requests.get(f"{office.url}/openapi.json", timeout=10).json()["info"]["title"].startswith("乡镇后台")
    )
    health = requests.get(f"{office.url}/healthz", timeout=10)
    assert health.status_code == 200 and health.json()["status"] == "ok"


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory):
    """One server for all examples, with an enrolled kiosk and live codes so that not every call is refused."""
    office = start_office(tmp_path_factory.mktemp("fuzz"))
    office.enrol("KIOSK-T-0001")
    for _ in range(3):
        enrolment.new_code(office.store, "东村", "clerk", ttl_h=1)
    yield office
    office.server.stop()


@schema.parametrize()
@settings(max_examples=15, **FUZZ)
def test_the_api_keeps_to_its_document(case, fuzzed):
    case.call_and_validate(base_url=fuzzed.url, excluded_checks=EXCLUDED)


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=500, **FUZZ)
def test_the_api_keeps_to_its_document_at_length(case, fuzzed):
    case.call_and_validate(base_url=fuzzed.url, excluded_checks=EXCLUDED)

import json
import shutil

import pytest

from kiosk import catalog
from kiosk.cli import main
from kiosk.errors import CatalogError

SERVICE_KEYS = {
    "code",
    "name",
    "department",
    "time_limit_days",
    "visits",
    "fee",
    "agent_allowed",
    "materials",
}
MATERIAL_KEYS = {"name", "copies", "original", "replaced_by_id_card"}


def test_at_least_six_real_services_each_with_a_source_and_sample_flag():
    services = list(catalog.load())
    assert len(services) >= 6
    for service in services:
        assert service.source.strip(), service.code
        assert service.sample is True  # until a township confirms the data
        assert service.materials and service.form
        assert any(f.type == "phone" for f in service.form)


def test_legal_basis_is_never_left_unexplained():
    for service in catalog.load():
        assert service.legal_basis or service.legal_basis_note, service.code


def test_catalog_list_json_contract(capsys):
    assert main(["catalog", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed and all(set(s) >= SERVICE_KEYS for s in listed)
    assert all(set(m) >= MATERIAL_KEYS for s in listed for m in s["materials"])


def test_a_township_folder_can_replace_a_builtin_service(tmp_path):
    source = catalog.BUILTIN_DIR / "birth-registration.toml"
    text = source.read_text(encoding="utf-8").replace("sample = true", "sample = false")
    (tmp_path / source.name).write_text(text, encoding="utf-8")
    assert catalog.load([tmp_path]).get("birth-registration").sample is False


@pytest.mark.parametrize(
    ("edit", "code", "key"),
    [
        (lambda t: t.replace("fee = ", "fees = "), "UNKNOWN_KEY", "fees"),
        (
            lambda t: t.replace("time_limit_days = ", 'time_limit_days = "5" #'),
            "WRONG_TYPE",
            "time_limit_days",
        ),
        (
            lambda t: t.replace('capture = "document"', 'capture = "scan"', 1),
            "WRONG_VALUE",
            "materials[0].capture",
        ),
    ],
)
def test_a_broken_service_file_names_file_line_and_key(tmp_path, edit, code, key):
    source = catalog.BUILTIN_DIR / "senior-age-allowance.toml"
    broken = tmp_path / source.name
    broken.write_text(edit(source.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(CatalogError) as caught:
        catalog.load([tmp_path])
    assert caught.value.code == code
    assert caught.value.params["file"] == str(broken)
    assert caught.value.params["line"] > 0
    assert caught.value.params["key"] == key


def test_file_name_must_match_the_code(tmp_path):
    shutil.copy(catalog.BUILTIN_DIR / "birth-registration.toml", tmp_path / "births.toml")
    with pytest.raises(CatalogError) as caught:
        catalog.load([tmp_path])
    assert caught.value.code == "CATALOG_CODE_MISMATCH"

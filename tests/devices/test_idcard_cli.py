"""`kiosk devices read-id`, `kiosk devices idcard-info` and `kiosk sim idcard`: the JSON contract,
exit codes, one-line failures, and the simulator scripted on its standard input."""

import base64
import json
import subprocess
import sys
import threading

import pytest

from kiosk.cli import main
from kiosk.sim import people
from kiosk.sim.idcard import IdCardSimulator

CONTRACT_KEYS = [
    "card_type",
    "name",
    "name_en",
    "sex",
    "nation",
    "birth_date",
    "address",
    "id_number",
    "issuer",
    "valid_from",
    "valid_to",
    "photo",
    "raw_text_b64",
    "raw_photo_b64",
    "extra",
]


@pytest.fixture
def sim():
    with IdCardSimulator() as device:
        yield device


def read_id(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["devices", "read-id", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_read_id_json_has_exactly_the_contracts_keys_and_formats(sim, capsys):
    sim.place(people.resident())
    code, out, _ = read_id(capsys, "--port", sim.port, "--json", "--timeout", "5")
    card = json.loads(out)
    assert code == 0 and list(card) == CONTRACT_KEYS and out.count("\n") == 1
    assert card["card_type"] == "resident" and card["name_en"] == ""
    assert (card["sex"], card["nation"], card["birth_date"]) == ("男", "汉", "1956-03-01")
    assert (card["valid_from"], card["valid_to"], card["photo"]) == ("2016-08-15", "长期", "unavailable")
    assert len(base64.b64decode(card["raw_text_b64"])) == 256
    assert base64.b64decode(card["raw_photo_b64"])[:2] == b"WL"
    assert card["extra"] == {}


@pytest.mark.parametrize(
    ("kind", "extra_keys"),
    [
        ("hk_mo_tw", {"pass_number", "issue_count"}),
        ("foreign_2017", {"nationality", "card_version", "authority_code"}),
        ("foreign_2023", {"nationality", "renewal_count", "previous_number_link"}),
    ],
)
def test_read_id_json_carries_each_card_types_own_fields_in_extra(sim, capsys, kind, extra_keys):
    sim.place(people.ALL_TYPES[kind]())
    code, out, _ = read_id(capsys, "--port", sim.port, "--json")
    card = json.loads(out)
    assert code == 0 and card["card_type"] == kind and set(card["extra"]) == extra_keys
    assert card["nation"] == ""
    assert bool(card["name_en"]) is kind.startswith("foreign")


def test_read_id_waits_for_a_card_placed_later(sim, capsys):
    threading.Timer(0.5, sim.place, args=(people.foreign_2017(),)).start()
    code, out, _ = read_id(capsys, "--port", sim.port, "--json", "--timeout", "10")
    assert code == 0 and json.loads(out)["name_en"] == "SAMPLE JOHN"


def run_kiosk(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kiosk", *args], capture_output=True, text=True, timeout=60)


def one_line_failure(capsys, args: list[str], code: str) -> str:
    """Run in-process: a traceback would escape into the test; the line is what the shell shows."""
    assert main(args) == 2
    out, err = capsys.readouterr()
    assert err.count("\n") == 1 and code in err
    return out


def test_read_id_with_no_card_in_time_fails_in_one_line(sim, capsys):
    out = one_line_failure(
        capsys, ["devices", "read-id", "--port", sim.port, "--timeout", "0.5"], "IDCARD_NO_CARD"
    )
    assert out == ""


def test_read_id_on_a_port_held_by_another_program_fails_in_one_line(sim, capsys):
    from kiosk.devices.idcard import IdCardReader

    with IdCardReader(sim.port):
        one_line_failure(capsys, ["devices", "read-id", "--port", sim.port, "--json"], "IDCARD_BUSY")


def test_read_id_on_a_forged_card_fails_in_one_line(sim, capsys):
    sim.place(people.resident())
    sim.script("card 32")
    one_line_failure(capsys, ["devices", "read-id", "--port", sim.port, "--json"], "IDCARD_CARD_REJECTED")


def test_idcard_info_prints_status_and_sam_id(sim, capsys):
    assert main(["devices", "idcard-info", "--port", sim.port]) == 0
    out = capsys.readouterr().out
    assert "90 success" in out and "05.03-20201893-0123456789-0000012345" in out


def test_idcard_info_on_a_faulty_sam_names_the_status(sim, capsys):
    sim.script("sam 60")
    out = one_line_failure(capsys, ["devices", "idcard-info", "--port", sim.port], "IDCARD_SAM_FAULT")
    assert "60 SAM self-test failed" in out


def test_the_simulator_is_scripted_on_stdin_and_keeps_its_stable_link(tmp_path):
    link = tmp_path / "idcard"
    sim = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "sim", "idcard", "--link", str(link)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert sim.stdout.readline().strip() == f"port: {link}"
        sim.stdout.readline()  # the command list
        for line in ("next", "next", "place foreign_2023 2", "unplug", "plug", "fly away"):
            sim.stdin.write(line + "\n")
            sim.stdin.flush()
            assert sim.stdout.readline().startswith("ok" if line != "fly away" else "?")
        run = run_kiosk("devices", "read-id", "--port", str(link), "--json", "--timeout", "5")
        assert run.returncode == 0, run.stderr
        assert json.loads(run.stdout)["card_type"] == "foreign_2023"
    finally:
        sim.stdin.write("quit\n")
        sim.stdin.flush()
        sim.wait(timeout=10)
    assert not link.exists()

"""The command line contracts that scripts and later work rely on."""

import json
import subprocess
import sys

import pytest

from kiosk.cli import build_parser, commands, main

SUBCOMMANDS = [
    "demo",
    "run",
    "config show",
    "catalog list",
    "catalog show",
    "devices read-id",
    "devices idcard-info",
    "sim",
    "keys init",
    "keys township",
    "keys enrol",
    "keys tls-ca",
    "keys tls-server",
    "bundle seal",
    "bundle open",
    "outbox status",
    "outbox retry",
    "outbox export",
    "backoffice serve",
]


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    for command in ("demo", "run", "config", "catalog", "devices", "sim", "keys", "backoffice"):
        assert command in out
    assert "--config" in out
    assert len(commands()) >= 8


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_every_subcommand_has_help(command, capsys):
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args([*command.split(), "--help"])
    assert exited.value.code == 0
    assert "usage: kiosk" in capsys.readouterr().out


def test_headless_demo_json_contract(tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "kiosk", "demo", "--headless", "--json", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    result = json.loads(run.stdout)
    assert result["verified"] is True
    assert len(result["case_number"]) == 15 and len(result["bundle_id"]) == 32
    assert result["receipt"].endswith(".png") and (tmp_path / "receipt.png").exists()


def test_unknown_service_is_one_plain_line(tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "kiosk", "catalog", "show", "no-such-service"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2
    assert "Traceback" not in run.stderr and "no-such-service" in run.stderr


def test_read_id_on_a_missing_port_fails_cleanly(tmp_path):
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "kiosk",
            "devices",
            "read-id",
            "--port",
            str(tmp_path / "ttyUSB9"),
            "--timeout",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2 and "IDCARD_NO_READER" in run.stderr and "Traceback" not in run.stderr


def test_read_id_prints_the_card_as_json(tmp_path):
    from kiosk.sim import people
    from kiosk.sim.idcard import IdCardSimulator

    with IdCardSimulator() as sim:
        sim.place(people.hk_mo_tw())
        run = subprocess.run(
            [sys.executable, "-m", "kiosk", "devices", "read-id", "--port", sim.port, "--json"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    card = json.loads(run.stdout)
    assert card["card_type"] == "hk_mo_tw" and card["extra"]["pass_number"] == "H12345678"
    assert set(card) >= {
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
    }

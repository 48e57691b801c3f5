from pathlib import Path

import pytest

from kiosk import config
from kiosk.cli import main
from kiosk.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_every_key_has_a_default():
    defaults = config.load(None)
    assert defaults.devices.idcard.baud == 115200
    assert defaults.terminal.idle_timeout_s == 60


def test_a_partial_file_keeps_the_other_defaults(tmp_path):
    loaded = config.load(
        write(tmp_path, '[terminal]\nname = "东村服务站"\n[devices.idcard]\nport = "/dev/ttyUSB3"\n')
    )
    assert loaded.terminal.name == "东村服务站"
    assert loaded.devices.idcard.port == "/dev/ttyUSB3"
    assert loaded.devices.printer.baud == 115200


def test_unknown_key_names_file_line_and_key(tmp_path):
    path = write(tmp_path, '[terminal]\nname = "x"\n\n[devices.printer]\nbaud = 9600\npaper = "a4"\n')
    with pytest.raises(ConfigError) as caught:
        config.load(path)
    message = str(caught.value)
    assert caught.value.code == "UNKNOWN_KEY"
    assert str(path) in message and "第 6 行" in message and "devices.printer.paper" in message


def test_wrong_type_names_the_key(tmp_path):
    with pytest.raises(ConfigError) as caught:
        config.load(write(tmp_path, '[terminal]\nidle_timeout_s = "sixty"\n'))
    assert caught.value.code == "WRONG_TYPE"
    assert caught.value.params["line"] == 2
    assert caught.value.params["key"] == "terminal.idle_timeout_s"


def test_malformed_toml_names_the_line(tmp_path):
    with pytest.raises(ConfigError) as caught:
        config.load(write(tmp_path, "[terminal]\nname = \n"))
    assert caught.value.code == "TOML_SYNTAX"
    assert caught.value.params["line"] == 2


def test_cli_reports_a_bad_config_in_one_line_without_traceback(tmp_path, capsys):
    path = write(tmp_path, "[terminal]\nnumber = 1.5\n")
    assert main(["--config", str(path), "config", "show"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.count("\n") == 1 and "terminal.number" in err


def test_cli_reports_a_missing_config(tmp_path, capsys):
    assert main(["--config", str(tmp_path / "none.toml"), "config", "show"]) == 2
    assert "none.toml" in capsys.readouterr().err


def test_config_show_round_trips(tmp_path, capsys):
    assert main(["config", "show"]) == 0
    shown = write(tmp_path, capsys.readouterr().out)
    assert config.load(shown) == config.Config()

"""deploy/kiosk.toml.example lists every key with its default: exactly what `kiosk config show` prints."""

import tomllib
from pathlib import Path

from kiosk import config

EXAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "kiosk.toml.example"


def test_the_example_config_matches_config_show():
    example = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    assert example == tomllib.loads(config.Config().to_toml())


def test_the_example_config_loads_as_a_config_file():
    assert config.load(EXAMPLE) == config.Config()

"""Shared fixtures: temporary data folders, the demo world (back office + simulators), slow-test switch."""

from __future__ import annotations

import pytest

from kiosk.demo import DemoRig


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--run-slow", action="store_true", help="run the full-length harnesses (make soak)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--run-slow"):
        return
    skip = pytest.mark.skip(reason="full-length run: make soak")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def rig(tmp_path):
    """The demo world: embedded back office, simulated devices on ptys, virtual camera, fresh keys."""
    with DemoRig(tmp_path / "world") as world:
        yield world

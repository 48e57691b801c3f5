"""Shared fixtures: temporary data folders, the demo world (back office + simulators), slow-test switch."""

from __future__ import annotations

import pytest

from kiosk.demo import DemoRig
from kiosk.outbox import Outbox


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


AGENT_PIN = "246810"


@pytest.fixture
def agent_card(rig):
    """A fictional village agent with a card of its own, registered at the township for this
    terminal's village (the terminal syncs the signed register when it starts)."""
    from kiosk.backoffice import agent_registry
    from kiosk.sim import people

    card = people.resident(name="李秀英", sex_code="2", birth="19780512", sequence=37)
    agent_registry.add_agent(rig.app.state.store, card.name, "示例村", card.id_number, AGENT_PIN)
    return card


@pytest.fixture
def outbox(tmp_path):
    """An empty terminal outbox in a temporary data folder."""
    box = Outbox(tmp_path / "kiosk")
    yield box
    box.close()

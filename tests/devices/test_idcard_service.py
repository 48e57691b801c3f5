"""Card polling in the device service against the simulated reader: events, one read per placement,
debounced disconnects, and recovery after an unplug without restarting anything."""

import time

import pytest

from kiosk import config as config_module
from kiosk.flow.bus import EventBus
from kiosk.flow.devices import DeviceService
from kiosk.sim import people
from kiosk.sim.idcard import IdCardSimulator

WAIT_S = 15.0  # generous: the machine is shared


@pytest.fixture
def world(tmp_path):
    link = tmp_path / "idcard"
    sim = IdCardSimulator(link=link).start()
    config = config_module.with_overrides(
        config_module.Config(),
        {
            "devices.idcard.port": str(link),
            "devices.idcard.poll_interval_s": 0.05,
            "devices.idcard.command_timeout_s": 0.3,
            "devices.idcard.idle_check_s": 0.1,
            "devices.idcard.disconnect_after": 3,
            "devices.sigpad.port": "",
            "devices.camera.source": str(tmp_path),
        },
    )
    bus = EventBus()
    service = DeviceService(config.devices, bus)
    service.start()
    yield World(sim, service, bus)
    service.stop()
    sim.stop()


class World:
    def __init__(self, sim: IdCardSimulator, service: DeviceService, bus: EventBus) -> None:
        self.sim, self.service, self.bus = sim, service, bus
        self.events: list = []
        bus.subscribe("*", self.events.append)

    def names(self) -> list[str]:
        return [e.name for e in self.events]

    def wait_for(self, name: str, count: int = 1) -> None:
        assert self.bus.run_until(lambda: self.names().count(name) >= count, WAIT_S), (name, self.names())

    def settle(self, seconds: float = 0.6) -> None:
        self.bus.run_until(lambda: False, seconds)

    def errors(self) -> list[str]:
        return [e.data["error"].code for e in self.events if e.name == "device.error"]


def test_a_placed_card_is_detected_then_read_once_per_placement(world):
    world.service.watch_cards(True)
    world.sim.place(people.resident())
    world.wait_for("card.read")
    assert world.names() == ["card.detected", "card.read"]
    assert world.events[-1].data["card"].name == "王建国"
    assert not world.service.watching_cards.is_set()  # the flow asks again when it wants another card
    world.service.watch_cards(True)
    world.settle()
    assert world.names().count("card.read") == 1  # still lying there: not read again
    world.sim.lift()
    world.sim.place(people.foreign_2023())
    world.wait_for("card.read", 2)
    assert world.events[-1].data["card"].card_type == "foreign_2023"


def test_a_reader_that_misses_one_poll_is_not_reported(world):
    world.service.watch_cards(True)
    world.sim.script("drop find")
    world.settle()
    assert world.sim.faults.drop == []  # the answer was dropped and the poll missed
    assert "device.error" not in world.names()
    assert world.service.health["idcard"].ok


def test_an_unplugged_reader_is_reported_once_after_several_misses_and_recovers(world):
    world.service.watch_cards(True)
    world.settle(0.3)
    world.sim.unplug()
    world.wait_for("device.error")
    assert world.service.idcard_link.misses >= 3
    world.settle()
    assert world.errors() == ["IDCARD_NO_READER"]
    assert not world.service.health["idcard"].ok
    world.sim.plug()
    world.wait_for("device.recovered")
    assert world.service.health["idcard"].ok
    world.sim.place(people.hk_mo_tw())
    world.wait_for("card.read")


def test_the_reader_is_checked_while_no_card_is_wanted(world):
    world.settle(0.5)
    assert (0x11, 0xFF) in world.sim.commands and (0x20, 0x01) not in world.sim.commands
    world.sim.unplug()
    world.wait_for("device.error")
    world.sim.plug()
    world.wait_for("device.recovered")


def test_a_card_the_sam_refuses_is_reported_at_once(world):
    world.service.watch_cards(True)
    world.sim.script("card 32")
    world.sim.place(people.resident())
    world.wait_for("device.error")
    assert world.names() == ["card.detected", "device.error"]
    assert world.errors() == ["IDCARD_CARD_REJECTED"]
    assert world.service.health["idcard"].ok  # the reader works; the card does not


def test_a_card_lifted_mid_read_is_reported_then_read_when_placed_again(world):
    world.service.watch_cards(True)
    world.sim.script("lift-mid-read")
    world.sim.place(people.resident())
    world.wait_for("device.error")
    assert world.errors() == ["IDCARD_CARD_MOVED"]
    time.sleep(0.1)
    world.sim.place(people.resident())
    world.wait_for("card.read")


def test_diagnostics_get_the_sam_id_and_status_through_the_worker(world):
    world.service.request_idcard_info()
    world.wait_for("idcard.info")
    info = world.events[-1].data
    assert info == {"sam_id": "05.03-20201893-0123456789-0000012345", "status": "90", "meaning": "success"}
    world.sim.script("sam 66")
    world.service.request_idcard_info()
    world.wait_for("idcard.info", 2)
    assert (world.events[-1].data["status"], world.events[-1].data["sam_id"]) == ("66", "")

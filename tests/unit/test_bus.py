"""The event bus: delivery order, and preview frames that do not pile up while nobody drains."""

from __future__ import annotations

from kiosk.flow.bus import Event, EventBus


def delivered(bus: EventBus) -> list[tuple[str, int]]:
    seen: list[Event] = []
    bus.subscribe("*", seen.append)
    bus.drain()
    return [(e.name, e.data["n"]) for e in seen]


def test_events_are_delivered_in_the_order_published() -> None:
    bus = EventBus()
    for n in range(3):
        bus.publish("page.captured", n=n)
    assert delivered(bus) == [("page.captured", 0), ("page.captured", 1), ("page.captured", 2)]


def test_a_newer_preview_replaces_one_not_yet_delivered_in_its_place() -> None:
    bus = EventBus(latest_only=("camera.preview",))
    bus.publish("camera.preview", n=0)
    bus.publish("page.captured", n=1)
    for n in range(2, 50):
        bus.publish("camera.preview", n=n)
    assert delivered(bus) == [("camera.preview", 49), ("page.captured", 1)]


def test_a_preview_after_delivery_is_delivered_again() -> None:
    bus = EventBus(latest_only=("camera.preview",))
    seen: list[int] = []
    bus.subscribe("camera.preview", lambda e: seen.append(e.data["n"]))
    bus.publish("camera.preview", n=0)
    bus.drain()
    bus.publish("camera.preview", n=1)
    bus.publish("camera.preview", n=2)
    assert bus.drain() == 1
    assert seen == [0, 2]

"""Screens built before the touch that shows them: each service's guide while the catalog is read."""

from kiosk.flow.controller import Step


def read_then_choose(pilot, service) -> tuple[bool, str]:
    """Read the catalog a while, then touch `service`: whether the guide shown was built before the
    touch, and its texts."""
    from kivy.clock import Clock

    pilot.at(Step.CATALOG)
    pilot.pump(1.5)
    touched_at = Clock.frames_displayed
    pilot.tap(f"service:{service.code}")
    pilot.at(Step.GUIDE)
    return pilot.screen.built_at_frame < touched_at, pilot.texts()


def test_the_guide_touched_was_built_while_the_catalog_was_read_and_its_buttons_drive_the_flow(pilot):
    flow = pilot.flow
    first, second = flow.services("", "")[:2]
    pilot.tap("start")
    built_before, texts = read_then_choose(pilot, second)
    assert built_before
    assert second.name in texts and first.name not in texts
    assert all(m.name in texts for m in second.materials)
    pilot.tap("next")  # a button built ahead drives the flow itself
    pilot.at(Step.IDENTIFY)
    pilot.tap("back")
    pilot.at(Step.GUIDE)
    pilot.tap("back")
    built_before, texts = read_then_choose(pilot, first)
    assert built_before
    assert first.name in texts and second.name not in texts
    assert flow.service.code == first.code
    pilot.tap("print_notice")
    pilot.until(lambda: flow.print_state == "done", "the notice printed")

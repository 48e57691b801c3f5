"""A resident at the terminal, by touch: a whole transaction, help and sound, an idle timeout that
wipes everything, and keys that must not leave the app."""

from kiosk.flow.controller import Step


def everything_on_disk(folder):
    return b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())


def signs_on_the_pad(pilot):
    replays = pilot.rig.sigpad.replays
    pilot.until(
        lambda: pilot.rig.sigpad.replays > replays and sum(map(len, pilot.flow.strokes)) > 30, "signature"
    )


def test_a_resident_applies_by_touch_with_the_pinyin_keyboard_and_leaves_with_a_receipt(pilot):
    flow, rig = pilot.flow, pilot.rig
    pilot.tap("start")
    pilot.at(Step.CATALOG)
    pilot.tap("category:就业创业")
    pilot.tap("service:employment-unemployment-registration")
    pilot.at(Step.GUIDE)
    pilot.tap("next")
    pilot.at(Step.IDENTIFY)
    rig.place_card()
    pilot.at(Step.MATERIALS)
    rig.lift_card()
    pilot.tap("next")  # this service's materials are all optional
    pilot.at(Step.FORM)
    answers = {f.key: f for f in flow.service.form}
    pilot.type_keys(*[f"key:{d}" for d in "13900000000"])
    for spec in answers.values():
        if spec.type == "choice":
            pilot.tap(f"choice:{spec.key}:{spec.choices[0]}")
        elif spec.type == "text":
            pilot.tap(f"field:{spec.key}")
            pilot.type_keys("letter:s", "letter:h", "letter:i", "letter:l", "letter:i")
            pilot.choose_candidate("示例")
    pilot.tap("next")
    pilot.at(Step.SIGN)
    text_field = next(f.key for f in answers.values() if f.type == "text")
    assert flow.application.form[text_field] == "示例" and flow.application.form["phone"] == "13900000000"
    signs_on_the_pad(pilot)
    pilot.tap("next")
    pilot.at(Step.REVIEW)
    assert "王*国" in pilot.texts() and rig.resident.id_number not in pilot.texts()  # last four digits only
    pilot.tap("submit")
    pilot.until(lambda: flow.step == Step.RECEIPT and flow.print_state in ("done", "failed"), "receipt")
    case_number = flow.submitted.case_number
    assert case_number in pilot.texts()
    pilot.tap("done")
    pilot.at(Step.RATING)
    pilot.tap("rate:satisfied")
    pilot.tap("send")
    pilot.at(Step.FAREWELL)
    assert flow.tr("ui.farewell.card") in pilot.texts()
    assert flow.tr("ui.speak.farewell") in pilot.spoken or pilot.terminal.speaker.spoken
    pilot.tap("done")
    pilot.at(Step.ATTRACT)
    assert pilot.terminal.outbox.by_case(case_number) is not None
    left_on_screens = "\n".join(pilot.texts(screen) for screen in pilot.app.manager.screens)
    for shown in ("王*国", rig.resident.id_number[-4:], "13900000000", case_number):
        assert shown not in left_on_screens  # nor in the widgets of screens out of view


def test_help_explains_the_step_and_sound_can_be_turned_off(pilot):
    pilot.tap("start")
    pilot.at(pilot.flow.step.CATALOG)
    pilot.tap("help")
    assert pilot.flow.tr("ui.help.catalog") in pilot.texts()
    pilot.tap("help_close")
    assert not pilot.flow.help_open
    pilot.tap("mute")
    assert pilot.flow.muted and pilot.terminal.speaker.muted
    assert pilot.has("back") and pilot.has("start_over")


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_an_abandoned_session_counts_down_then_leaves_nothing_behind(pilot):
    flow, rig = pilot.flow, pilot.rig
    pilot.tap("start")
    pilot.tap("service:resident-pension-enrolment")
    pilot.tap("next")
    rig.place_card()
    pilot.at(Step.MATERIALS)
    rig.lift_card()
    rig.place_material(flow.service.materials_to_photograph[0])
    pilot.until(lambda: len(flow.application.pages) == 1, "page captured by itself")
    assert flow.store.names()  # the session has encrypted working files
    clock = Clock(flow.last_touch)
    flow.clock = clock
    clock.now += 65
    pilot.pump(1.2)
    assert flow.countdown is not None and pilot.has("stay")
    pilot.tap("stay")  # still here: the countdown is cancelled
    assert flow.countdown is None and flow.step == Step.MATERIALS
    clock.now = flow.last_touch + 81
    pilot.until(lambda: flow.step == Step.ATTRACT, "session end", timeout=5)
    assert flow.application is None and flow.store is None and flow.service is None and flow.strokes == []
    kept = everything_on_disk(rig.workdir / "kiosk-data")
    for secret in (rig.resident.name, rig.resident.id_number):
        for encoding in ("utf-8", "utf-16-le", "gb18030"):
            assert secret.encode(encoding) not in kept
    assert not list((rig.workdir / "kiosk-data" / "session").iterdir())
    assert pilot.flow.tr("ui.attract.start") in pilot.texts()


def test_escape_close_requests_and_ctrl_c_keys_do_not_leave_the_app(pilot):
    from kivy.base import EventLoop

    window = EventLoop.window
    window.dispatch("on_keyboard", 27, 0, "", [])
    assert window.dispatch("on_request_close") is True  # Alt+F4 / window manager close
    window.dispatch("on_key_down", 99, 0, "c", ["ctrl"])
    pilot.pump(0.3)
    assert EventLoop.status == "started" or EventLoop.status == "idle"
    assert pilot.flow.step == Step.ATTRACT and pilot.screen.name == "attract"

"""Speech synthesis runs below the app's priority, so drawing the screen a touch asked for comes first."""

import os
import stat
import threading

from kiosk.flow import speech
from kiosk.flow.speech import Speaker


def test_speech_is_synthesised_at_a_lower_priority_than_the_app(tmp_path):
    engine = tmp_path / "espeak-ng"  # stands in for the engine: "says" its own niceness
    engine.write_text("#!/bin/sh\ncat >/dev/null\nsleep 0.3\nnice\n", encoding="utf-8")
    engine.chmod(engine.stat().st_mode | stat.S_IXUSR)
    said = threading.Event()
    heard: list[bytes] = []
    speaker = Speaker(play=False, sink=lambda _text, wav: (heard.append(wav), said.set()))
    speaker.engine, speaker.enabled = str(engine), True
    try:
        speaker.say("请把身份证放在读卡器上")
        assert said.wait(10)
    finally:
        speaker.close()
    assert int(heard[0]) == os.getpriority(os.PRIO_PROCESS, 0) + speech.NICENESS

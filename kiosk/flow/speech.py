"""Spoken guidance: offline text-to-speech with espeak-ng (Mandarin through its cmn-latn-pinyin voice,
which reads characters with correct tones; the plain cmn voice reads tone digits in English).

Speech never blocks the caller: texts go to one worker thread, a newer text replaces any that has
not started, and mute stops the current one. Without a sound card the audio is still synthesised
(and handed to `sink`, e.g. a WAV file in tests) but not played. No Kivy here.
"""

from __future__ import annotations

import contextlib
import glob
import logging
import os
import queue
import shutil
import subprocess
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)

VOICES = {"zh_CN": "cmn-latn-pinyin", "en": "en"}
SPEED_WPM = {"zh_CN": 150, "en": 150}  # slower than espeak's 175: many listeners are elderly
PLAYBACK_DEVICES = "/dev/snd/pcmC*D*p"
# synthesis yields the CPU to the app: on two cores it slowed drawing the screen a touch asked for,
# and the voice starting a few tens of milliseconds later goes unnoticed
NICENESS = 10


def sound_card_present() -> bool:
    return bool(glob.glob(PLAYBACK_DEVICES))


class Speaker:
    """Say texts one at a time on a worker thread. `sink(text, wav)` receives every synthesised WAV."""

    def __init__(
        self,
        enabled: bool = True,
        play: bool | None = None,
        sink: Callable[[str, bytes], None] | None = None,
    ) -> None:
        self.engine = shutil.which("espeak-ng")
        self.enabled = enabled and self.engine is not None
        self.play = sound_card_present() if play is None else play
        self.sink = sink
        self.muted = False
        self.spoken = 0
        self._pending: queue.Queue[tuple[str, str] | None] = queue.Queue()
        self._current: subprocess.Popen | None = None
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="speech", daemon=True)
        self._thread.start()
        if enabled and self.engine is None:
            log.warning("speech.unavailable", extra={"event": "speech.unavailable"})

    def say(self, text: str, language: str = "zh_CN") -> None:
        """Queue `text`, dropping anything queued that has not started yet."""
        if not (self.enabled and text) or self.muted:
            return
        self._drain()
        self._pending.put((text, language))

    def set_muted(self, muted: bool) -> None:
        self.muted = muted
        if muted:
            self.stop()

    def stop(self) -> None:
        """Drop what is queued and cut off what is being said."""
        self._drain()
        with self._lock:
            if self._current and self._current.poll() is None:
                self._current.terminate()

    def close(self) -> None:
        self.stop()
        self._pending.put(None)
        self._thread.join(timeout=5)

    def idle(self) -> bool:
        with self._lock:
            busy = self._current is not None and self._current.poll() is None
        return self._pending.empty() and not busy

    def _drain(self) -> None:
        try:
            while True:
                self._pending.get_nowait()
        except queue.Empty:
            return

    def _run(self) -> None:
        while (item := self._pending.get()) is not None:
            try:
                self._speak(*item)
            except OSError:
                log.exception("speech.failed", extra={"event": "speech.failed"})

    def _speak(self, text: str, language: str) -> None:
        command = [
            self.engine,
            "-v",
            VOICES.get(language, VOICES["zh_CN"]),
            "-s",
            str(SPEED_WPM.get(language, 150)),
        ]
        want_wav = self.sink is not None or not self.play
        with self._lock:
            self._current = subprocess.Popen(
                [*command, "--stdout"] if want_wav else command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE if want_wav else subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            process = self._current
        with contextlib.suppress(ProcessLookupError):  # it may have finished already
            os.setpriority(os.PRIO_PROCESS, process.pid, NICENESS)
        wav, _ = process.communicate(text.encode("utf-8"))
        if process.returncode != 0 or self.muted:
            return
        self.spoken += 1
        if self.sink is not None:
            self.sink(text, wav)
        if self.play and want_wav:
            self._play(wav)

    def _play(self, wav: bytes) -> None:
        player = shutil.which("aplay")
        if player is None:
            return
        with self._lock:
            self._current = subprocess.Popen(
                [player, "-q", "-"], stdin=subprocess.PIPE, stderr=subprocess.DEVNULL
            )
            process = self._current
        process.communicate(wav)

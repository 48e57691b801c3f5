"""Pinyin to Chinese characters for the on-screen keyboard: Debian's libgooglepinyin0 (the Android
PinyinIME engine, Apache-2.0) through ctypes, and a composer holding what has been typed so far.

No Kivy and no I/O beyond the library: its user dictionary lives in a private temporary folder that
is deleted on `close()`, so nothing a resident typed stays on disk.
"""

from __future__ import annotations

import ctypes
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from kiosk.errors import KioskError

LIBRARY = "libgooglepinyin.so.0"
DICTIONARY_GLOB = "/usr/lib/*/googlepinyin/data/dict_pinyin.dat"
MAX_LETTERS = 40  # the engine's own limit is 40 spelling letters
CANDIDATE_CHARS = 64


def _dictionary() -> Path:
    found = sorted(Path("/").glob(DICTIONARY_GLOB.lstrip("/")))
    if not found:
        raise KioskError("PINYIN_UNAVAILABLE", detail=DICTIONARY_GLOB)
    return found[0]


def _load() -> ctypes.CDLL:
    try:
        lib = ctypes.CDLL(LIBRARY)
    except OSError as e:
        raise KioskError("PINYIN_UNAVAILABLE", detail=str(e)) from None
    size = ctypes.c_size_t
    lib.im_open_decoder.argtypes, lib.im_open_decoder.restype = (
        [ctypes.c_char_p, ctypes.c_char_p],
        ctypes.c_bool,
    )
    lib.im_search.argtypes, lib.im_search.restype = [ctypes.c_char_p, size], size
    lib.im_get_candidate.argtypes, lib.im_get_candidate.restype = (
        [size, ctypes.c_void_p, size],
        ctypes.c_void_p,
    )
    lib.im_choose.argtypes, lib.im_choose.restype = [size], size
    lib.im_get_fixed_len.argtypes, lib.im_get_fixed_len.restype = [], size
    lib.im_get_spl_start_pos.argtypes = [ctypes.POINTER(ctypes.POINTER(ctypes.c_uint16))]
    lib.im_get_spl_start_pos.restype = size
    lib.im_reset_search.argtypes, lib.im_reset_search.restype = [], None
    lib.im_close_decoder.argtypes, lib.im_close_decoder.restype = [], None
    return lib


class PinyinEngine:
    """The decoder. The C library keeps one global decoder, so all calls are serialised here."""

    def __init__(self) -> None:
        self._lib = _load()
        self._lock = threading.Lock()
        self._home = Path(tempfile.mkdtemp(prefix="kiosk-pinyin-"))
        self._buffer = ctypes.create_string_buffer(2 * CANDIDATE_CHARS)
        self._open()

    def _open(self) -> None:
        user_dictionary = str(self._home / "user.dat").encode()
        if not self._lib.im_open_decoder(str(_dictionary()).encode(), user_dictionary):
            raise KioskError("PINYIN_UNAVAILABLE", detail="im_open_decoder failed")

    def forget(self) -> None:
        """Drop what the engine learnt from the last person's choices (a new, empty user dictionary)."""
        with self._lock:
            self._lib.im_close_decoder()
            for path in self._home.iterdir():
                path.unlink()
            self._open()

    def search(self, letters: str) -> int:
        """Start a new search; returns the number of candidates (0 for nothing typed)."""
        with self._lock:
            if not letters:
                self._lib.im_reset_search()
                return 0
            data = letters[:MAX_LETTERS].encode("ascii")
            return self._lib.im_search(data, len(data))

    def candidate(self, index: int) -> str:
        with self._lock:
            self._lib.im_get_candidate(index, self._buffer, CANDIDATE_CHARS)
            return self._buffer.raw.decode("utf-16-le").split("\0", 1)[0]

    def choose(self, index: int) -> tuple[int, bool]:
        """Fix candidate `index`; returns (candidates now, whether every syllable is fixed)."""
        with self._lock:
            count = self._lib.im_choose(index)
            starts = ctypes.POINTER(ctypes.c_uint16)()
            syllables = self._lib.im_get_spl_start_pos(ctypes.byref(starts))
            return count, self._lib.im_get_fixed_len() >= syllables

    def fixed_length(self) -> int:
        with self._lock:
            return self._lib.im_get_fixed_len()

    def close(self) -> None:
        with self._lock:
            self._lib.im_close_decoder()
            shutil.rmtree(self._home, ignore_errors=True)


@cache
def shared_engine() -> PinyinEngine:
    """The one engine of this process (the C library holds a single global decoder)."""
    return PinyinEngine()


@dataclass
class Composer:
    """What the keyboard shows: letters typed, the characters fixed so far, and the candidates.

    Typing a letter searches again; choosing a candidate fixes it, and once every syllable is fixed
    the whole phrase is committed (returned) and the composer is empty again.
    """

    engine: PinyinEngine
    letters: str = ""
    count: int = 0
    fixed: str = ""
    _cache: dict[int, str] = field(default_factory=dict)

    def type(self, letter: str) -> None:
        if letter.isascii() and letter.isalpha() and len(self.letters) < MAX_LETTERS:
            self._search(self.letters + letter.lower())

    def backspace(self) -> None:
        self._search(self.letters[:-1])

    def clear(self) -> None:
        self._search("")

    def candidates(self, start: int = 0, count: int = 10) -> list[str]:
        end = min(self.count, start + count)
        for index in range(start, end):
            if index not in self._cache:
                self._cache[index] = self.engine.candidate(index)
        return [self._cache[i] for i in range(start, end)]

    def choose(self, index: int) -> str:
        """Choose a candidate; returns the committed text ('' while syllables remain unfixed)."""
        if not 0 <= index < self.count:
            return ""
        chosen = self.candidates(index, 1)[0]
        self.count, complete = self.engine.choose(index)
        self._cache = {}
        if complete:
            whole = self.candidates(0, 1)[0] if self.count else self.fixed + chosen
            self.clear()
            return whole
        self.fixed = self.candidates(0, 1)[0][: self.engine.fixed_length()] if self.count else ""
        return ""

    def _search(self, letters: str) -> None:
        self.letters, self.fixed, self._cache = letters, "", {}
        self.count = self.engine.search(letters)

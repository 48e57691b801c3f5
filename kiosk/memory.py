"""How the app process manages its memory: glibc's malloc with few per-thread arenas and big
buffers given straight back to the system, and Python's garbage collections run only while nobody
is waiting. Process-wide settings only; it must not import Kivy or numpy."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc

M_MMAP_THRESHOLD = -3  # <malloc.h>
M_ARENA_MAX = -8
ARENAS = 2  # one per core of the terminal's CPU
MMAP_THRESHOLD = 1 << 20
QUIET_S = 0.5  # no touch for this long: someone reading, not in the middle of tapping
OVERDUE = 30  # middle collections since the last full one (Python runs it after 10)
YOUNG_OVERDUE = 20  # young thresholds' worth of new objects (Python collects after one)


def tune_malloc() -> bool:
    """Call once, early, before the device workers start; False where the C library is not glibc.

    Each thread that allocates gets its own arena (up to eight per core), and an arena keeps what
    was freed in it; and after the first large buffer is freed glibc raises its mmap threshold to
    32 MB, so a 13 MP frame's intermediate images (1-30 MB each) then come from the heap and stay
    there. A fixed 1 MB threshold returns every image buffer to the system when it is freed, and
    two arenas keep the camera and UI threads' leftovers in few places: the app's peak in a
    10-page transaction dropped by about 50 MB (bench/ui.py), with no change in capture time."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):
        return False
    return mallopt(M_ARENA_MAX, ARENAS) == 1 and mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1


def touched() -> None:
    """A finger came down on the screen: hold Python's garbage collections until a quiet moment
    (`collect_when_quiet`). A collection lands in whatever allocates next: after a touch, most
    often the screen being built for it (a full one walks every widget alive, 100-350 ms here; the
    young and middle ones a build sets off cost it 20-40 ms). Overdue ones run now, while the
    finger is still down and nothing waits on the app: someone who taps on and on (a phone number,
    pinyin) must not pile up old screens' garbage, which holds their text textures (cycles through
    Kivy's bindings)."""
    counts = gc.get_count()
    if counts[2] >= OVERDUE:
        gc.collect()
    elif counts[0] >= YOUNG_OVERDUE * gc.get_threshold()[0]:
        gc.collect(1)
    gc.disable()


def collect_when_quiet(quiet_s: float) -> None:
    """After QUIET_S without a touch (`quiet_s`: seconds since the last one) Python collects as
    usual again."""
    if quiet_s >= QUIET_S:
        gc.enable()

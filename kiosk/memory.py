"""How the app process manages its memory: glibc's malloc with few per-thread arenas and big
buffers given straight back to the system, and Python's full garbage collections run only while
nobody is waiting. Process-wide settings only; it must not import Kivy or numpy."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc

M_MMAP_THRESHOLD = -3  # <malloc.h>
M_ARENA_MAX = -8
ARENAS = 2  # one per core of the terminal's CPU
MMAP_THRESHOLD = 1 << 20
NEVER = 2**31 - 1
QUIET_S = 0.5  # no touch for this long: someone reading, not in the middle of tapping
FULL_AFTER = 10  # middle collections between two full ones (Python's own threshold)
OVERDUE = 3 * FULL_AFTER  # then it runs even while someone taps on: old screens' garbage holds
# their text textures (cycles through Kivy's bindings), so it must not pile up


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


def hold_full_collections(quiet_s: float) -> None:
    """Hold Python's full garbage collections while someone is tapping (`quiet_s`: seconds since
    the last touch on the screen), unless they are three times overdue; after QUIET_S Python runs
    them as usual again. A full collection walks every widget alive (100-350 ms here) and lands
    in whatever allocates next: after a touch, most often the screen being built for it."""
    young, middle, _ = gc.get_threshold()
    tapping = quiet_s < QUIET_S
    gc.set_threshold(young, middle, NEVER if tapping else FULL_AFTER)
    if tapping and gc.get_count()[2] >= OVERDUE:
        gc.collect()

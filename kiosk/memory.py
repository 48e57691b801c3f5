"""How the app process asks glibc's malloc to behave: few per-thread arenas and big buffers
given straight back to the system. Process-wide settings only; it must not import Kivy or numpy."""

from __future__ import annotations

import ctypes
import ctypes.util

M_MMAP_THRESHOLD = -3  # <malloc.h>
M_ARENA_MAX = -8
ARENAS = 2  # one per core of the terminal's CPU
MMAP_THRESHOLD = 1 << 20


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

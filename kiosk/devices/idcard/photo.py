"""The card photo: a 1024-byte WLT blob that only the reader vendor's library decodes (no open
decoder exists). Loaded with ctypes when configured; without it the photo is "unavailable", never faked.
"""

from __future__ import annotations

import ctypes
import logging
from pathlib import Path

from kiosk.errors import IdCardError

log = logging.getLogger(__name__)

BMP_BYTES = 38862  # 102 x 126 pixels, 24-bit, rows padded to 308 bytes, 54-byte header


class WltDecoder:
    """The vendor library, with the entry point its common Linux builds export:
    `int wltGetBMP(char *wlt, char *bmp)`, filling a 38862-byte BMP and returning 1 on success.
    """

    def __init__(self, library_path: str | Path) -> None:
        try:
            self.library = ctypes.CDLL(str(library_path))
            self.entry = self.library.wltGetBMP
        except (OSError, AttributeError) as e:
            raise IdCardError("IDCARD_PHOTO_DECODER", detail=str(e), file=str(library_path)) from None
        self.entry.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
        self.entry.restype = ctypes.c_int

    def decode(self, wlt: bytes) -> bytes | None:
        """The photo as a BMP file, or None when the library refuses this blob."""
        out = ctypes.create_string_buffer(BMP_BYTES)
        if self.entry(ctypes.create_string_buffer(wlt, len(wlt)), out) != 1 or out.raw[:2] != b"BM":
            log.warning("idcard.photo_not_decoded", extra={"event": "idcard.photo_not_decoded"})
            return None
        return out.raw

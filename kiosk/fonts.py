"""CJK fonts from Debian packages: the Simplified Chinese face for the screen, a TrueType face for
PDFs and printer rasters.

Debian's Noto CJK is one collection whose first face is Japanese; Kivy would draw Japanese glyph
forms from it, so the SC face is extracted once with fontTools and cached. Its CFF outlines cannot be
embedded by reportlab, hence WenQuanYi Micro Hei (TrueType) for PDFs and rasters.
"""

from __future__ import annotations

import os
import struct
import tempfile
from functools import cache
from pathlib import Path

from kiosk.errors import KioskError

NOTO_CJK = [
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Medium.ttc"),
]
NOTO_CJK_BOLD = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc")
WQY_MICROHEI = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
SC_FAMILY = "Noto Sans CJK SC"


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kiosk" / "fonts"


def _extract_sc_face(collection: Path, target: Path) -> Path:
    from fontTools.ttLib import TTCollection

    with TTCollection(str(collection)) as faces:
        for face in faces.fonts:
            if face["name"].getDebugName(1) == SC_FAMILY:
                target.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
                os.close(fd)
                face.save(tmp)
                os.replace(tmp, target)
                return target
    raise KioskError("FILE_MISSING", file=f"{collection} ({SC_FAMILY})")


def _sc_face(collection: Path) -> Path:
    target = cache_dir() / (collection.stem.replace("CJK", "CJKsc") + ".otf")
    if target.exists():
        return target
    return _extract_sc_face(collection, target)


@cache
def ui_font() -> str:
    """Regular weight of Noto Sans CJK SC as a single-face font file for Kivy."""
    collection = next((p for p in NOTO_CJK if p.exists()), None)
    if collection is None:
        raise KioskError("FILE_MISSING", file=str(NOTO_CJK[0]))
    return str(_sc_face(collection))


@cache
def ui_font_bold() -> str:
    return str(_sc_face(NOTO_CJK_BOLD)) if NOTO_CJK_BOLD.exists() else ui_font()


def truetype_cjk() -> str:
    """TrueType CJK font for reportlab and Pillow rasters."""
    if not WQY_MICROHEI.exists():
        raise KioskError("FILE_MISSING", file=str(WQY_MICROHEI))
    return str(WQY_MICROHEI)


@cache
def coverage(path: str) -> frozenset[int]:
    """The code points a font file has glyphs for (its first face): the ranges of its Unicode
    character map, read from the table's bytes. fontTools' `getBestCmap` gives the same set but
    names every glyph on the way, and left 14 MB behind in the app for WenQuanYi (this: 3 MB)."""
    from fontTools.ttLib import TTFont

    with TTFont(path, fontNumber=0, lazy=True) as font:  # closed: a stray open file upsets PDF/A checks
        table = font.reader["cmap"]
    return frozenset(point for start, end in _cmap_ranges(table) for point in range(start, end + 1))


def _cmap_ranges(table: bytes) -> list[tuple[int, int]]:
    """First and last code point of each range in a 'cmap' table's Unicode subtable (format 12,
    all planes, preferred over format 4, the basic plane), as fontTools' `getBestCmap` picks it."""
    count = struct.unpack_from(">H", table, 2)[0]
    subtables = {}
    for record in range(count):
        platform, encoding, offset = struct.unpack_from(">HHL", table, 4 + 8 * record)
        kind = struct.unpack_from(">H", table, offset)[0]
        if (platform, encoding) in ((3, 10), (0, 4), (0, 6)) and kind == 12:
            subtables.setdefault(12, offset)
        elif (platform, encoding) in ((3, 1), (0, 3)) and kind == 4:
            subtables.setdefault(4, offset)
    if 12 in subtables:
        offset = subtables[12]
        groups = struct.unpack_from(">L", table, offset + 12)[0]
        return [struct.unpack_from(">LL", table, offset + 16 + 12 * g) for g in range(groups)]
    if 4 not in subtables:
        return []
    offset = subtables[4]
    segments = struct.unpack_from(">H", table, offset + 6)[0] // 2
    ends = struct.unpack_from(f">{segments}H", table, offset + 14)
    starts = struct.unpack_from(f">{segments}H", table, offset + 16 + 2 * segments)
    return [(start, end) for start, end in zip(starts, ends, strict=True) if start != 0xFFFF]


def raster_font_for(char: str) -> str:
    """WenQuanYi for most text; Noto Sans CJK SC (which Pillow, unlike reportlab, can draw) for the
    rare characters WenQuanYi lacks (CJK Extension A and B, common in names)."""
    primary = truetype_cjk()
    return primary if ord(char) in coverage(primary) else ui_font()

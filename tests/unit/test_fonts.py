"""Font coverage read from the character map's bytes: the same code points fontTools names."""

from __future__ import annotations

import pytest
from fontTools.ttLib import TTFont

from kiosk import fonts


@pytest.mark.parametrize("path", [fonts.truetype_cjk, fonts.ui_font], ids=["wenquanyi", "noto-sc"])
def test_coverage_is_every_code_point_of_the_best_unicode_cmap(path) -> None:
    with TTFont(path(), fontNumber=0, lazy=True) as font:
        expected = frozenset(font.getBestCmap())
    assert fonts.coverage(path()) == expected
    assert ord("中") in expected and 0x3400 not in fonts.coverage(fonts.truetype_cjk())

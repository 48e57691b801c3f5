"""Line breaking for Chinese text (Kivy breaks only at spaces, else anywhere).

Kivy would start a line with "）" or "：" and leave one character alone on the last line. This
module breaks lines itself, by the rules a Chinese typesetter follows (GB/T 15834 punctuation): no
line starts with closing punctuation, no line ends with opening punctuation, Latin words and
numbers stay whole, and the last line never holds a single character when the line above can give
it one. Pure: it measures text only through the function it is given."""

from __future__ import annotations

import re
from collections.abc import Callable

NO_LINE_START = frozenset("，。、；：？！）】》」』〉”’…—～·%‰,.;:?!)]}")
NO_LINE_END = frozenset("（【《「『〈“‘([{")
_PUNCTUATION = NO_LINE_START | NO_LINE_END
_UNIT = re.compile(r"[A-Za-z0-9@#&*+\-/=_.:']+ *| +|.", re.DOTALL)


def _units(paragraph: str) -> list[str]:
    """The pieces a line may not split: a Latin word or number, or one character, with the
    punctuation that must stay with it."""
    units: list[str] = []
    for piece in _UNIT.findall(paragraph):
        if units and (piece[0] in NO_LINE_START or units[-1][-1] in NO_LINE_END):
            units[-1] += piece
        else:
            units.append(piece)
    return units


def _fill(units: list[str], width: float, measure: Callable[[str], float]) -> list[list[str]]:
    """Each line as many pieces as fit (at least one: a piece wider than a line stands alone), found
    by bisection: a few measurements per line instead of one per piece (each measures the whole
    line, so a paragraph cost as many font layouts as it has characters)."""
    lines: list[list[str]] = []
    start = 0
    while True:
        while start < len(units) and not units[start].strip():  # no line starts with a space
            start += 1
        if start == len(units):
            return lines or [[]]
        fit, over = start + 1, len(units) + 1
        while over - fit > 1:
            middle = (fit + over) // 2
            if measure("".join(units[start:middle]).rstrip()) <= width:
                fit = middle
            else:
                over = middle
        lines.append(units[start:fit])
        start = fit


def _no_widow(lines: list[list[str]], width: float, measure: Callable[[str], float]) -> None:
    """Move one piece down when the last line would hold a single character (and its punctuation)."""
    last = "".join(lines[-1]).strip()
    if len(lines) < 2 or len(lines[-2]) < 3 or len(last.strip("".join(_PUNCTUATION))) != 1:
        return
    moved = [lines[-2].pop(), *lines[-1]]
    if measure("".join(moved).rstrip()) <= width:
        lines[-1] = moved
    else:
        lines[-2].append(moved[0])


def break_lines(text: str, width: float, measure: Callable[[str], float]) -> str:
    """`text` with newlines inserted so no line is wider than `width` (a piece wider than a whole
    line stands alone on its line: the caller's fit check reports it)."""
    if width <= 0:
        return text
    result: list[str] = []
    for paragraph in text.split("\n"):
        # most labels fit on one line: one measurement instead of one per piece
        if measure(paragraph.strip()) <= width:
            result.append(paragraph.strip())
            continue
        lines = _fill(_units(paragraph), width, measure)
        _no_widow(lines, width, measure)
        result.extend("".join(line).rstrip() for line in lines)
    return "\n".join(result)

"""Chinese line breaking for the touchscreen's labels (kiosk.screens.linebreak is pure: no Kivy)."""

import itertools

from hypothesis import given
from hypothesis import strategies as st

from kiosk.screens.linebreak import NO_LINE_END, NO_LINE_START, _units, break_lines

WIDTH_OF = len  # one unit per character: a monospaced stand-in for the font's measure

texts = st.text(
    alphabet=st.sampled_from(
        list("老年人优待证办理户口簿社保卡ABC 123") + sorted(NO_LINE_START | NO_LINE_END)
    ),
    max_size=60,
)


def test_brackets_stay_with_their_words():
    assert break_lines("本人社会保障卡或银行卡（存折）", 13, WIDTH_OF) == "本人社会保障卡或银行卡\n（存折）"


def test_a_single_character_is_not_left_alone_on_the_last_line():
    assert break_lines("一次性告知：请备齐以下材料", 12, WIDTH_OF) == "一次性告知：请备齐以下\n材料"
    assert break_lines("农村商业银行（信用社）", 10, WIDTH_OF) == "农村商业银行（信\n用社）"


def test_latin_words_and_numbers_stay_whole():
    assert break_lines("Page 12345 sharp", 11, WIDTH_OF) == "Page 12345\nsharp"


def test_text_that_fits_is_unchanged():
    assert break_lines("拍摄材料", 20, WIDTH_OF) == "拍摄材料"


@given(texts, st.integers(min_value=1, max_value=30))
def test_breaking_only_adds_line_breaks(text, width):
    broken = break_lines(text, width, WIDTH_OF)
    assert broken.replace("\n", "").replace(" ", "") == text.replace(" ", "")


@given(texts, st.integers(min_value=4, max_value=30))
def test_lines_fit_and_follow_the_rules(text, width):
    lines = break_lines(text, width, WIDTH_OF).split("\n")
    for before, line in itertools.pairwise(lines):
        if line:
            assert line[0] not in NO_LINE_START or not before, (before, line)
        if before:
            assert before[-1] not in NO_LINE_END or not line, (before, line)
    for line in lines:
        # a line is only too wide when it is one unbreakable piece (a long word or a punctuation run)
        assert len(line) <= width or " " not in line.strip()


@given(texts, st.integers(min_value=4, max_value=30))
def test_each_line_is_as_full_as_it_can_be(text, width):
    lines = break_lines(text, width, WIDTH_OF).split("\n")
    # the line above the last may have given the last one a piece (no single character alone)
    for before, line in list(itertools.pairwise(lines))[:-1]:
        first = _units(line)[0]
        assert WIDTH_OF((before + first).rstrip()) > width, (before, line)

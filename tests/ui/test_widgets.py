"""Texts are drawn only as large as they are, where their alignment puts them, and never broken
inside a word (a word too wide for its label is reported by the fit check instead)."""

import pytest


def laid_out(text, width: float):
    from kivy.uix.boxlayout import BoxLayout

    box = BoxLayout(size=(width, 400), pos=(100, 50))
    box.add_widget(text)
    box.do_layout()
    text.texture_update()
    return box


@pytest.mark.parametrize(("halign", "share_of_spare"), [("left", 0.0), ("center", 0.5), ("right", 1.0)])
def test_a_short_text_is_drawn_only_as_wide_as_itself_where_its_alignment_says(
    window, halign, share_of_spare
):
    from kiosk.screens.widgets import Text

    text = Text("收费", 30, halign=halign)
    laid_out(text, 1200)
    drawn_width = text.texture_size[0]
    assert 40 < drawn_width < 100  # two characters, not the label's 1200 px
    assert text._face.pos[0] == pytest.approx(text.x + (text.width - drawn_width) * share_of_spare, abs=1)


def test_a_word_too_wide_for_its_label_stays_whole_and_the_fit_check_reports_it(window):
    from kiosk.screens.fit import problems
    from kiosk.screens.widgets import Text

    text = Text("Documents", 40)
    box = laid_out(text, 60)
    assert "\n" not in text.text
    assert any("Documents" in problem for problem in problems(box))


def test_a_long_text_wraps_at_its_label_width(window):
    from kiosk.screens.fit import problems
    from kiosk.screens.widgets import Text

    text = Text("须为老年人本人账户；用存折的拍摄户名和账号页" * 3, 30)
    box = laid_out(text, 500)
    assert text.text.count("\n") >= 3
    assert text.texture_size[0] <= 500
    assert problems(box) == []


def test_font_sizes_are_whole_pixels_so_sizes_drawn_alike_share_one_font_face(window):
    from kivy.core.text import Label as CoreLabel

    from kiosk.screens.widgets import Text

    def drawn(size: float) -> tuple:
        label = CoreLabel(font_size=size, text="请选择要办理的事项")
        label.refresh()
        return tuple(label.texture.size), bytes(label.texture.pixels)

    assert drawn(41.6) == drawn(41.0)  # SDL_ttf draws whole pixels: one face does for both
    text = Text("请选择要办理的事项", 41.6)
    assert text.font_size == 41.0
    text.font_size = 39.9
    assert text.font_size == 39.0

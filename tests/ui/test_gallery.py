"""Nothing is cut off: every screen, in both languages and in normal and elderly mode, has every
label's text inside its widget and every widget inside its parent (the smaller panel size here;
`make screens` checks both sizes while it saves docs/screens)."""


def test_every_screen_fits_in_both_languages_and_both_modes_on_the_smaller_panel(window, tmp_path):
    from kiosk.screens.gallery import SIZES, Gallery  # Kivy only after the window fixture set it up

    gallery = Gallery(None, sizes=(SIZES[1],))
    problems = gallery.run(tmp_path / "world")
    assert problems == [], "\n".join(problems[:20])
    assert window.size == (1920, 1080)  # the window is given back as it was

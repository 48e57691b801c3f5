"""The pinyin engine (Debian's libgooglepinyin0 through ctypes) and the keyboard's composer."""

from kiosk.pinyin import Composer, shared_engine


def typed(letters: str) -> Composer:
    composer = Composer(shared_engine())
    for letter in letters:
        composer.type(letter)
    return composer


def test_full_pinyin_and_initials_give_the_expected_words_first():
    assert typed("zhangsan").candidates(0, 1) == ["张三"]
    assert typed("sfz").candidates(0, 1) == ["身份证"]
    assert "养老金" in typed("yanglaojin").candidates(0, 3)


def test_choosing_syllable_by_syllable_commits_the_phrase_once_all_are_fixed():
    composer = typed("huishuixian")
    assert composer.choose(composer.candidates(0, 30).index("惠")) == ""  # one syllable fixed
    assert composer.fixed == "惠" and composer.letters == "huishuixian"
    committed = composer.choose(0)  # the best phrase for the rest fixes everything
    assert committed.startswith("惠") and len(committed) == 3
    assert composer.letters == "" and composer.count == 0


def test_backspace_and_clear_edit_the_letters_and_non_letters_are_ignored():
    composer = typed("shil1!")
    assert composer.letters == "shil"
    composer.backspace()
    assert composer.letters == "shi" and composer.count > 0
    composer.clear()
    assert composer.letters == "" and composer.count == 0 and composer.candidates() == []


def test_forgetting_starts_a_fresh_user_dictionary():
    engine = shared_engine()
    composer = typed("shili")
    composer.choose(0)
    engine.forget()
    assert typed("shili").count > 0

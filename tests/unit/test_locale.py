from kiosk.i18n import LANGUAGES, messages, tr


def test_every_language_has_every_key():
    keys = {language: set(messages(language)) for language in LANGUAGES}
    reference = keys["zh_CN"]
    for language, present in keys.items():
        assert present == reference, (language, sorted(present ^ reference)[:10])


def test_parameters_are_filled_and_unknown_keys_fall_back_to_the_key():
    assert tr("ui.days", "en", n=5) == "5 working days"
    assert tr("ui.no.such.key") == "ui.no.such.key"

import random

import pytest

from kiosk import idnumber
from kiosk.sim import people


@pytest.mark.parametrize(
    "number",
    ["11010519491231002X", "440524188001010014", "34052419800101001X", "370101190102039973"],
)
def test_the_standards_worked_examples_pass_mod_11_2(number):
    assert idnumber.mod11_2_ok(number)


def test_a_merged_countys_old_region_code_is_still_a_valid_resident_number():
    # 440524 no longer exists, yet cards issued under it remain valid
    assert idnumber.resident_number_ok("440524188001010014", birth_date="18800101", sex="男")


@pytest.mark.parametrize("number", ["11010519491231002Y", "11010519491331002X", "1101051949123100"])
def test_wrong_check_digit_or_impossible_date_fails(number):
    assert not idnumber.resident_number_ok(number)


def test_number_must_agree_with_birth_date_and_sex_on_the_card():
    card = people.resident(sex_code="2", birth="19600101")
    assert idnumber.resident_number_ok(card.id_number, "19600101", "女")
    assert not idnumber.resident_number_ok(card.id_number, "19600102", "女")
    assert not idnumber.resident_number_ok(card.id_number, "19600101", "男")


def test_2017_foreigner_number_uses_the_7_3_1_rule():
    number = people.foreign_2017().id_number
    assert idnumber.foreigner_2017_number_ok(number)
    wrong = number[:-1] + str((int(number[-1]) + 1) % 10)
    assert not idnumber.foreigner_2017_number_ok(wrong)


@pytest.mark.parametrize(
    ("name", "masked"), [("王建国", "王*国"), ("王芳", "王*"), ("欧阳秀英", "欧**英"), ("李", "李")]
)
def test_names_are_masked_in_the_middle(name, masked):
    assert idnumber.mask_name(name) == masked
    assert idnumber.mask_name(masked) == masked  # masking is idempotent, so kept receipts re-render the same


def test_2017_foreigner_number_encodes_the_birth_date_as_yymmdd():
    card = people.foreign_2017()
    assert idnumber.foreigner_2017_number_ok(card.id_number, card.birth)
    assert not idnumber.foreigner_2017_number_ok(card.id_number, "19790502")


def test_2023_foreigner_number_starts_with_9_and_checks_like_a_resident_number():
    card = people.foreign_2023()
    assert idnumber.card_number_ok("foreign_2023", card.id_number, card.birth, "女")
    assert not idnumber.card_number_ok("foreign_2023", card.id_number, card.birth, "男")
    resident_like = people.resident(sex_code="2", birth=card.birth).id_number
    assert not idnumber.card_number_ok("foreign_2023", resident_like, card.birth, "女")


@pytest.mark.parametrize("seed", range(20))
def test_every_synthetic_holder_has_a_number_valid_for_their_card_type(seed):
    card = people.random_card(random.Random(seed))
    sex = {"1": "男", "2": "女"}[card.sex_code]
    assert idnumber.card_number_ok(card.card_type, card.id_number, card.birth, sex)


@pytest.mark.parametrize("number", ["１１０１０５１９４９１２３１００２Ｘ", "11010519491231002x"])
def test_full_width_digits_and_a_lower_case_x_are_not_a_card_number(number):
    assert not idnumber.mod11_2_ok(number)

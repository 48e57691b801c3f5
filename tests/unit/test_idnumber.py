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

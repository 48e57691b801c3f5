"""The card parser against text blocks and read answers laid out by hand from the protocol tables,
plus Hypothesis blocks: it returns a checked card or its own typed error, nothing else."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from idcard_frames import (
    FOREIGN_2017_NUMBER,
    FOREIGN_2023_NUMBER,
    HK_NUMBER,
    RESIDENT_NUMBER,
    foreign_2017_block,
    foreign_2023_block,
    gb11643,
    hand_built_read_answer,
    hk_mo_tw_block,
    photo,
    resident_block,
    ucs2,
)

from kiosk.devices.idcard.codec import decode_frame
from kiosk.devices.idcard.parser import parse_appended_address, parse_read_data, parse_text
from kiosk.errors import IdCardError

BLOCKS = {
    "resident": resident_block,
    "hk_mo_tw": hk_mo_tw_block,
    "foreign_2017": foreign_2017_block,
    "foreign_2023": foreign_2023_block,
}


def code_of(text: bytes) -> str:
    with pytest.raises(IdCardError) as caught:
        parse_text(text)
    return caught.value.code


def test_a_resident_block_laid_out_by_hand_decodes_every_field():
    card = parse_text(resident_block())
    assert (card.card_type, card.name, card.sex, card.nation) == ("resident", "林示例", "女", "汉")
    assert (card.birth_date, card.id_number) == ("1949-12-31", RESIDENT_NUMBER)
    assert card.address == "北京市朝阳区示例街道示例社区1号"
    assert (card.issuer, card.valid_from, card.valid_to) == ("北京市公安局朝阳分局", "2010-01-01", "长期")
    assert (card.name_en, card.extra) == ("", {})
    assert card.raw_text == resident_block()


def test_a_hong_kong_macau_taiwan_permit_has_its_pass_number_and_issue_count():
    card = parse_text(hk_mo_tw_block())
    assert (card.card_type, card.name, card.sex, card.nation) == ("hk_mo_tw", "陈示例", "女", "")
    assert (card.id_number, card.birth_date, card.valid_to) == (HK_NUMBER, "1988-07-12", "2025-01-01")
    assert card.issuer == "深圳市公安局福田分局"
    assert card.extra == {"pass_number": "H12345678", "issue_count": "03"}


def test_a_2017_foreigner_card_has_both_names_and_its_birth_date_at_byte_220():
    card = parse_text(foreign_2017_block())
    assert (card.card_type, card.name, card.name_en, card.sex) == (
        "foreign_2017",
        "约翰",
        "SAMPLE JOHN",
        "男",
    )
    assert (card.id_number, card.birth_date) == (FOREIGN_2017_NUMBER, "1979-05-01")
    assert (card.valid_from, card.valid_to, card.address, card.issuer) == ("2019-03-01", "2029-03-01", "", "")
    assert card.extra == {"nationality": "CAN", "card_version": "01", "authority_code": "1100"}


def test_a_2023_foreigner_card_joins_a_long_english_name_from_its_two_fields():
    long_name = "PLACEHOLDER-EXAMPLE LUCIA MARIA CHRISTINA THEO"  # 46 characters: 35 + 11
    card = parse_text(foreign_2023_block(name_en=long_name))
    assert (card.card_type, card.name, card.name_en) == ("foreign_2023", "玛丽", long_name)
    assert (card.id_number, card.birth_date, card.sex) == (FOREIGN_2023_NUMBER, "1985-09-23", "女")
    assert card.extra == {"nationality": "GBR", "renewal_count": "01", "previous_number_link": "012"}


def test_a_space_at_the_end_of_the_first_english_name_part_is_kept():
    name = "A" * 34 + " " + "BEE"  # the word break falls on character 35
    assert parse_text(foreign_2023_block(name_en=name)).name_en == name


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("01", "汉"),
        ("05", "维吾尔"),
        ("56", "基诺"),
        ("97", "其他"),
        ("98", "外国血统中国籍人士"),
        ("99", "99"),
    ],
)
def test_nation_codes_become_names_and_unknown_codes_stay_as_they_are(code, name):
    assert parse_text(resident_block(nation=code)).nation == name


@pytest.mark.parametrize("kind", sorted(BLOCKS))
def test_a_number_that_disagrees_with_the_birth_date_on_the_card_is_a_read_error(kind):
    assert code_of(BLOCKS[kind](birth="19500101")) == "IDCARD_BAD_NUMBER"


@pytest.mark.parametrize(
    ("kind", "number"),
    [
        ("resident", "110105194912310021"),
        ("hk_mo_tw", HK_NUMBER[:-1] + "0"),
        ("foreign_2017", FOREIGN_2017_NUMBER[:-1] + str((int(FOREIGN_2017_NUMBER[-1]) + 1) % 10)),
        ("foreign_2023", gb11643("83182619850923002")),  # a valid check digit, but not starting with 9
    ],
)
def test_a_number_that_fails_its_card_types_rule_is_a_read_error(kind, number):
    assert code_of(BLOCKS[kind](number=number)) == "IDCARD_BAD_NUMBER"


def test_a_number_whose_sequence_parity_disagrees_with_the_sex_is_a_read_error():
    assert code_of(resident_block(sex="1")) == "IDCARD_BAD_NUMBER"
    assert code_of(foreign_2023_block(sex="1")) == "IDCARD_BAD_NUMBER"


def test_a_merged_countys_region_code_still_reads():
    number = "440524188001010014"  # the standard's example; 440524 no longer exists, the card stays valid
    card = parse_text(resident_block(number=number, birth="18800101", sex="1"))
    assert card.id_number == number


@pytest.mark.parametrize(
    "change",
    [
        {"sex": "9"},
        {"sex": "0"},
        {"birth": "19491331"},
        {"valid_from": "2010-1-1"},
        {"valid_to": "永久"},
        {"name": "林\x07示例"},
        {"name": ""},
    ],
)
def test_fields_a_card_cannot_hold_are_bad_data(change):
    assert code_of(resident_block(**change)) == "IDCARD_BAD_DATA"


def test_a_lone_surrogate_in_a_field_is_bad_data():
    text = bytearray(resident_block())
    text[0:2] = b"\x00\xd8"
    assert code_of(bytes(text)) == "IDCARD_BAD_DATA"


def test_a_private_use_name_character_is_kept():
    name = "林\ue000"  # rare name characters (生僻字) travel in the private use area
    assert parse_text(resident_block(name=name)).name == name


def test_nul_padding_is_trimmed_like_spaces():
    text = bytearray(resident_block())
    text[6:30] = bytes(24)
    assert parse_text(bytes(text)).name == "林示例"


@pytest.mark.parametrize("size", [0, 255, 257])
def test_a_text_block_of_the_wrong_size_is_a_bad_frame(size):
    assert code_of(resident_block()[:size] + bytes(max(0, size - 256))) == "IDCARD_BAD_FRAME"


def test_a_1295_byte_read_answer_built_by_hand_reads_as_its_card():
    body = decode_frame(hand_built_read_answer(resident_block()))
    card = parse_read_data(body[3:], with_fingerprints=False)
    assert (card.name, card.id_number) == ("林示例", RESIDENT_NUMBER)
    assert card.raw_photo == photo() and card.raw_fingerprints == b""
    assert card.photo == "unavailable"


@pytest.mark.parametrize("fingerprint_bytes", [0, 512, 1024])
def test_read_answers_with_fingerprints_keep_every_block(fingerprint_bytes):
    body = decode_frame(hand_built_read_answer(hk_mo_tw_block(), fingerprint_bytes=fingerprint_bytes))
    card = parse_read_data(body[3:], with_fingerprints=True)
    assert card.card_type == "hk_mo_tw"
    assert (len(card.raw_text), len(card.raw_photo), len(card.raw_fingerprints)) == (
        256,
        1024,
        fingerprint_bytes,
    )


@pytest.mark.parametrize(
    ("lengths", "payload_bytes"),
    [
        ((256, 1000), 1280),  # do not add up
        ((200, 1080), 1280),  # add up, but the text block is 256 bytes
        ((256, 1024, 100), 1380),  # a fingerprint block is 0, 512 or 1024 bytes
    ],
)
def test_block_lengths_other_than_the_protocols_are_a_bad_frame(lengths, payload_bytes):
    payload = (resident_block() + photo() + bytes(payload_bytes))[:payload_bytes]
    data = b"".join(n.to_bytes(2, "big") for n in lengths) + payload
    with pytest.raises(IdCardError) as caught:
        parse_read_data(data, with_fingerprints=len(lengths) == 3)
    assert caught.value.code == "IDCARD_BAD_FRAME"


def test_the_appended_address_is_70_bytes_of_ucs2():
    assert parse_appended_address(ucs2("北京市朝阳区新址路2号", 70)) == "北京市朝阳区新址路2号"


def test_a_cards_repr_shows_neither_its_name_nor_its_whole_number():
    shown = repr(parse_text(resident_block()))
    assert "林示例" not in shown and RESIDENT_NUMBER not in shown and "002X" in shown


# --- property-based ---


@settings(max_examples=400, deadline=None)
@given(st.binary(min_size=256, max_size=256))
def test_random_text_blocks_raise_only_the_parsers_typed_errors(text):
    try:
        card = parse_text(text)
    except IdCardError as e:
        assert e.code in ("IDCARD_BAD_DATA", "IDCARD_BAD_NUMBER")
        return
    assert card.sex in ("男", "女")


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(sorted(BLOCKS)), st.data())
def test_mutated_card_blocks_give_a_checked_card_or_a_typed_error(kind, data):
    text = bytearray(BLOCKS[kind]())
    for _ in range(data.draw(st.integers(1, 4))):
        text[data.draw(st.integers(0, 255))] = data.draw(st.integers(0, 255))
    try:
        card = parse_text(bytes(text))
    except IdCardError as e:
        assert e.code in ("IDCARD_BAD_DATA", "IDCARD_BAD_NUMBER")
        return
    assert card.sex in ("男", "女") and len(card.birth_date) == 10
    assert card.valid_to == "长期" or len(card.valid_to) == 10


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=1400), st.booleans())
def test_random_read_answers_raise_only_typed_errors(data, with_fingerprints):
    try:
        parse_read_data(data, with_fingerprints)
    except IdCardError as e:
        assert e.code.startswith("IDCARD_")

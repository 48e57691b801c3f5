"""Fictional card holders with valid card numbers, one per card type, for simulators and tests.

Never real card dumps: names are made up, numbers use a real region code with a made-up sequence.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace

from stdnum.iso7064 import mod_11_2

from kiosk.idnumber import check_731

GIVEN_NAMES = ["建国", "秀英", "桂兰", "志强", "淑珍", "德明", "玉梅", "国华", "春燕", "永福"]
SURNAMES = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴"]
REGIONS = ["110105", "522731"]  # 北京市朝阳区, 贵州省惠水县
SURNAMES_EN = ["SAMPLE", "EXAMPLE", "FICTION", "PLACEHOLDER"]
GIVEN_NAMES_EN = ["JOHN", "MARY ANNE", "ALEX", "LUCIA MARIA CHRISTINA THEODORA"]  # the last spills past 35
COUNTRIES = [("CAN", "124"), ("GBR", "826"), ("PAK", "586"), ("BRA", "076")]  # alpha-3, numeric


@dataclass
class SyntheticCard:
    """The fields a card carries, in the card's own encoding (dates YYYYMMDD, sex and nation codes)."""

    card_type: str  # resident | hk_mo_tw | foreign_2017 | foreign_2023
    name: str
    sex_code: str
    birth: str
    id_number: str
    valid_from: str
    valid_to: str
    address: str = ""
    nation_code: str = ""
    issuer: str = ""
    name_en: str = ""
    extra: dict[str, str] = field(default_factory=dict)
    fingerprints: int = 0  # templates on the card: 0, 1 or 2 (512 bytes each)
    appended_address: str = ""  # the newest 追加住址, if the card has one


def with_check_digit(body17: str) -> str:
    return body17 + mod_11_2.calc_check_digit(body17)


def resident(
    name: str = "王建国",
    sex_code: str = "1",
    birth: str = "19560301",
    region: str = "522731",
    sequence: int = 1,
    valid_to: str = "长期",
) -> SyntheticCard:
    parity_fixed = sequence * 2 + (1 if sex_code == "1" else 0)
    number = with_check_digit(f"{region}{birth}{parity_fixed % 1000:03d}")
    return SyntheticCard(
        card_type="resident",
        name=name,
        sex_code=sex_code,
        birth=birth,
        id_number=number,
        valid_from="20160815",
        valid_to=valid_to,
        address="贵州省惠水县示例镇示例村三组18号",
        nation_code="01",
        issuer="惠水县公安局",
    )


def hk_mo_tw() -> SyntheticCard:
    return SyntheticCard(
        card_type="hk_mo_tw",
        name="陈美玲",
        sex_code="2",
        birth="19880712",
        id_number=with_check_digit("81000019880712002"),
        valid_from="20200101",
        valid_to="20250101",
        address="广东省深圳市福田区示例路1号",
        issuer="深圳市公安局福田分局",
        extra={"pass_number": "H12345678", "issue_count": "01"},
    )


def foreign_2017() -> SyntheticCard:
    body = "CAN110079050112"[:14]
    return SyntheticCard(
        card_type="foreign_2017",
        name="约翰",
        name_en="SAMPLE JOHN",
        sex_code="1",
        birth="19790501",
        id_number=body + check_731(body),
        valid_from="20190301",
        valid_to="20290301",
        extra={"nationality": "CAN", "card_version": "01", "authority_code": "1100"},
    )


def foreign_2023() -> SyntheticCard:
    return SyntheticCard(
        card_type="foreign_2023",
        name="玛丽",
        name_en="EXAMPLE MARY ANNE",
        sex_code="2",
        birth="19850923",
        id_number=with_check_digit("93311019850923002"),
        valid_from="20240110",
        valid_to="20340110",
        extra={"nationality": "GBR", "renewal_count": "00", "previous_number_link": "012"},
    )


def random_birth(rng: random.Random) -> str:
    return f"{rng.randint(1930, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"


def sequence(rng: random.Random, sex_code: str) -> str:
    """A three-digit sequence whose parity gives the sex (odd: male), as in GB 11643."""
    return f"{rng.randint(0, 499) * 2 + (1 if sex_code == '1' else 0):03d}"


def random_resident(rng: random.Random) -> SyntheticCard:
    sex_code = rng.choice("12")
    return resident(
        name=rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES),
        sex_code=sex_code,
        birth=random_birth(rng),
        region=rng.choice(REGIONS),
        sequence=rng.randint(0, 499),
    )


def random_hk_mo_tw(rng: random.Random) -> SyntheticCard:
    sex_code, birth = rng.choice("12"), random_birth(rng)
    region, pass_letter = rng.choice([("810000", "H"), ("820000", "M"), ("830000", "")])
    return replace(
        hk_mo_tw(),
        name=rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES),
        sex_code=sex_code,
        birth=birth,
        id_number=with_check_digit(region + birth + sequence(rng, sex_code)),
        extra={
            "pass_number": f"{pass_letter}{rng.randint(0, 99999999):08d}",
            "issue_count": f"{rng.randint(0, 9):02d}",
        },
    )


def random_foreign_2017(rng: random.Random) -> SyntheticCard:
    sex_code, birth = rng.choice("12"), random_birth(rng)
    country = rng.choice(COUNTRIES)[0]
    body = f"{country}{rng.choice(('1100', '3100', '4401'))}{birth[2:]}{rng.randint(0, 9)}"
    return replace(
        foreign_2017(),
        name=rng.choice(["", "约翰", "玛丽", "安娜"]),
        name_en=f"{rng.choice(SURNAMES_EN)} {rng.choice(GIVEN_NAMES_EN)}",
        sex_code=sex_code,
        birth=birth,
        id_number=body + check_731(body),
        extra={"nationality": country, "card_version": "01", "authority_code": rng.choice(("1100", "3100"))},
    )


def random_foreign_2023(rng: random.Random) -> SyntheticCard:
    sex_code, birth = rng.choice("12"), random_birth(rng)
    country, numeric = rng.choice(COUNTRIES)
    province = rng.choice(("11", "31", "44"))
    return replace(
        foreign_2023(),
        name=rng.choice(["玛丽", "约翰", "安娜"]),
        name_en=f"{rng.choice(SURNAMES_EN)} {rng.choice(GIVEN_NAMES_EN)}",
        sex_code=sex_code,
        birth=birth,
        id_number=with_check_digit(f"9{province}{numeric}{birth}{sequence(rng, sex_code)}"),
        extra={
            "nationality": country,
            "renewal_count": f"{rng.randint(0, 3):02d}",
            "previous_number_link": rng.choice(["", "012", "103"]),
        },
    )


def random_card(rng: random.Random, card_type: str | None = None) -> SyntheticCard:
    """A fictional holder of `card_type` (or of a random type), with random fingerprint count."""
    make = RANDOM_TYPES[card_type or rng.choice(sorted(RANDOM_TYPES))]
    return replace(make(rng), fingerprints=rng.choice((0, 1, 2)))


ALL_TYPES = {
    "resident": resident,
    "hk_mo_tw": hk_mo_tw,
    "foreign_2017": foreign_2017,
    "foreign_2023": foreign_2023,
}
RANDOM_TYPES = {
    "resident": random_resident,
    "hk_mo_tw": random_hk_mo_tw,
    "foreign_2017": random_foreign_2017,
    "foreign_2023": random_foreign_2023,
}

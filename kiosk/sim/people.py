"""Fictional card holders with valid card numbers, one per card type, for simulators and tests.

Never real card dumps: names are made up, numbers use a real region code with a made-up sequence.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from stdnum.iso7064 import mod_11_2

from kiosk.idnumber import check_731

GIVEN_NAMES = ["建国", "秀英", "桂兰", "志强", "淑珍", "德明", "玉梅", "国华", "春燕", "永福"]
SURNAMES = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴"]
REGIONS = ["110105", "522731"]  # 北京市朝阳区, 贵州省惠水县


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


def random_resident(rng: random.Random) -> SyntheticCard:
    birth = f"{rng.randint(1930, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    sex_code = rng.choice("12")
    return resident(
        name=rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES),
        sex_code=sex_code,
        birth=birth,
        region=rng.choice(REGIONS),
        sequence=rng.randint(0, 499),
    )


ALL_TYPES = {
    "resident": resident,
    "hk_mo_tw": hk_mo_tw,
    "foreign_2017": foreign_2017,
    "foreign_2023": foreign_2023,
}

"""The card parser: the read answer's blocks, the 256-byte text block of all four card types, code
tables and the card number's check. Pure: bytes in, a checked CardData or a typed error out; no I/O.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date

from kiosk import idnumber
from kiosk.errors import IdCardError

TEXT_BYTES = 256
PHOTO_BYTES = 1024
FINGERPRINT_SIZES = (0, 512, 1024)  # none, one or two 512-byte templates
LONG_TERM = "长期"
PHOTO_UNAVAILABLE = "unavailable"
PHOTO_DECODED = "decoded"

# The type flag is the UCS-2 character at text byte 248; anything else is a resident card (§8.2).
CARD_TYPES = {"J": "hk_mo_tw", "I": "foreign_2017", "Y": "foreign_2023"}
SEX = {"1": "男", "2": "女"}  # GB/T 2261.1; cards carry only these two
NATIONS = dict(
    enumerate(
        "汉 蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 高山 拉祜 水 东乡 "
        "纳西 景颇 柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米 塔吉克 怒 乌孜别克 俄罗斯 鄂温克 "
        "德昂 保安 裕固 京 塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 基诺".split(),
        start=1,
    )
) | {97: "其他", 98: "外国血统中国籍人士"}

# (byte offset, byte size) of every field, per card type: research notes §8.3-§8.6.
RESIDENT_LAYOUT = {
    "name": (0, 30),
    "sex": (30, 2),
    "nation": (32, 4),
    "birth": (36, 16),
    "address": (52, 70),
    "number": (122, 36),
    "issuer": (158, 30),
    "valid_from": (188, 16),
    "valid_to": (204, 16),
}
LAYOUTS: dict[str, dict[str, tuple[int, int]]] = {
    "resident": RESIDENT_LAYOUT,
    # The permit keeps the resident card's fields, leaves the nation slot unused, and adds two.
    "hk_mo_tw": {key: place for key, place in RESIDENT_LAYOUT.items() if key != "nation"}
    | {"pass_number": (220, 18), "issue_count": (238, 4)},
    "foreign_2017": {
        "name_en": (0, 120),
        "sex": (120, 2),
        "number": (122, 30),
        "nationality": (152, 6),
        "name": (158, 30),
        "valid_from": (188, 16),
        "valid_to": (204, 16),
        "birth": (220, 16),
        "card_version": (236, 4),
        "authority_code": (240, 8),
    },
    "foreign_2023": {
        "name": (0, 30),
        "sex": (30, 2),
        "renewal_count": (32, 4),
        "birth": (36, 16),
        "number": (122, 36),
        "valid_from": (188, 16),
        "valid_to": (204, 16),
        "nationality": (242, 6),
        "previous_number_link": (250, 6),
    },
}
# The 2023 card splits its English name: characters 1-35 at byte 52, 36-46 at byte 220.
NAME_EN_2023 = ((52, 70), (220, 22))
EXTRA_FIELDS = {
    "hk_mo_tw": ("pass_number", "issue_count"),
    "foreign_2017": ("nationality", "card_version", "authority_code"),
    "foreign_2023": ("nationality", "renewal_count", "previous_number_link"),
}


@dataclass(repr=False)
class CardData:
    """One card as read: decoded fields (dates YYYY-MM-DD) and the raw blocks for the bundle."""

    card_type: str  # resident | hk_mo_tw | foreign_2017 | foreign_2023
    name: str
    sex: str  # 男 | 女
    birth_date: str
    id_number: str
    valid_from: str
    valid_to: str  # YYYY-MM-DD or 长期
    address: str = ""
    nation: str = ""  # the 民族 name, resident cards only
    issuer: str = ""
    name_en: str = ""
    photo: str = PHOTO_UNAVAILABLE  # "decoded" only when the vendor's WLT library decoded it
    extra: dict[str, str] = field(default_factory=dict)
    raw_text: bytes = b""
    raw_photo: bytes = b""
    raw_fingerprints: bytes = b""
    photo_bmp: bytes = b""

    def __repr__(self) -> str:  # never a name or a whole number in a log or a traceback
        return f"CardData({self.card_type}, number …{self.id_number[-4:]})"


def bad_data(detail: str) -> IdCardError:
    return IdCardError("IDCARD_BAD_DATA", detail=detail)


def field_text(text: bytes, offset: int, size: int) -> str:
    """A UCS-2LE field without its space or NUL padding; anything undecodable is bad data."""
    try:
        value = text[offset : offset + size].decode("utf-16-le").strip(" \x00")
    except UnicodeDecodeError:
        raise bad_data(f"field at byte {offset} is not UCS-2") from None
    # Private-use characters stay: cards carry rare name characters (生僻字) in the PUA.
    if any(unicodedata.category(c) == "Cc" for c in value):
        raise bad_data(f"field at byte {offset} holds control characters")
    return value


def iso_date(yyyymmdd: str, what: str, open_ended: bool = False) -> str:
    if open_ended and yyyymmdd == LONG_TERM:
        return LONG_TERM
    if len(yyyymmdd) != 8 or not yyyymmdd.isascii() or not idnumber.real_date(yyyymmdd):
        raise bad_data(f"{what} is not a date")
    return date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:])).isoformat()


def nation_name(code: str) -> str:
    """汉 for 01 …; a code outside the table is kept as it is rather than refused (§9.2)."""
    return NATIONS.get(int(code), code) if code.isascii() and code.isdigit() else code


def sex_name(code: str) -> str:
    if code not in SEX:
        raise bad_data("sex code is not 1 or 2")
    return SEX[code]


def parse_text(text: bytes) -> CardData:
    """Decode the 256-byte text block by its type flag and check the card number against it."""
    if len(text) != TEXT_BYTES:
        raise IdCardError("IDCARD_BAD_FRAME", detail=f"text block of {len(text)} bytes")
    card_type = CARD_TYPES.get(field_text(text, 248, 2), "resident")
    fields = {name: field_text(text, *place) for name, place in LAYOUTS[card_type].items()}
    if card_type == "foreign_2023":
        joined = b"".join(text[offset : offset + size] for offset, size in NAME_EN_2023)
        fields["name_en"] = field_text(joined, 0, len(joined))
    card = CardData(
        card_type=card_type,
        name=fields["name"],
        sex=sex_name(fields["sex"]),
        birth_date=iso_date(fields["birth"], "birth date"),
        id_number=fields["number"],
        valid_from=iso_date(fields["valid_from"], "validity start"),
        valid_to=iso_date(fields["valid_to"], "validity end", open_ended=True),
        address=fields.get("address", ""),
        nation=nation_name(fields["nation"]) if "nation" in fields else "",
        issuer=fields.get("issuer", ""),
        name_en=fields.get("name_en", ""),
        extra={name: fields[name] for name in EXTRA_FIELDS.get(card_type, ())},
        raw_text=text,
    )
    if not (card.name or card.name_en):
        raise bad_data("no name")
    if not idnumber.card_number_ok(card_type, card.id_number, fields["birth"], card.sex):
        raise IdCardError("IDCARD_BAD_NUMBER", detail=f"{card_type} number fails its check")
    return card


def split_read_data(data: bytes, with_fingerprints: bool) -> tuple[bytes, bytes, bytes]:
    """Text, photo and fingerprint blocks of a read answer, by its big-endian length fields."""
    count = 3 if with_fingerprints else 2
    if len(data) < 2 * count:
        raise IdCardError("IDCARD_BAD_FRAME", detail=f"read answer of {len(data)} bytes")
    lengths = [int.from_bytes(data[2 * i : 2 * i + 2], "big") for i in range(count)]
    if sum(lengths) != len(data) - 2 * count:
        raise IdCardError("IDCARD_BAD_FRAME", detail=f"block lengths {lengths} do not add up")
    if lengths[:2] != [TEXT_BYTES, PHOTO_BYTES] or not set(lengths[2:]) <= set(FINGERPRINT_SIZES):
        raise IdCardError("IDCARD_BAD_FRAME", detail=f"unexpected block lengths {lengths}")
    text_end = 2 * count + TEXT_BYTES
    photo_end = text_end + PHOTO_BYTES
    return data[2 * count : text_end], data[text_end:photo_end], data[photo_end:]


def parse_read_data(data: bytes, with_fingerprints: bool) -> CardData:
    """The card in a read answer (`30 01`, or `30 10` with fingerprints)."""
    text, photo, fingerprints = split_read_data(data, with_fingerprints)
    card = parse_text(text)
    card.raw_photo = photo
    card.raw_fingerprints = fingerprints
    return card


def parse_appended_address(data: bytes) -> str:
    """The newest appended address (追加住址, answer to `30 03`): 70 bytes of UCS-2LE."""
    return field_text(data, 0, len(data))

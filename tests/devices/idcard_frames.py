"""Card text blocks and read answers laid out by hand from the protocol tables (research notes §3,
§6, §8), independent of both the driver's parser and the simulator's encoder. All people are fictional."""

from __future__ import annotations

from functools import reduce
from operator import xor

SPACE = " ".encode("utf-16-le")
WLT_HEADER = bytes.fromhex("574C66007E00320000FF")
RESIDENT_NUMBER = "11010519491231002X"  # GB 11643's own worked example (notes §13): born 1949-12-31, female


def hexbytes(text: str) -> bytes:
    return bytes.fromhex(text.replace(" ", ""))


def ucs2(value: str, size: int) -> bytes:
    raw = value.encode("utf-16-le")
    assert len(raw) <= size, (value, size)
    return raw + SPACE * ((size - len(raw)) // 2)


def block(fields: list[tuple[int, int, str]]) -> bytes:
    """256 bytes: each (byte offset, byte size, value) in place, spaces everywhere else."""
    out = bytearray(SPACE * 128)
    for offset, size, value in fields:
        out[offset : offset + size] = ucs2(value, size)
    return bytes(out)


def gb11643(body17: str) -> str:
    """The check character, written out from the standard's weights and table (notes §13)."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body17 + "10X98765432"[sum(int(d) * w for d, w in zip(body17, weights, strict=True)) % 11]


def seven_three_one(body14: str) -> str:
    """The 2017 foreigner card's check digit: weights 7-3-1, letters A=10 … Z=35, mod 10 (notes §8.6)."""
    values = [int(c) if c.isdigit() else ord(c) - 55 for c in body14]
    return body14 + str(sum(v * (7, 3, 1)[i % 3] for i, v in enumerate(values)) % 10)


HK_NUMBER = gb11643("81000019880712002")
FOREIGN_2017_NUMBER = seven_three_one("CAN11007905011")
FOREIGN_2023_NUMBER = gb11643("93182619850923002")


def resident_block(**changes: str) -> bytes:
    values = {
        "name": "林示例",
        "sex": "2",
        "nation": "01",
        "birth": "19491231",
        "address": "北京市朝阳区示例街道示例社区1号",
        "number": RESIDENT_NUMBER,
        "issuer": "北京市公安局朝阳分局",
        "valid_from": "20100101",
        "valid_to": "长期",
    } | changes
    return block(
        [
            (0, 30, values["name"]),
            (30, 2, values["sex"]),
            (32, 4, values["nation"]),
            (36, 16, values["birth"]),
            (52, 70, values["address"]),
            (122, 36, values["number"]),
            (158, 30, values["issuer"]),
            (188, 16, values["valid_from"]),
            (204, 16, values["valid_to"]),
        ]
    )


def hk_mo_tw_block(**changes: str) -> bytes:
    values = {"birth": "19880712", "number": HK_NUMBER} | changes
    return block(
        [
            (0, 30, "陈示例"),
            (30, 2, "2"),
            (36, 16, values["birth"]),
            (52, 70, "广东省深圳市福田区示例路1号"),
            (122, 36, values["number"]),
            (158, 30, "深圳市公安局福田分局"),
            (188, 16, "20200101"),
            (204, 16, "20250101"),
            (220, 18, "H12345678"),
            (238, 4, "03"),
            (248, 2, "J"),
        ]
    )


def foreign_2017_block(**changes: str) -> bytes:
    values = {"birth": "19790501", "number": FOREIGN_2017_NUMBER} | changes
    return block(
        [
            (0, 120, "SAMPLE JOHN"),
            (120, 2, "1"),
            (122, 30, values["number"]),
            (152, 6, "CAN"),
            (158, 30, "约翰"),
            (188, 16, "20190301"),
            (204, 16, "20290301"),
            (220, 16, values["birth"]),
            (236, 4, "01"),
            (240, 8, "1100"),
            (248, 2, "I"),
        ]
    )


def foreign_2023_block(name_en: str = "EXAMPLE MARY ANNE", **changes: str) -> bytes:
    values = {"birth": "19850923", "number": FOREIGN_2023_NUMBER, "sex": "2"} | changes
    return block(
        [
            (0, 30, "玛丽"),
            (30, 2, values["sex"]),
            (32, 4, "01"),
            (36, 16, values["birth"]),
            (52, 70, name_en[:35]),
            (122, 36, values["number"]),
            (188, 16, "20240110"),
            (204, 16, "20340110"),
            (220, 22, name_en[35:]),
            (242, 6, "GBR"),
            (248, 2, "Y"),
            (250, 6, "012"),
        ]
    )


def photo() -> bytes:
    return WLT_HEADER + bytes(range(256)) * 3 + bytes(1024 - len(WLT_HEADER) - 768)


def hand_built_read_answer(text: bytes, fingerprint_bytes: int | None = None) -> bytes:
    """A whole read answer: `30 01` when `fingerprint_bytes` is None, else `30 10` with that many."""
    blocks = [text, photo()] + ([] if fingerprint_bytes is None else [bytes(fingerprint_bytes)])
    data = bytes([0x00, 0x00, 0x90]) + b"".join(len(b).to_bytes(2, "big") for b in blocks) + b"".join(blocks)
    frame = hexbytes("AA AA AA 96 69") + (len(data) + 1).to_bytes(2, "big") + data
    return frame + bytes([reduce(xor, frame[5:], 0)])

"""Card-number checks: GB 11643-1999 (MOD 11-2) and the 7-3-1 rule of the 2017 foreigner card,
each against the birth date and sex printed on the same card. Pure functions, no I/O.
"""

from __future__ import annotations

from datetime import date

from stdnum.iso7064 import mod_11_2

WEIGHTS_731 = (7, 3, 1)


def mod11_2_ok(number: str) -> bool:
    """18 characters whose last is the ISO 7064 MOD 11-2 check character of the first 17 digits."""
    return (
        len(number) == 18
        and number.isascii()
        and number[:17].isdigit()
        and number[17] in "0123456789X"
        and mod_11_2.is_valid(number)
    )


def resident_number_ok(number: str, birth_date: str = "", sex: str = "") -> bool:
    """A resident ID number (居民身份号码): check digit, a real birth date, and agreement with the
    card's own birth date (YYYYMMDD) and sex (男/女) where given.

    The region code is deliberately not checked against a table: python-stdnum's table rejects codes
    of counties since merged or renamed (even the standard's own example 440524…), yet cards issued
    under them stay valid, and a kiosk must not turn such a resident away.
    """
    return mod11_2_ok(number) and real_date(number[6:14]) and encodes(number, birth_date, sex)


def real_date(yyyymmdd: str) -> bool:
    try:
        date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        return False
    return True


def encodes(number: str, birth_date: str = "", sex: str = "") -> bool:
    """Whether digits 7-14 hold `birth_date` and the sequence's parity matches `sex`."""
    if birth_date and number[6:14] != birth_date:
        return False
    if sex:
        odd = int(number[16]) % 2 == 1
        if (sex == "男") != odd:
            return False
    return True


def char_value(c: str) -> int:
    return int(c) if c.isdigit() else ord(c.upper()) - ord("A") + 10


def check_731(body: str) -> str:
    """The 7-3-1 mod-10 check digit of the 2017 foreigner card number (letters A=10 … Z=35)."""
    total = sum(char_value(c) * WEIGHTS_731[i % 3] for i, c in enumerate(body))
    return str(total % 10)


def foreigner_2017_number_ok(number: str, birth_date: str = "") -> bool:
    """15 characters: 3-letter country code, 4-digit region, YYMMDD of birth, a sequence digit and
    the 7-3-1 check digit. The layout is single-sourced (research notes §8.6, §13)."""
    return (
        len(number) == 15
        and number[:3].isascii()
        and number[:3].isalpha()
        and number[3:].isascii()
        and number[3:].isdigit()
        and check_731(number[:14]) == number[14]
        and (not birth_date or number[7:13] == birth_date[2:])
    )


def foreigner_2023_number_ok(number: str, birth_date: str = "", sex: str = "") -> bool:
    """18 digits starting with 9, MOD 11-2 like a resident number, birth date and sex encoded alike."""
    return number[:1] == "9" and mod11_2_ok(number) and encodes(number, birth_date, sex)


def card_number_ok(card_type: str, number: str, birth_date: str, sex: str) -> bool:
    """The number printed on a card of `card_type`, checked by that type's rule (birth YYYYMMDD, 男/女).

    The Hong Kong/Macau/Taiwan permit number follows GB 11643 like a resident number.
    """
    if card_type == "foreign_2017":
        return foreigner_2017_number_ok(number, birth_date)
    if card_type == "foreign_2023":
        return foreigner_2023_number_ok(number, birth_date, sex)
    return resident_number_ok(number, birth_date, sex)


def mask_name(name: str) -> str:
    """王建国 → 王*国, 王芳 → 王*, a foreign name keeps its first and last letter."""
    name = name.strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def last_digits(number: str, n: int = 4) -> str:
    return number[-n:]


def mask_number(number: str) -> str:
    """Everything but the last four characters hidden, for screens."""
    return "*" * (len(number) - 4) + number[-4:]

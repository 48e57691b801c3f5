"""Second-generation ID-card reader: the GA 467 SAM frame protocol over a serial port.

Reads top-down: frame codec, commands, card parser (pure), reader object. No UI and no flow here;
facts and sources are in docs/devices.md and the research notes.
"""

from __future__ import annotations

import ctypes
import time
from dataclasses import dataclass, field
from typing import Any

import serial

from kiosk.errors import IdCardError
from kiosk.idnumber import encodes, foreigner_2017_number_ok, mod11_2_ok, resident_number_ok

# --- Frame codec -------------------------------------------------------------------------------
# Frame: preamble AA AA AA 96 69, big-endian length of everything after it (checksum included),
# body, then the XOR of the length bytes and the body.

PREAMBLE = b"\xaa\xaa\xaa\x96\x69"
HEADER_BYTES = len(PREAMBLE) + 2
MAX_BODY = 2400  # the largest legal frame is 2321 bytes (read with a 1024-byte fingerprint)


def xor(data: bytes) -> int:
    value = 0
    for b in data:
        value ^= b
    return value


def build_frame(body: bytes) -> bytes:
    length = (len(body) + 1).to_bytes(2, "big")
    return PREAMBLE + length + body + bytes([xor(length + body)])


def build_request(cmd: int, para: int, data: bytes = b"") -> bytes:
    return build_frame(bytes([cmd, para]) + data)


@dataclass(frozen=True)
class Response:
    sw1: int
    sw2: int
    sw3: int
    data: bytes


class FrameDecoder:
    """Cuts a byte stream into frame bodies; slides over garbage to the next preamble.

    A frame whose checksum or length is wrong is counted in `bad_frames` and dropped, so the caller
    sees either a correct body or nothing.
    """

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.bad_frames = 0

    def feed(self, data: bytes) -> list[bytes]:
        self.buffer += data
        bodies = []
        while True:
            start = self.buffer.find(PREAMBLE)
            if start < 0:
                del self.buffer[: max(0, len(self.buffer) - len(PREAMBLE) + 1)]
                return bodies
            del self.buffer[:start]
            if len(self.buffer) < HEADER_BYTES:
                return bodies
            length = int.from_bytes(self.buffer[5:7], "big")
            if not 3 <= length <= MAX_BODY:
                self._skip_preamble()
                continue
            if len(self.buffer) < HEADER_BYTES + length:
                return bodies
            frame = bytes(self.buffer[: HEADER_BYTES + length])
            if xor(frame[5:-1]) != frame[-1]:
                self._skip_preamble()
                continue
            del self.buffer[: len(frame)]
            bodies.append(frame[HEADER_BYTES:-1])

    def _skip_preamble(self) -> None:
        self.bad_frames += 1
        del self.buffer[:1]


def parse_response(body: bytes) -> Response:
    if len(body) < 3:
        raise IdCardError("IDCARD_BAD_FRAME", detail=f"response body of {len(body)} bytes")
    return Response(body[0], body[1], body[2], body[3:])


# --- Commands ----------------------------------------------------------------------------------

CMD_RESET = (0x10, 0xFF)
CMD_STATUS = (0x11, 0xFF)
CMD_SAM_ID = (0x12, 0xFF)
CMD_FIND = (0x20, 0x01)
CMD_SELECT = (0x20, 0x02)
CMD_READ = (0x30, 0x01)
CMD_READ_FINGERPRINT = (0x30, 0x10)
CMD_READ_NEW_ADDRESS = (0x30, 0x03)
BAUD_PARAMS = {115200: 0x00, 57600: 0x01, 38400: 0x02, 19200: 0x03, 9600: 0x04}

SW_OK = 0x90
SW_FOUND = 0x9F
SW_NO_CONTENT = 0x91
SW_FIND_FAILED = 0x80
SW_SELECT_FAILED = 0x81
SW_READ_FAILED = 0x41


def status_error(command: tuple[int, int], sw3: int) -> IdCardError:
    """The typed error for an unexpected SW3 after `command`."""
    detail = f"cmd {command[0]:02X} {command[1]:02X} SW3 {sw3:02X}"
    if sw3 in (SW_FIND_FAILED, SW_SELECT_FAILED):
        return IdCardError("IDCARD_NO_CARD", detail=detail)
    if sw3 == SW_READ_FAILED:
        return IdCardError("IDCARD_CARD_MOVED", detail=detail)
    if sw3 == 0x40:
        return IdCardError("IDCARD_UNKNOWN_CARD", detail=detail)
    if sw3 in (0x10, 0x11):
        return IdCardError("IDCARD_BAD_FRAME", detail=detail)
    return IdCardError("IDCARD_SAM_FAULT", detail=detail, status=f"{sw3:02X}")


# --- Card parser (pure) ------------------------------------------------------------------------

CARD_TYPES = {"I": "foreign_2017", "Y": "foreign_2023", "J": "hk_mo_tw"}
SEX = {"1": "男", "2": "女"}
NATIONS = dict(
    enumerate(
        "汉 蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 高山 拉祜 水 东乡 "
        "纳西 景颇 柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米 塔吉克 怒 乌孜别克 俄罗斯 鄂温克 "
        "德昂 保安 裕固 京 塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 基诺".split(),
        start=1,
    )
)
NATIONS_EXTRA = {97: "其他", 98: "外国血统中国籍人士"}
TEXT_BYTES = 256
LONG_TERM = "长期"


@dataclass
class CardData:
    card_type: str
    name: str
    sex: str
    birth_date: str
    id_number: str
    valid_from: str
    valid_to: str
    address: str = ""
    nation: str = ""
    issuer: str = ""
    name_en: str = ""
    photo: str = "unavailable"
    extra: dict[str, Any] = field(default_factory=dict)
    raw_text: bytes = b""
    raw_photo: bytes = b""
    raw_fingerprint: bytes = b""


def field_text(text: bytes, offset: int, size: int) -> str:
    return text[offset : offset + size].decode("utf-16-le", errors="replace").strip(" \x00")


def iso_date(yyyymmdd: str) -> str:
    if yyyymmdd == LONG_TERM:
        return LONG_TERM
    if len(yyyymmdd) != 8 or not yyyymmdd.isdigit():
        raise IdCardError("IDCARD_BAD_FRAME", detail="date field is not YYYYMMDD")
    return f"{yyyymmdd[:4]}-{yyyymmdd[4:6]}-{yyyymmdd[6:]}"


def nation_name(code: str) -> str:
    if code.isdigit():
        number = int(code)
        return NATIONS.get(number) or NATIONS_EXTRA.get(number) or code
    return code


def parse_text(text: bytes) -> CardData:
    """Decode the 256-byte text block by its type flag (byte 248) and check the card number."""
    if len(text) != TEXT_BYTES:
        raise IdCardError("IDCARD_BAD_FRAME", detail=f"text block of {len(text)} bytes")
    flag = field_text(text, 248, 2)
    card_type = CARD_TYPES.get(flag, "resident")
    card = {"foreign_2017": _parse_foreign_2017, "foreign_2023": _parse_foreign_2023}.get(
        card_type, _parse_resident_layout
    )(text, card_type)
    card.raw_text = text
    _check_number(card, text)
    return card


def _parse_resident_layout(text: bytes, card_type: str) -> CardData:
    """The resident card and the HMT permit ('J') share the first nine fields."""
    card = CardData(
        card_type=card_type,
        name=field_text(text, 0, 30),
        sex=SEX.get(field_text(text, 30, 2), ""),
        birth_date=iso_date(field_text(text, 36, 16)),
        address=field_text(text, 52, 70),
        id_number=field_text(text, 122, 36),
        issuer=field_text(text, 158, 30),
        valid_from=iso_date(field_text(text, 188, 16)),
        valid_to=iso_date(field_text(text, 204, 16)),
    )
    if card_type == "resident":
        card.nation = nation_name(field_text(text, 32, 4))
    else:
        card.extra = {"pass_number": field_text(text, 220, 18), "issue_count": field_text(text, 238, 4)}
    return card


def _parse_foreign_2017(text: bytes, card_type: str) -> CardData:
    return CardData(
        card_type=card_type,
        name=field_text(text, 158, 30),
        name_en=field_text(text, 0, 120),
        sex=SEX.get(field_text(text, 120, 2), ""),
        id_number=field_text(text, 122, 30),
        valid_from=iso_date(field_text(text, 188, 16)),
        valid_to=iso_date(field_text(text, 204, 16)),
        birth_date=iso_date(field_text(text, 220, 16)),
        extra={
            "nationality": field_text(text, 152, 6),
            "card_version": field_text(text, 236, 4),
            "authority_code": field_text(text, 240, 8),
        },
    )


def _parse_foreign_2023(text: bytes, card_type: str) -> CardData:
    return CardData(
        card_type=card_type,
        name=field_text(text, 0, 30),
        name_en=(field_text(text, 52, 70) + field_text(text, 220, 22)).strip(),
        sex=SEX.get(field_text(text, 30, 2), ""),
        birth_date=iso_date(field_text(text, 36, 16)),
        id_number=field_text(text, 122, 36),
        valid_from=iso_date(field_text(text, 188, 16)),
        valid_to=iso_date(field_text(text, 204, 16)),
        extra={
            "nationality": field_text(text, 242, 6),
            "renewal_count": field_text(text, 32, 4),
            "previous_number_link": field_text(text, 250, 6),
        },
    )


def _check_number(card: CardData, text: bytes) -> None:
    """A number that fails its card type's rule is a read error, never passed on."""
    birth = card.birth_date.replace("-", "")
    if card.card_type == "resident":
        ok = resident_number_ok(card.id_number, birth, card.sex)
    elif card.card_type == "foreign_2017":
        ok = foreigner_2017_number_ok(card.id_number)
    else:
        ok = mod11_2_ok(card.id_number) and encodes(card.id_number, birth, card.sex)
    if not ok:
        raise IdCardError("IDCARD_BAD_NUMBER", detail=f"{card.card_type} number fails its check")


def parse_read_data(data: bytes, with_fingerprint: bool) -> CardData:
    """Split the read response (lengths, text, photo, fingerprint) and parse the text."""
    count = 3 if with_fingerprint else 2
    if len(data) < 2 * count:
        raise IdCardError("IDCARD_BAD_FRAME", detail="read response too short")
    lengths = [int.from_bytes(data[2 * i : 2 * i + 2], "big") for i in range(count)]
    if sum(lengths) != len(data) - 2 * count:
        raise IdCardError("IDCARD_BAD_FRAME", detail=f"block lengths {lengths} do not add up")
    offset = 2 * count
    blocks = []
    for length in lengths:
        blocks.append(data[offset : offset + length])
        offset += length
    card = parse_text(blocks[0])
    card.raw_photo = blocks[1]
    card.raw_fingerprint = blocks[2] if with_fingerprint else b""
    return card


# --- Photo -------------------------------------------------------------------------------------


class WltDecoder:
    """The reader vendor's WLT photo library (there is no open decoder), loaded with ctypes.

    Expected C signature, as the common Linux builds export it: int wltGetBMP(char *wlt, char *bmp)
    filling a 102x126 BMP of 38862 bytes and returning 1 on success.
    """

    BMP_BYTES = 38862

    def __init__(self, library_path: str) -> None:
        self.library = ctypes.CDLL(library_path)

    def decode(self, wlt: bytes) -> bytes | None:
        out = ctypes.create_string_buffer(self.BMP_BYTES)
        ok = self.library.wltGetBMP(ctypes.create_string_buffer(wlt, len(wlt)), out)
        return out.raw if ok == 1 else None


# --- Reader ------------------------------------------------------------------------------------


class IdCardReader:
    """A GA 467 reader on a serial port: one command at a time, a timeout on every answer."""

    def __init__(
        self,
        port: str,
        baud: int = 115200,
        command_timeout: float = 0.5,
        read_timeout: float = 3.0,
        photo_decoder: WltDecoder | None = None,
    ) -> None:
        self.port_name = port
        self.baud = baud
        self.command_timeout = command_timeout
        self.read_timeout = read_timeout
        self.photo_decoder = photo_decoder
        self.port: serial.Serial | None = None
        self.decoder = FrameDecoder()

    def open(self) -> None:
        try:
            self.port = serial.Serial(self.port_name, self.baud, timeout=0.05, exclusive=True)
        except serial.SerialException as e:
            busy = "busy" in str(e).lower() or "lock" in str(e).lower()
            raise IdCardError("IDCARD_BUSY" if busy else "IDCARD_NO_READER", detail=self.port_name) from None

    def close(self) -> None:
        if self.port:
            self.port.close()
            self.port = None

    def __enter__(self) -> IdCardReader:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def transact(self, command: tuple[int, int], timeout: float | None = None) -> Response:
        if self.port is None:
            self.open()
        assert self.port is not None
        try:
            self.port.reset_input_buffer()
            self.decoder = FrameDecoder()
            self.port.write(build_request(*command))
            return self._await_response(timeout or self.command_timeout)
        except (serial.SerialException, OSError) as e:
            self.close()
            raise IdCardError("IDCARD_NO_READER", detail=f"{self.port_name}: {e}") from None

    def _await_response(self, timeout: float) -> Response:
        assert self.port is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            chunk = self.port.read(self.port.in_waiting or 1)
            bodies = self.decoder.feed(chunk)
            if bodies:
                return parse_response(bodies[0])
        if self.decoder.bad_frames:
            raise IdCardError("IDCARD_BAD_FRAME", detail=f"{self.decoder.bad_frames} corrupt frames")
        raise IdCardError("IDCARD_TIMEOUT", detail=f"{self.port_name} silent for {timeout:.1f} s")

    def expect(self, command: tuple[int, int], ok: int = SW_OK, timeout: float | None = None) -> bytes:
        response = self.transact(command, timeout)
        if response.sw3 != ok:
            raise status_error(command, response.sw3)
        return response.data

    def status_ok(self) -> bool:
        return self.transact(CMD_STATUS).sw3 == SW_OK

    def sam_id(self) -> str:
        """The SAM's id as printed on reader labels: AA.BB-CCCCCCCC-DDDDDDDDDD-EEEEEEEEEE."""
        data = self.expect(CMD_SAM_ID)
        if len(data) != 16:
            raise IdCardError("IDCARD_BAD_FRAME", detail=f"SAM id of {len(data)} bytes")
        words = [int.from_bytes(data[i : i + 4], "little") for i in (4, 8, 12)]
        return f"{data[0]:02d}.{data[2]:02d}-{words[0]:08d}-{words[1]:010d}-{words[2]:010d}"

    def card_present(self) -> bool:
        """One find: True when a card that has not yet been read lies on the reader."""
        response = self.transact(CMD_FIND)
        if response.sw3 == SW_FOUND:
            return True
        if response.sw3 == SW_FIND_FAILED:
            return False
        raise status_error(CMD_FIND, response.sw3)

    def read_card(self, with_fingerprint: bool = False) -> CardData:
        """Find, select and read one card; raises IDCARD_NO_CARD when there is none."""
        if not self.card_present():
            raise IdCardError("IDCARD_NO_CARD")
        self.expect(CMD_SELECT)
        command = CMD_READ_FINGERPRINT if with_fingerprint else CMD_READ
        card = parse_read_data(self.expect(command, timeout=self.read_timeout), with_fingerprint)
        if self.photo_decoder and self.photo_decoder.decode(card.raw_photo):
            card.photo = "decoded"
        return card


def probe(port: str, timeout: float = 1.0) -> bool:
    """Whether a GA 467 reader answers a status check on `port` within `timeout` seconds."""
    try:
        with IdCardReader(port, command_timeout=timeout) as reader:
            reader.transact(CMD_STATUS)
    except IdCardError:
        return False
    return True

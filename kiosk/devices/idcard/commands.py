"""GA 467 commands and the SAM's status byte (SW3): what to send, what a good answer looks like,
and which typed error every other answer becomes. No I/O here; the reader object does the talking.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.devices.idcard.codec import Response, build_request
from kiosk.errors import IdCardError

SW_OK = 0x90
SW_FOUND = 0x9F
SW_NO_CONTENT = 0x91
SW_NO_CARD = 0x80  # find: no card, or only one already read


@dataclass(frozen=True)
class Command:
    name: str
    cmd: int
    para: int
    ok: int = SW_OK  # the SW3 of success
    data_bytes: int | None = None  # the data size of a good answer; None: checked by the parser
    slow: bool = False  # reads the card: gets the read timeout, not the command timeout

    def request(self, data: bytes = b"") -> bytes:
        return build_request(self.cmd, self.para, data)


# Research notes §4 and §6. Reset and baud change answers are unconfirmed: their data is not checked.
RESET = Command("reset", 0x10, 0xFF)
STATUS = Command("status", 0x11, 0xFF, data_bytes=0)
SAM_ID = Command("sam id", 0x12, 0xFF, data_bytes=16)
FIND = Command("find", 0x20, 0x01, ok=SW_FOUND, data_bytes=4)
SELECT = Command("select", 0x20, 0x02, data_bytes=8)
READ = Command("read", 0x30, 0x01, slow=True)
READ_WITH_FINGERPRINTS = Command("read with fingerprints", 0x30, 0x10, slow=True)
READ_NEW_ADDRESS = Command("read appended address", 0x30, 0x03, data_bytes=70, slow=True)
BAUD_PARAMETERS = {115200: 0x00, 57600: 0x01, 38400: 0x02, 19200: 0x03, 9600: 0x04}
APPENDED_ADDRESS_BYTES = 70


def set_baud(baud: int) -> Command:
    if baud not in BAUD_PARAMETERS:
        raise IdCardError("IDCARD_BAD_BAUD", detail=str(baud), baud=baud)
    return Command("set baud", 0x60, BAUD_PARAMETERS[baud])


# SW3 → (meaning, error code). Status codes with an empty code are not errors by themselves.
STATUS_CODES: dict[int, tuple[str, str]] = {
    0x90: ("success", ""),
    0x9F: ("card found", ""),
    0x91: ("the card holds nothing for this item", ""),
    0x10: ("checksum error in the request", "IDCARD_COMMAND_REJECTED"),
    0x11: ("length error in the request", "IDCARD_COMMAND_REJECTED"),
    0x21: ("command error", "IDCARD_COMMAND_REJECTED"),
    0x23: ("unauthorised operation", "IDCARD_COMMAND_REJECTED"),
    0x24: ("unrecognised error", "IDCARD_COMMAND_REJECTED"),
    0x31: ("the card did not authenticate the SAM", "IDCARD_CARD_REJECTED"),
    0x32: ("the SAM did not authenticate the card", "IDCARD_CARD_REJECTED"),
    0x33: ("information verification error", "IDCARD_CARD_REJECTED"),
    0x40: ("unrecognised card type", "IDCARD_UNKNOWN_CARD"),
    0x41: ("reading the card failed", "IDCARD_CARD_MOVED"),
    0x47: ("getting a random number from the card failed", "IDCARD_CARD_MOVED"),
    0x60: ("SAM self-test failed", "IDCARD_SAM_FAULT"),
    0x66: ("SAM not authorised", "IDCARD_SAM_FAULT"),
    0x80: ("no card found", "IDCARD_NO_CARD"),
    0x81: ("selecting the card failed", "IDCARD_CARD_MOVED"),
}


def status_meaning(sw3: int) -> str:
    return STATUS_CODES.get(sw3, ("undocumented status", ""))[0]


def status_error(command: Command, sw3: int) -> IdCardError:
    """The typed error for an answer to `command` whose SW3 is not its success code."""
    detail = f"{command.name}: SW3 {sw3:02X} ({status_meaning(sw3)})"
    code = STATUS_CODES.get(sw3, ("", "IDCARD_SAM_FAULT"))[1]
    if not code:  # another command's success: an answer out of step with the request
        code = "IDCARD_BAD_FRAME"
    return IdCardError(code, detail=detail, status=f"{sw3:02X}")


def check(command: Command, response: Response) -> bytes:
    """The answer's data when it is the success `command` expects; a typed error otherwise."""
    if response.sw3 != command.ok:
        raise status_error(command, response.sw3)
    if command.data_bytes is not None and len(response.data) != command.data_bytes:
        raise IdCardError(
            "IDCARD_BAD_FRAME",
            detail=f"{command.name}: {len(response.data)} data bytes, not {command.data_bytes}",
        )
    return response.data


def format_sam_id(data: bytes) -> str:
    """The SAM id as reader labels print it: AA.BB-CCCCCCCC-DDDDDDDDDD-EEEEEEEEEE (notes §6.1)."""
    words = [int.from_bytes(data[i : i + 4], "little") for i in (4, 8, 12)]
    return f"{data[0]:02d}.{data[2]:02d}-{words[0]:08d}-{words[1]:010d}-{words[2]:010d}"

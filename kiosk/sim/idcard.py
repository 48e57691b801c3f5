"""A GA 467 SAM on a pseudo-terminal: answers find, select and read as a reader does.

It encodes cards with its own layout tables (written from the protocol notes, not from the driver's
parser), so driver tests check the parser against an independent writer.
"""

from __future__ import annotations

import threading
from collections import deque

from kiosk.devices.idcard import FrameDecoder, build_frame
from kiosk.sim.people import SyntheticCard
from kiosk.sim.pty import PtyDevice

SAM_ID = bytes.fromhex("0500 0300 A5413401 15CD5B07 39300000".replace(" ", ""))
WLT_HEADER = bytes.fromhex("574C66007E00320000FF")
PHOTO_BYTES = 1024
TEXT_BYTES = 256

# (field, byte offset, byte size) per card type, from the research notes section 8.
LAYOUTS: dict[str, list[tuple[str, int, int]]] = {
    "resident": [
        ("name", 0, 30),
        ("sex_code", 30, 2),
        ("nation_code", 32, 4),
        ("birth", 36, 16),
        ("address", 52, 70),
        ("id_number", 122, 36),
        ("issuer", 158, 30),
        ("valid_from", 188, 16),
        ("valid_to", 204, 16),
    ],
    "hk_mo_tw": [
        ("name", 0, 30),
        ("sex_code", 30, 2),
        ("birth", 36, 16),
        ("address", 52, 70),
        ("id_number", 122, 36),
        ("issuer", 158, 30),
        ("valid_from", 188, 16),
        ("valid_to", 204, 16),
        ("extra.pass_number", 220, 18),
        ("extra.issue_count", 238, 4),
    ],
    "foreign_2017": [
        ("name_en", 0, 120),
        ("sex_code", 120, 2),
        ("id_number", 122, 30),
        ("extra.nationality", 152, 6),
        ("name", 158, 30),
        ("valid_from", 188, 16),
        ("valid_to", 204, 16),
        ("birth", 220, 16),
        ("extra.card_version", 236, 4),
        ("extra.authority_code", 240, 8),
    ],
    "foreign_2023": [
        ("name", 0, 30),
        ("sex_code", 30, 2),
        ("extra.renewal_count", 32, 4),
        ("birth", 36, 16),
        ("name_en_1", 52, 70),
        ("id_number", 122, 36),
        ("valid_from", 188, 16),
        ("valid_to", 204, 16),
        ("name_en_2", 220, 22),
        ("extra.nationality", 242, 6),
        ("extra.previous_number_link", 250, 6),
    ],
}
TYPE_FLAGS = {"hk_mo_tw": "J", "foreign_2017": "I", "foreign_2023": "Y"}


def _value(card: SyntheticCard, name: str) -> str:
    if name.startswith("extra."):
        return card.extra.get(name[6:], "")
    if name == "name_en_1":
        return card.name_en[:35]
    if name == "name_en_2":
        return card.name_en[35:46]
    return getattr(card, name)


def encode_text(card: SyntheticCard) -> bytes:
    """The card's 256-byte UCS-2LE text block, space padded, type flag at byte 248."""
    block = bytearray(" ".encode("utf-16-le") * (TEXT_BYTES // 2))
    for name, offset, size in LAYOUTS[card.card_type]:
        encoded = _value(card, name).encode("utf-16-le")[:size]
        block[offset : offset + len(encoded)] = encoded
    flag = TYPE_FLAGS.get(card.card_type)
    if flag:
        block[248:250] = flag.encode("utf-16-le")
    return bytes(block)


def synthetic_photo(seed: int = 0) -> bytes:
    """A WLT-shaped blob: the real header, then filler. Nothing decodes it, as with real readers."""
    filler = bytes((seed + i * 37) % 256 for i in range(PHOTO_BYTES - len(WLT_HEADER)))
    return WLT_HEADER + filler


def status_frame(sw3: int, data: bytes = b"", sw1: int = 0, sw2: int = 0) -> bytes:
    return build_frame(bytes([sw1, sw2, sw3]) + data)


class IdCardSimulator(PtyDevice):
    """State machine of a SAM with a card field: no card → found → selected → read → must be lifted.

    Faults for tests: `fail_next_read` (card moved: SW3 41), `garble_next` (one corrupt byte),
    `silent` (no answers), `sam_fault` (every command answers that SW3).
    """

    def __init__(self, baud: int = 115200) -> None:
        super().__init__(baud)
        self.decoder = FrameDecoder()
        self.queue: deque[SyntheticCard] = deque()
        self.card: SyntheticCard | None = None
        self.state = "empty"
        self.lock = threading.Lock()
        self.silent = False
        self.garble_next = False
        self.fail_next_read = False
        self.sam_fault: int | None = None
        self.commands: list[tuple[int, int]] = []

    def place(self, card: SyntheticCard) -> None:
        with self.lock:
            self.card, self.state = card, "present"

    def lift(self) -> None:
        with self.lock:
            self.card, self.state = None, "empty"

    def place_next(self) -> SyntheticCard | None:
        """Put the next queued card on the reader (for `kiosk sim idcard` and the demo)."""
        if not self.queue:
            return None
        card = self.queue.popleft()
        self.place(card)
        return card

    def on_bytes(self, data: bytes) -> None:
        for body in self.decoder.feed(data):
            if len(body) >= 2:
                self._answer(body[0], body[1])

    def _answer(self, cmd: int, para: int) -> None:
        self.commands.append((cmd, para))
        if self.silent:
            return
        with self.lock:
            frame = self._response(cmd, para)
        if self.garble_next:
            self.garble_next = False
            frame = frame[:-1] + bytes([frame[-1] ^ 0xFF])
        self.send(frame)

    def _response(self, cmd: int, para: int) -> bytes:
        if self.sam_fault is not None:
            return status_frame(self.sam_fault)
        handlers = {
            (0x10, 0xFF): lambda: status_frame(0x90),
            (0x11, 0xFF): lambda: status_frame(0x90),
            (0x12, 0xFF): lambda: status_frame(0x90, SAM_ID),
            (0x20, 0x01): self._find,
            (0x20, 0x02): self._select,
            (0x30, 0x01): lambda: self._read(fingerprint=False),
            (0x30, 0x10): lambda: self._read(fingerprint=True),
            (0x30, 0x03): lambda: status_frame(0x91),
        }
        handler = handlers.get((cmd, para))
        return handler() if handler else status_frame(0x21)

    def _find(self) -> bytes:
        if self.state in ("present", "found", "selected"):
            self.state = "found"
            return status_frame(0x9F, bytes(4))
        return status_frame(0x80)

    def _select(self) -> bytes:
        if self.state == "found":
            self.state = "selected"
            return status_frame(0x90, bytes(8))
        return status_frame(0x81)

    def _read(self, fingerprint: bool) -> bytes:
        if self.state != "selected" or self.card is None:
            return status_frame(0x41)
        if self.fail_next_read:
            self.fail_next_read = False
            self.state = "present"
            return status_frame(0x41)
        text, photo = encode_text(self.card), synthetic_photo()
        prints = bytes(1024) if fingerprint else b""
        lengths = [len(text), len(photo)] + ([len(prints)] if fingerprint else [])
        header = b"".join(n.to_bytes(2, "big") for n in lengths)
        self.state = "read"  # the SAM will not find this card again until it is lifted
        return status_frame(0x90, header + text + photo + prints)

"""A GA 467 SAM with its card field on a pseudo-terminal: answers as a reader does, paced at the baud
rate, with faults on command. It must not share the driver's parser: it encodes cards with its own
layout tables, written from the protocol notes, so driver tests check the parser against an independent writer.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from kiosk.devices.idcard.codec import FrameDecoder, build_frame, wire_seconds
from kiosk.sim import people
from kiosk.sim.people import SyntheticCard
from kiosk.sim.pty import PtyDevice

SAM_ID = bytes.fromhex("0500 0300 A5413401 15CD5B07 39300000".replace(" ", ""))
WLT_HEADER = bytes.fromhex("574C66007E00320000FF")
PHOTO_BYTES = 1024
TEXT_BYTES = 256
TEMPLATE_BYTES = 512
ADDRESS_BYTES = 70
BAUDS = {0x00: 115200, 0x01: 57600, 0x02: 38400, 0x03: 19200, 0x04: 9600}

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
# Names for the commands a fault can aim at ("any" aims at whatever comes next).
COMMAND_NAMES = {(0x11, 0xFF): "status", (0x20, 0x01): "find", (0x20, 0x02): "select", (0x30, 0x01): "read"}
COMMAND_NAMES |= {(0x30, 0x10): "read", (0x30, 0x03): "address"}
# Status codes on which the card's own APDU status (SW1 SW2) may travel with SW3 (notes §3.3).
CARD_SIDE_ERRORS = {0x31, 0x41, 0x47, 0x81}


def _value(card: SyntheticCard, name: str) -> str:
    if name.startswith("extra."):
        return card.extra.get(name[6:], "")
    if name == "name_en_1":
        return card.name_en[:35]
    if name == "name_en_2":
        return card.name_en[35:46]
    return getattr(card, name)


def ucs2_block(size: int) -> bytearray:
    return bytearray(" ".encode("utf-16-le") * (size // 2))


def encode_text(card: SyntheticCard) -> bytes:
    """The card's 256-byte UCS-2LE text block, space padded, type flag at byte 248."""
    block = ucs2_block(TEXT_BYTES)
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


def synthetic_fingerprints(count: int) -> bytes:
    """Filler of the size of `count` 512-byte minutiae templates; no biometric meaning."""
    return bytes((i * 11 + 5) % 256 for i in range(count * TEMPLATE_BYTES))


def status_frame(sw3: int, data: bytes = b"", sw1: int = 0, sw2: int = 0) -> bytes:
    return build_frame(bytes([sw1, sw2, sw3]) + data)


def read_frame(card: SyntheticCard, fingerprints: bool) -> bytes:
    """The answer to `30 01` (1295 bytes) or `30 10` (1297, 1809 or 2321 bytes)."""
    blocks = [encode_text(card), synthetic_photo()]
    if fingerprints:
        blocks.append(synthetic_fingerprints(card.fingerprints))
    lengths = b"".join(len(block).to_bytes(2, "big") for block in blocks)
    return status_frame(0x90, lengths + b"".join(blocks))


@dataclass
class Faults:
    """What goes wrong next; `ok` clears them all. A fault aimed at a command is used up when it fires."""

    silent: bool = False  # answer nothing at all (reader hung, cable half out)
    drop: list[str] = field(default_factory=list)  # answer nothing to the next of these commands
    garble: list[str] = field(default_factory=list)  # flip one byte in the next answer to these
    split: tuple[int, float] | None = None  # write answers in pieces of N bytes, S seconds apart
    moved: int = 0  # the next N reads fail (41) while the card stays: it slid
    lift_mid_read: bool = False  # the next read fails (41) and the card is gone
    card_status: int | None = None  # the next read answers this SW3 (31/32/33 forged, 40, 47)
    sam_status: int | None = None  # every command answers this SW3 (60 self-test, 66 unauthorised)
    error_sw12: tuple[int, int] = (0, 0)  # SW1 SW2 sent with card-side error codes


def _take(aims: list[str], command: str) -> bool:
    """Use up the first fault aimed at `command` (or at any command)."""
    for aim in (command, "any"):
        if aim in aims:
            aims.remove(aim)
            return True
    return False


class IdCardSimulator(PtyDevice):
    """A SAM with a card field: no card → found → selected → read, and a read card answers "no card"
    until it is lifted and placed again, whether it still lies there or not (research notes §12): the
    simulator, like the SAM, gives no way to tell "lifted" from "still lying there after its read".

    `link` is a stable path re-pointed at the current pty, as udev keeps /dev/kiosk/idcard pointing at
    whichever ttyUSB the reader got; `unplug()` and `plug()` make the pty disappear and reappear.
    """

    def __init__(
        self, baud: int = 115200, link: Path | None = None, seed: int = 0, queue: Iterable[SyntheticCard] = ()
    ) -> None:
        super().__init__(baud)
        self.link = link
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.queue: deque[SyntheticCard] = deque(queue)  # `next` places them one after the other
        self.card: SyntheticCard | None = None
        self.card_state = "none"  # none | present | found | selected | read
        self.faults = Faults()
        self.commands: list[tuple[int, int]] = []
        self.answer_sizes: list[int] = []
        self.plugged = True
        self._reset_line()

    def _reset_line(self) -> None:
        self.decoder = FrameDecoder()
        self._bad_seen = (0, 0)

    @property
    def path(self) -> str:
        """The path a driver should open: the stable link if there is one, else the pty itself."""
        return str(self.link) if self.link else self.port

    # --- life cycle ---

    def start(self) -> IdCardSimulator:
        if self.link:
            temporary = self.link.with_name(f".{self.link.name}.{os.getpid()}")
            temporary.unlink(missing_ok=True)
            temporary.symlink_to(self.port)
            temporary.replace(self.link)  # atomic: a driver never sees the link missing while it moves
        super().start()
        return self

    def stop(self) -> None:
        if not self.plugged:  # closing the pty twice could close descriptors reused since
            return
        self.plugged = False
        super().stop()
        if self.link and self.link.is_symlink() and os.readlink(self.link) == self.port:
            self.link.unlink(missing_ok=True)

    def unplug(self) -> None:
        """The USB cable pulled: the pty closes under the driver and the stable link goes away."""
        self.stop()

    def plug(self) -> None:
        """Plugged back: a fresh pty (a new ttyUSB number), the link re-pointed, the SAM reset. A card
        still lying on the reader powers up again, so it is found as newly placed."""
        if self.plugged:
            return
        self.plugged = True
        PtyDevice.__init__(self, self.baud)
        self._reset_line()
        with self.lock:
            if self.card is not None:
                self.card_state = "present"
        self.start()

    # --- what hands do ---

    def place(self, card: SyntheticCard) -> None:
        with self.lock:
            self.card, self.card_state = card, "present"

    def lift(self) -> None:
        with self.lock:
            self.card, self.card_state = None, "none"

    def place_next(self) -> SyntheticCard | None:
        """Put the next queued card on the reader (for `kiosk sim idcard` and the demo)."""
        if not self.queue:
            return None
        card = self.queue.popleft()
        self.place(card)
        return card

    # --- the wire ---

    def on_bytes(self, data: bytes) -> None:
        bodies = self.decoder.feed(data)
        seen = self._bad_seen
        self._bad_seen = (self.decoder.bad_checksums, self.decoder.bad_lengths)
        for sw3, now, before in zip((0x10, 0x11), self._bad_seen, seen, strict=True):
            for _ in range(now - before):  # the SAM's answer to a request it could not take
                self._reply(status_frame(sw3), "bad request", request_bytes=0)
        for body in bodies:
            cmd, para = body[0], body[1]
            self.commands.append((cmd, para))
            with self.lock:
                frame = self._answer(cmd, para, body[2:])
            self._reply(frame, COMMAND_NAMES.get((cmd, para), "other"), request_bytes=len(body) + 8)
            if cmd == 0x60 and para in BAUDS:
                self.baud = BAUDS[para]  # the answer went out at the old speed

    def _reply(self, frame: bytes, command: str, request_bytes: int) -> None:
        faults = self.faults
        if faults.silent or _take(faults.drop, command):
            return
        if _take(faults.garble, command):
            position = self.rng.randrange(len(frame))
            frame = frame[:position] + bytes([frame[position] ^ 0x5A]) + frame[position + 1 :]
        # The driver wrote its request at once; on a real line it takes this long to arrive.
        time.sleep(wire_seconds(request_bytes, self.baud))
        self.answer_sizes.append(len(frame))
        if faults.split is None:
            self.send(frame)
            return
        size, gap = faults.split
        for offset in range(0, len(frame), size):
            self.send(frame[offset : offset + size])
            time.sleep(gap)

    def _answer(self, cmd: int, para: int, data: bytes) -> bytes:
        if self.faults.sam_status is not None:
            return status_frame(self.faults.sam_status)
        handlers = {
            (0x10, 0xFF): self._reset,
            (0x11, 0xFF): lambda: status_frame(0x90),
            (0x12, 0xFF): lambda: status_frame(0x90, SAM_ID),
            (0x20, 0x01): self._find,
            (0x20, 0x02): self._select,
            (0x30, 0x01): lambda: self._read(fingerprints=False),
            (0x30, 0x10): lambda: self._read(fingerprints=True),
            (0x30, 0x03): self._appended_address,
            (0x61, 0xFF): lambda: status_frame(0x90 if len(data) == 1 else 0x21),
        }
        if cmd == 0x60:
            return status_frame(0x90 if para in BAUDS else 0x21)
        handler = handlers.get((cmd, para))
        return handler() if handler else status_frame(0x21)

    def _error(self, sw3: int) -> bytes:
        sw1, sw2 = self.faults.error_sw12 if sw3 in CARD_SIDE_ERRORS else (0, 0)
        return status_frame(sw3, sw1=sw1, sw2=sw2)

    def _reset(self) -> bytes:
        if self.card_state in ("found", "selected"):
            self.card_state = "present"
        return status_frame(0x90)

    def _find(self) -> bytes:
        if self.card_state in ("present", "found", "selected"):
            self.card_state = "found"
            return status_frame(0x9F, bytes(4))
        return status_frame(0x80)  # no card, or a card already read: the SAM does not say which

    def _select(self) -> bytes:
        if self.card_state == "found":
            self.card_state = "selected"
            return status_frame(0x90, bytes(8))
        return self._error(0x81)

    def _read(self, fingerprints: bool) -> bytes:
        faults = self.faults
        if self.card_state != "selected" or self.card is None:
            return self._error(0x41)
        if faults.lift_mid_read:
            faults.lift_mid_read = False
            self.card, self.card_state = None, "none"
            return self._error(0x41)
        if faults.moved:
            faults.moved -= 1
            self.card_state = "present"
            return self._error(0x41)
        if faults.card_status is not None:
            status, faults.card_status = faults.card_status, None
            self.card_state = "present"
            return self._error(status)
        self.card_state = "read"  # found again only after a lift and a new placement
        return read_frame(self.card, fingerprints)

    def _appended_address(self) -> bytes:
        if self.card is None or self.card_state not in ("selected", "read"):
            return self._error(0x41)
        if not self.card.appended_address:
            return status_frame(0x91)
        block = ucs2_block(ADDRESS_BYTES)
        encoded = self.card.appended_address.encode("utf-16-le")[:ADDRESS_BYTES]
        block[: len(encoded)] = encoded
        return status_frame(0x90, bytes(block))

    # --- scripting: the words of `kiosk sim idcard` on stdin, also used by tests ---

    def script(self, line: str) -> bool:
        """Apply one command line (see SCRIPT_HELP); False when it is not understood."""
        words = line.split()
        try:
            return bool(words) and self._script(words[0], words[1:])
        except (ValueError, IndexError, KeyError):
            return False

    def _script(self, command: str, args: list[str]) -> bool:
        faults = self.faults
        match command:
            case "place":
                card = people.ALL_TYPES[args[0] if args else "resident"]()
                card.fingerprints = int(args[1]) if len(args) > 1 else 0
                if card.fingerprints not in (0, 1, 2):
                    return False
                self.place(card)
            case "next":
                return self.place_next() is not None
            case "lift":
                self.lift()
            case "unplug":
                self.unplug()
            case "plug":
                self.plug()
            case "silent":
                faults.silent = True
            case "drop" | "garble" if not args or args[0] in (*COMMAND_NAMES.values(), "any"):
                getattr(faults, command).append(args[0] if args else "any")
            case "moved":
                faults.moved = int(args[0]) if args else 1
            case "split":
                faults.split = (int(args[0]) if args else 16, float(args[1]) if len(args) > 1 else 0.02)
            case "lift-mid-read":
                faults.lift_mid_read = True
            case "card":
                faults.card_status = int(args[0], 16)
            case "sam":
                faults.sam_status = int(args[0], 16)
            case "sw12":
                faults.error_sw12 = (int(args[0], 16), int(args[1], 16))
            case "ok":
                self.faults = Faults()
            case _:
                return False
        return True


SCRIPT_HELP = (
    "place [resident|hk_mo_tw|foreign_2017|foreign_2023] [templates 0-2] | next | lift | unplug | plug"
    " | silent | drop [find|select|read|any] | garble [find|select|read|any] | split [BYTES] [SECONDS] | moved [N] | lift-mid-read"
    " | card XX | sam XX | sw12 XX YY | ok | quit"
)

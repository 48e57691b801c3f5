"""GA 467 frame codec: build request frames and cut a byte stream into checked frame bodies.

Bytes in, bytes out: no serial port here, and no knowledge of commands or cards.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from operator import xor

from kiosk.errors import IdCardError

# A frame: preamble AA AA AA 96 69, a big-endian length of everything after it (checksum included),
# the body, then the XOR of the length bytes and the body (research notes §3).
PREAMBLE = b"\xaa\xaa\xaa\x96\x69"
HEADER_BYTES = len(PREAMBLE) + 2
MIN_LENGTH = 3  # CMD PARA CHK, the shortest request
MAX_LENGTH = 0x090A  # a read with two fingerprint templates: the largest frame, 2321 bytes


def checksum(data: bytes) -> int:
    return reduce(xor, data, 0)


def build_frame(body: bytes) -> bytes:
    length = (len(body) + 1).to_bytes(2, "big")
    return PREAMBLE + length + body + bytes([checksum(length + body)])


def build_request(cmd: int, para: int, data: bytes = b"") -> bytes:
    return build_frame(bytes([cmd, para]) + data)


def wire_seconds(byte_count: int, baud: int) -> float:
    """Time on an 8N1 line: ten bit times per byte."""
    return byte_count * 10 / baud


@dataclass(frozen=True)
class Response:
    sw1: int
    sw2: int
    sw3: int  # the SAM's own status; the driver decides on this byte alone (notes §3.3)
    data: bytes


def parse_response(body: bytes) -> Response:
    if len(body) < 3:
        raise IdCardError("IDCARD_BAD_FRAME", detail=f"response body of {len(body)} bytes")
    return Response(body[0], body[1], body[2], body[3:])


def decode_frame(frame: bytes) -> bytes:
    """The body of exactly one complete frame; IDCARD_BAD_FRAME names what is wrong with it."""
    if not frame.startswith(PREAMBLE):
        raise IdCardError("IDCARD_BAD_FRAME", detail="no preamble")
    if len(frame) < HEADER_BYTES:
        raise IdCardError("IDCARD_BAD_FRAME", detail=f"truncated header ({len(frame)} bytes)")
    length = int.from_bytes(frame[5:7], "big")
    if not MIN_LENGTH <= length <= MAX_LENGTH:
        raise IdCardError("IDCARD_BAD_FRAME", detail=f"length field {length}")
    if len(frame) != HEADER_BYTES + length:
        raise IdCardError("IDCARD_BAD_FRAME", detail=f"{len(frame)} bytes for length field {length}")
    if checksum(frame[5:-1]) != frame[-1]:
        raise IdCardError("IDCARD_BAD_FRAME", detail="checksum")
    return frame[HEADER_BYTES:-1]


class FrameDecoder:
    """Cuts a byte stream into frame bodies and slides over garbage to the next good frame.

    Only bodies whose length and checksum are right come out. A candidate frame whose length field
    is out of range or whose checksum fails is counted and skipped. A candidate still waiting for
    bytes is given up as soon as a later preamble starts a complete, correct frame, so a corrupt
    length field cannot hide the answer that follows it.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self.bytes_seen = 0
        self.bad_lengths = 0
        self.bad_checksums = 0

    @property
    def bad_frames(self) -> int:
        return self.bad_lengths + self.bad_checksums

    @property
    def pending(self) -> int:
        """Bytes held that may still become a frame."""
        return len(self._buffer)

    def feed(self, data: bytes) -> list[bytes]:
        self.bytes_seen += len(data)
        self._buffer += data
        bodies = []
        while (body := self._next_body()) is not None:
            bodies.append(body)
        return bodies

    def _next_body(self) -> bytes | None:
        buffer = self._buffer
        while True:
            start = buffer.find(PREAMBLE)
            if start < 0:
                del buffer[: max(0, len(buffer) - len(PREAMBLE) + 1)]  # keep what may begin one
                return None
            del buffer[:start]
            verdict = self._candidate(0)
            if verdict == "incomplete":
                later = self._later_complete_frame()
                if later is None:
                    return None
                self.bad_lengths += 1
                del buffer[:later]
                continue
            if verdict == "ok":
                end = HEADER_BYTES + int.from_bytes(buffer[5:7], "big")
                body = bytes(buffer[HEADER_BYTES : end - 1])
                del buffer[:end]
                return body
            if verdict == "bad length":
                self.bad_lengths += 1
            else:
                self.bad_checksums += 1
            del buffer[:1]

    def _candidate(self, start: int) -> str:
        """'ok', 'incomplete', 'bad length' or 'bad checksum' for the frame starting at `start`."""
        buffer = self._buffer
        if len(buffer) - start < HEADER_BYTES:
            return "incomplete"
        length = int.from_bytes(buffer[start + 5 : start + 7], "big")
        if not MIN_LENGTH <= length <= MAX_LENGTH:
            return "bad length"
        end = start + HEADER_BYTES + length
        if len(buffer) < end:
            return "incomplete"
        return "ok" if checksum(buffer[start + 5 : end - 1]) == buffer[end - 1] else "bad checksum"

    def _later_complete_frame(self) -> int | None:
        start = self._buffer.find(PREAMBLE, 1)
        while start > 0:
            if self._candidate(start) == "ok":
                return start
            start = self._buffer.find(PREAMBLE, start + 1)
        return None

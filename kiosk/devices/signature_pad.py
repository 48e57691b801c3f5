"""Signature pad speaking the Wacom ISDV4 (W8001) serial pen protocol.

Reads top-down: packet codec (sync on bit 7), commands, packet parser (pure), pad object. Coordinates
are scaled with the maximum the pad reports; no UI or flow here.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import serial

from kiosk.errors import SignaturePadError

# --- Codec -------------------------------------------------------------------------------------
# Every packet starts with a byte that has bit 7 set; all other bytes have it clear.

HEADER_BIT = 0x80
CONTROL_BIT = 0x40
TOUCH_BIT = 0x10
PEN_PACKET = 9
CONTROL_PACKET = 11
TOUCH_PACKET = 5


def packet_length(header: int) -> int:
    if header & CONTROL_BIT:
        return CONTROL_PACKET
    if header & TOUCH_BIT:
        return TOUCH_PACKET
    return PEN_PACKET


class PacketDecoder:
    """Splits the byte stream into packets; bytes before a header and cut-short packets are dropped."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.dropped = 0

    def feed(self, data: bytes) -> list[bytes]:
        self.buffer += data
        packets = []
        while self.buffer:
            if not self.buffer[0] & HEADER_BIT:
                del self.buffer[0]
                self.dropped += 1
                continue
            size = packet_length(self.buffer[0])
            interrupted = next(
                (i for i in range(1, min(size, len(self.buffer))) if self.buffer[i] & HEADER_BIT), None
            )
            if interrupted is not None:
                del self.buffer[:interrupted]
                self.dropped += interrupted
                continue
            if len(self.buffer) < size:
                break
            packets.append(bytes(self.buffer[:size]))
            del self.buffer[:size]
        return packets


# --- Commands ----------------------------------------------------------------------------------

CMD_STOP = b"0"
CMD_START = b"1"
CMD_QUERY = b"*"
POINTS_PER_MM = 100  # W8001 pen resolution


# --- Parser (pure) -----------------------------------------------------------------------------


def _coordinates(p: bytes) -> tuple[int, int, int]:
    x = p[1] << 9 | p[2] << 2 | (p[6] >> 5) & 0x03
    y = p[3] << 9 | p[4] << 2 | (p[6] >> 3) & 0x03
    pressure = p[5] | (p[6] & 0x07) << 7
    return x, y, pressure


@dataclass(frozen=True)
class PadInfo:
    max_x: int
    max_y: int
    max_pressure: int
    version: int

    @property
    def width_mm(self) -> float:
        return self.max_x / POINTS_PER_MM

    @property
    def height_mm(self) -> float:
        return self.max_y / POINTS_PER_MM


@dataclass(frozen=True)
class PenSample:
    x: int
    y: int
    pressure: int
    tip: bool
    proximity: bool
    t: float  # seconds, host clock at arrival


def parse_query(packet: bytes) -> PadInfo:
    if len(packet) != CONTROL_PACKET or not packet[0] & CONTROL_BIT:
        raise SignaturePadError("SIGPAD_SILENT", detail=f"not a query reply: {packet.hex()}")
    max_x, max_y, max_pressure = _coordinates(packet)
    return PadInfo(max_x, max_y, max_pressure, packet[9] << 7 | packet[10])


def parse_pen(packet: bytes, t: float) -> PenSample | None:
    """A pen packet as a sample; None for control and touch packets."""
    if len(packet) != PEN_PACKET or packet[0] & (CONTROL_BIT | TOUCH_BIT):
        return None
    x, y, pressure = _coordinates(packet)
    return PenSample(x, y, pressure, tip=bool(packet[0] & 0x01), proximity=bool(packet[0] & 0x20), t=t)


# --- Pad ---------------------------------------------------------------------------------------


class SignaturePad:
    def __init__(self, port: str, baud: int = 38400, reply_timeout: float = 1.0) -> None:
        self.port_name = port
        self.baud = baud
        self.reply_timeout = reply_timeout
        self.port: serial.Serial | None = None
        self.decoder = PacketDecoder()
        self.info: PadInfo | None = None

    def open(self) -> PadInfo:
        """Open the port, stop streaming, ask for the pad's ranges (the wake-up sequence of the kernel driver)."""
        try:
            self.port = serial.Serial(self.port_name, self.baud, timeout=0.05, exclusive=True)
        except serial.SerialException as e:
            raise SignaturePadError("SIGPAD_NO_PAD", detail=f"{self.port_name}: {e}") from None
        self._write(CMD_STOP)
        time.sleep(0.25)
        self.port.reset_input_buffer()
        self._write(CMD_QUERY)
        self.info = parse_query(self._await_control())
        return self.info

    def close(self) -> None:
        if self.port:
            self.port.close()
            self.port = None

    def start(self) -> None:
        self.decoder = PacketDecoder()
        self._write(CMD_START)

    def stop(self) -> None:
        self._write(CMD_STOP)

    def read_samples(self, timeout: float = 0.05) -> list[PenSample]:
        """Pen samples that arrived within `timeout`."""
        port = self._port()
        try:
            data = port.read(max(1, port.in_waiting))
        except (serial.SerialException, OSError) as e:
            self.close()
            raise SignaturePadError("SIGPAD_NO_PAD", detail=f"{self.port_name}: {e}") from None
        now = time.monotonic()
        samples = (parse_pen(p, now) for p in self.decoder.feed(data))
        return [s for s in samples if s is not None]

    def to_mm(self, sample: PenSample) -> tuple[float, float, float]:
        assert self.info is not None
        return (
            sample.x / POINTS_PER_MM,
            sample.y / POINTS_PER_MM,
            sample.pressure / max(1, self.info.max_pressure),
        )

    def _port(self) -> serial.Serial:
        if self.port is None:
            raise SignaturePadError("SIGPAD_NO_PAD", detail=f"{self.port_name} not open")
        return self.port

    def _write(self, command: bytes) -> None:
        try:
            self._port().write(command)
        except (serial.SerialException, OSError) as e:
            self.close()
            raise SignaturePadError("SIGPAD_NO_PAD", detail=f"{self.port_name}: {e}") from None

    def _await_control(self) -> bytes:
        deadline = time.monotonic() + self.reply_timeout
        while time.monotonic() < deadline:
            for packet in self.decoder.feed(self._port().read(CONTROL_PACKET)):
                if packet[0] & CONTROL_BIT:
                    return packet
        raise SignaturePadError("SIGPAD_SILENT", detail=f"{self.port_name}: no reply to query")


def probe(port: str, timeout: float = 1.0, baud: int = 38400) -> bool:
    """Whether an ISDV4 pad answers the pen query on `port` within `timeout` seconds."""
    pad = SignaturePad(port, baud, reply_timeout=timeout)
    try:
        pad.open()
    except SignaturePadError:
        return False
    finally:
        pad.close()
    return True

"""Signature pad speaking the Wacom ISDV4 (W8001) serial pen protocol.

Reads top-down: packet codec (sync on bit 7), commands, packet parser (pure), pad object. Coordinates
are scaled with the maximum the pad reports; no UI or flow here.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import serial

from kiosk.devices.profiles import load_profile
from kiosk.errors import SignaturePadError


@dataclass(frozen=True)
class PadProfile:
    """A pad model (kiosk/devices/profiles/*.toml)."""

    name: str
    baud: int = 38400
    packets_per_second: float = 133.0
    points_per_mm: int = 100
    max_x: int = 0  # ranges for pads whose query reply is wrong; 0: as the pad reports
    max_y: int = 0
    max_pressure: int = 0

    def correct(self, info: PadInfo) -> PadInfo:
        return PadInfo(
            self.max_x or info.max_x,
            self.max_y or info.max_y,
            self.max_pressure or info.max_pressure,
            info.version,
        )


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
ISDV4_RATES = (38400, 19200)  # inputattach's rule: try the other rate when the query goes unanswered


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
    def __init__(self, port: str, baud: int = 0, reply_timeout: float = 1.0, profile: str = "isdv4") -> None:
        self.profile = load_profile(PadProfile, profile)
        self.port_name = port
        self.baud = baud or self.profile.baud
        self.reply_timeout = reply_timeout
        self.port: serial.Serial | None = None
        self.decoder = PacketDecoder()
        self.info: PadInfo | None = None
        self._last_t = 0.0

    def open(self) -> PadInfo:
        """Open the port, stop streaming, ask for the pad's ranges (the wake-up sequence of the
        kernel driver); if the pad stays silent, try the other ISDV4 rate once."""
        rates = [self.baud, *(r for r in ISDV4_RATES if r != self.baud)][:2]
        for rate in rates:
            try:
                self.info = self._query_at(rate)
            except SignaturePadError as e:
                self.close()
                if e.code != "SIGPAD_SILENT" or rate == rates[-1]:
                    raise
                continue
            self.baud = rate
            return self.info
        raise SignaturePadError("SIGPAD_SILENT", detail=self.port_name)

    def _query_at(self, baud: int) -> PadInfo:
        try:
            self.port = serial.Serial(self.port_name, baud, timeout=0.05, exclusive=True)
        except (serial.SerialException, OSError) as e:
            raise SignaturePadError("SIGPAD_NO_PAD", detail=f"{self.port_name}: {e}") from None
        self._write(CMD_STOP)
        time.sleep(0.25)
        self.port.reset_input_buffer()
        self.decoder = PacketDecoder()
        self._write(CMD_QUERY)
        return self.profile.correct(parse_query(self._await_control()))

    def close(self) -> None:
        if self.port:
            self.port.close()
            self.port = None

    def __enter__(self) -> SignaturePad:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        self.decoder = PacketDecoder()
        self._last_t = 0.0
        self._write(CMD_START)

    def stop(self) -> None:
        self._write(CMD_STOP)

    def read_samples(self) -> list[PenSample]:
        """Pen samples that arrived since the last call (waiting at most the port's 50 ms timeout).

        ISDV4 packets carry no time: each gets the time it left the pad, counted back from the arrival
        of the batch at the pad's packet rate, so speeds (and the ink width) stay true.
        """
        port = self._port()
        try:
            data = port.read(max(1, port.in_waiting))
        except (serial.SerialException, OSError) as e:
            self.close()
            raise SignaturePadError("SIGPAD_NO_PAD", detail=f"{self.port_name}: {e}") from None
        now = time.monotonic()
        packets = self.decoder.feed(data)
        interval = 1 / self.profile.packets_per_second
        samples = []
        for i, packet in enumerate(packets):
            t = max(now - (len(packets) - 1 - i) * interval, self._last_t + interval / 2)
            sample = parse_pen(packet, t)
            if sample is not None:
                samples.append(sample)
                self._last_t = t
        return samples

    def to_mm(self, sample: PenSample) -> tuple[float, float, float]:
        assert self.info is not None
        per_mm = self.profile.points_per_mm
        return sample.x / per_mm, sample.y / per_mm, sample.pressure / max(1, self.info.max_pressure)

    def capture(
        self, timeout: float = 60.0, done_after_s: float = 3.0
    ) -> list[list[tuple[float, float, float, float]]]:
        """Strokes in mm, pressure 0..1 and ms, until the pen has been away for `done_after_s` after
        some ink, or `timeout` passes (for the command line; the kiosk's flow has its own buttons)."""
        self.start()
        strokes: list[list[tuple[float, float, float, float]]] = []
        began = last_ink = time.monotonic()
        pen_down = False
        try:
            while time.monotonic() - began < timeout:
                for sample in self.read_samples():
                    if sample.tip:
                        if not pen_down:
                            strokes.append([])
                        x, y, pressure = self.to_mm(sample)
                        strokes[-1].append((x, y, pressure, (sample.t - began) * 1000))
                        last_ink = time.monotonic()
                    pen_down = sample.tip
                if strokes and not pen_down and time.monotonic() - last_ink > done_after_s:
                    break
        finally:
            self.stop()
        return strokes

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
    """Whether an ISDV4 pad answers the pen query on `port` at `baud` within `timeout` seconds."""
    pad = SignaturePad(port, baud, reply_timeout=timeout)
    try:
        pad._query_at(baud)
    except SignaturePadError:
        return False
    finally:
        pad.close()
    return True

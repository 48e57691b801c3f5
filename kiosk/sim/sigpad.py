"""An ISDV4 signature pad on a pseudo-terminal: answers the query and, once started, replays a
recorded or generated signature as 9-byte pen packets at the pad's packet rate.

Like a real UART it hears nothing useful when the host's line speed differs from its own.
"""

from __future__ import annotations

import math
import termios
import threading
import time

from kiosk.sim.pty import PtyDevice

MAX_X, MAX_Y, MAX_PRESSURE, VERSION = 15200, 9500, 1023, 288  # a 152 x 95 mm active area
PACKETS_PER_SECOND = 133


def _split(value: int) -> tuple[int, int, int]:
    """A 16-bit coordinate as (bits 15-9, bits 8-2, bits 1-0)."""
    return value >> 9 & 0x7F, value >> 2 & 0x7F, value & 0x03


def encode_packet(header: int, x: int, y: int, pressure: int, size: int) -> bytes:
    xh, xm, xl = _split(x)
    yh, ym, yl = _split(y)
    byte6 = xl << 5 | yl << 3 | pressure >> 7 & 0x07
    packet = bytes([header, xh, xm, yh, ym, pressure & 0x7F, byte6, 0, 0])
    return packet if size == 9 else packet + bytes([VERSION >> 7 & 0x7F, VERSION & 0x7F])


def pen_packet(x: int, y: int, pressure: int, tip: bool, proximity: bool = True) -> bytes:
    header = 0x80 | (0x20 if proximity else 0) | (0x01 if tip else 0)
    return encode_packet(header, x, y, pressure, 9)


def query_reply() -> bytes:
    return encode_packet(0xC0, MAX_X, MAX_Y, MAX_PRESSURE, 11)


def synthetic_signature(seed: int = 0) -> list[list[tuple[int, int, int]]]:
    """A few cursive-looking strokes in pad units, as (x, y, pressure) samples."""
    strokes = []
    for k in range(3):
        left = 2000 + k * 4200
        stroke = []
        for i in range(60):
            t = i / 59
            x = left + 3400 * t + 500 * math.sin(2 * math.pi * (2 + seed % 3) * t)
            y = 4800 + 1800 * math.sin(2 * math.pi * (1.5 + k * 0.5) * t) * (1 - 0.4 * t)
            pressure = int(MAX_PRESSURE * (0.35 + 0.5 * math.sin(math.pi * t)))
            stroke.append((int(x), int(y), pressure))
        strokes.append(stroke)
    return strokes


def from_strokes_mm(
    strokes: list[list[list[float]]], points_per_mm: int = 100
) -> list[list[tuple[int, int, int]]]:
    """A recorded signature (strokes of x_mm, y_mm, pressure 0..1, …, e.g. `kiosk devices sign`'s
    output) in pad units, for replay."""
    return [
        [
            (round(p[0] * points_per_mm), round(p[1] * points_per_mm), round(p[2] * MAX_PRESSURE))
            for p in stroke
        ]
        for stroke in strokes
        if stroke
    ]


class SignaturePadSimulator(PtyDevice):
    def __init__(self, baud: int = 38400, packets_per_second: float = PACKETS_PER_SECOND) -> None:
        super().__init__(baud)
        self.packets_per_second = packets_per_second
        self.signature = synthetic_signature()
        self.streaming = threading.Event()
        self.silent = False
        self.replays = 0

    def _host_speed_matches(self) -> bool:
        speed = termios.tcgetattr(self.master)[5]  # the master reports the slave's (the host's) line
        return speed == getattr(termios, f"B{self.baud}", None)

    def on_bytes(self, data: bytes) -> None:
        if self.silent or not self._host_speed_matches():
            return
        for command in data:
            if command == ord("*"):
                self.send(query_reply())
            elif command == ord("1") and not self.streaming.is_set():
                self.streaming.set()
                threading.Thread(target=self._replay, daemon=True).start()
            elif command == ord("0"):
                self.streaming.clear()

    def _replay(self) -> None:
        interval = 1 / self.packets_per_second
        due = time.monotonic()

        def emit(packet: bytes, gap: int = 1) -> None:
            nonlocal due
            self.send(packet)
            due += interval * gap  # a fixed cadence, whatever the sending took
            time.sleep(max(0.0, due - time.monotonic()))

        for stroke in self.signature:
            for i, (x, y, pressure) in enumerate(stroke):
                if not self.streaming.is_set():
                    return
                emit(pen_packet(x, y, pressure, tip=i < len(stroke) - 1))
            x, y, _ = stroke[-1]
            emit(pen_packet(x, y, 0, tip=False, proximity=False), gap=10)
        self.replays += 1

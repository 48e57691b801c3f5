"""The reader object the flow and diagnostics use: one GA 467 reader on a serial port, opened
exclusively, one command at a time, a deadline on every answer, retries from find. No UI, no flow.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import termios
import time
from collections.abc import Callable
from dataclasses import dataclass

import serial

from kiosk.devices.idcard import commands
from kiosk.devices.idcard.codec import FrameDecoder, Response, parse_response
from kiosk.devices.idcard.commands import Command
from kiosk.devices.idcard.parser import PHOTO_DECODED, CardData, parse_appended_address, parse_read_data
from kiosk.devices.idcard.photo import WltDecoder
from kiosk.errors import IdCardError

log = logging.getLogger(__name__)

READ_SLICE_S = 0.05  # longest a single blocking read waits before the deadline is looked at again
ANSWER_GAP_S = 0.2  # a pause inside an answer this long ends it (USB adapters batch every 16 ms)
RETRY_PAUSE_S = 0.1  # lets a card that slid settle before the next find
# After a card was found, these failures are worth another find: the card slid, or a frame was lost.
RETRYABLE = {"IDCARD_CARD_MOVED", "IDCARD_BAD_FRAME", "IDCARD_TIMEOUT"}
OPEN_ERRORS = {errno.EAGAIN: "IDCARD_BUSY", errno.EBUSY: "IDCARD_BUSY", errno.EACCES: "IDCARD_NO_PERMISSION"}


@dataclass(frozen=True)
class SamId:
    raw: bytes  # the 16 bytes as the SAM sent them: the canonical value
    text: str  # as printed on reader labels


class IdCardReader:
    """A GA 467 reader on `port` (a stable path such as /dev/kiosk/idcard, re-opened by that path
    after an unplug).

    What find can tell: a card lies on the reader that has not been read since it was placed. After a
    read the SAM answers "no card" until the card is lifted and placed again, so a card is read once per
    placement; the same answer means "lifted", so the protocol cannot confirm that a card was taken away.
    """

    def __init__(
        self,
        port: str,
        baud: int = 115200,
        command_timeout: float = 0.5,
        read_timeout: float = 3.0,
        photo_decoder: WltDecoder | None = None,
        read_attempts: int = 3,
    ) -> None:
        self.port_name = port
        self.baud = baud
        self.command_timeout = command_timeout
        self.read_timeout = read_timeout
        self.photo_decoder = photo_decoder
        self.read_attempts = max(1, read_attempts)
        self.port: serial.Serial | None = None

    # --- the port ---

    def open(self) -> None:
        try:
            port = serial.Serial(
                self.port_name,
                self.baud,
                timeout=READ_SLICE_S,
                write_timeout=self.command_timeout,
                exclusive=True,
            )
        except serial.SerialException as e:
            code = OPEN_ERRORS.get(e.errno or 0, "IDCARD_NO_READER")
            raise IdCardError(code, detail=f"{self.port_name}: {e}") from None
        with contextlib.suppress(OSError):  # refuse other opens too, also by programs that ignore flock
            fcntl.ioctl(port.fileno(), termios.TIOCEXCL)
        self.port = port

    def close(self) -> None:
        port, self.port = self.port, None
        if port is None:
            return
        with contextlib.suppress(OSError):  # a pty may outlive us: leave it openable for the next one
            fcntl.ioctl(port.fileno(), termios.TIOCNXCL)
        with contextlib.suppress(serial.SerialException, OSError, termios.error):
            port.close()

    def __enter__(self) -> IdCardReader:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- one command ---

    def transact(self, command: Command, data: bytes = b"") -> Response:
        """Send `command` and return the first correct frame that answers it, whatever its SW3."""
        if self.port is None:
            self.open()
        assert self.port is not None
        timeout = self.read_timeout if command.slow else self.command_timeout
        try:
            self.port.reset_input_buffer()  # a late answer to an earlier command must not pass for this one
            self.port.write(command.request(data))
            return self._await_answer(command, timeout)
        except serial.SerialTimeoutException:
            raise IdCardError("IDCARD_TIMEOUT", detail=f"{self.port_name}: write blocked") from None
        except (serial.SerialException, OSError, termios.error) as e:
            self.close()  # the device went away (USB unplugged); the next command re-opens by path
            raise IdCardError("IDCARD_NO_READER", detail=f"{self.port_name}: {e}") from None

    def _await_answer(self, command: Command, timeout: float) -> Response:
        assert self.port is not None
        decoder = FrameDecoder()
        deadline = time.monotonic() + timeout
        last_byte_at = None
        while (now := time.monotonic()) < deadline:
            chunk = self.port.read(max(1, self.port.in_waiting))
            if chunk:
                last_byte_at = now
                bodies = decoder.feed(chunk)
                if bodies:
                    return parse_response(bodies[0])
            elif last_byte_at is not None and now - last_byte_at >= ANSWER_GAP_S:
                break  # the answer began, stopped, and made no good frame: it will not come right
        if decoder.bytes_seen:
            raise IdCardError(
                "IDCARD_BAD_FRAME",
                detail=f"{command.name}: {decoder.bytes_seen} bytes, {decoder.bad_frames} bad frames, no good one",
            )
        raise IdCardError(
            "IDCARD_TIMEOUT", detail=f"{command.name}: {self.port_name} silent for {timeout:.1f} s"
        )

    def run(self, command: Command, data: bytes = b"") -> bytes:
        """The data of a successful answer to `command`; a typed error for any other answer."""
        return commands.check(command, self.transact(command, data))

    # --- reader commands ---

    def status(self) -> int:
        """The SAM's status byte: 0x90 when it is well; never raises for a SAM fault."""
        return self.transact(commands.STATUS).sw3

    def check_status(self) -> None:
        """Raises the typed error of a SAM that is not well (IDCARD_SAM_FAULT with its status)."""
        self.run(commands.STATUS)

    def sam_id(self) -> SamId:
        raw = self.run(commands.SAM_ID)
        return SamId(raw, commands.format_sam_id(raw))

    def reset(self) -> None:
        self.run(commands.RESET)

    def set_baud(self, baud: int) -> None:
        """Switch the reader's line speed, then follow it: the answer comes at the old speed (an
        assumption, research notes §15), so the port changes only after it."""
        self.run(commands.set_baud(baud))
        assert self.port is not None
        self.port.baudrate = self.baud = baud
        self.run(commands.STATUS)

    # --- cards ---

    def find(self) -> bool:
        """True when a card lies on the reader that has not been read since it was placed."""
        response = self.transact(commands.FIND)
        if response.sw3 == commands.FIND.ok:
            commands.check(commands.FIND, response)
            return True
        if response.sw3 == commands.SW_NO_CARD:
            return False
        raise commands.status_error(commands.FIND, response.sw3)

    def read_card(self, fingerprints: bool = False, appended_address: bool = False) -> CardData:
        """Find, select and read the card on the reader; IDCARD_NO_CARD when there is none."""
        card = self.read_card_if_present(fingerprints=fingerprints, appended_address=appended_address)
        if card is None:
            raise IdCardError("IDCARD_NO_CARD")
        return card

    def read_card_if_present(
        self,
        on_found: Callable[[], None] | None = None,
        fingerprints: bool = False,
        appended_address: bool = False,
    ) -> CardData | None:
        """The card placed since the last read, or None when there is none.

        A read that fails after the card was found (the card slid, a frame was garbled, an answer was
        lost) is tried again from find, up to `read_attempts` times. If find then says "no card", the
        card was lifted, or the SAM finished reading it and the answer was lost on the wire: either way
        the person must place it again, and IDCARD_CARD_MOVED says so.
        """
        if not self.find():
            return None
        if on_found:
            on_found()
        started = time.monotonic()
        for attempt in range(1, self.read_attempts + 1):
            try:
                card = self._select_and_read(fingerprints)
                break
            except IdCardError as e:
                log.info(
                    "idcard.read_attempt_failed",
                    extra={"event": "idcard.read_attempt_failed", "code": e.code, "attempt": attempt},
                )
                if e.code not in RETRYABLE or attempt == self.read_attempts:
                    raise
            time.sleep(RETRY_PAUSE_S)
            if not self.find():
                raise IdCardError("IDCARD_CARD_MOVED", detail="card gone after a failed read")
        if appended_address and (address := self.newest_address()):
            card.extra["appended_address"] = address
        if self.photo_decoder is not None and (bmp := self.photo_decoder.decode(card.raw_photo)):
            card.photo, card.photo_bmp = PHOTO_DECODED, bmp
        log.info(
            "idcard.read",
            extra={
                "event": "idcard.read",
                "card_type": card.card_type,
                "attempts": attempt,
                "ms": round((time.monotonic() - started) * 1000),
            },
        )
        return card

    def _select_and_read(self, fingerprints: bool) -> CardData:
        self.run(commands.SELECT)
        command = commands.READ_WITH_FINGERPRINTS if fingerprints else commands.READ
        return parse_read_data(self.run(command), with_fingerprints=fingerprints)

    def newest_address(self) -> str | None:
        """The newest appended address (追加住址) of the card just read; None when it has none."""
        response = self.transact(commands.READ_NEW_ADDRESS)
        if response.sw3 == commands.SW_NO_CONTENT:
            return None
        return parse_appended_address(commands.check(commands.READ_NEW_ADDRESS, response))


def probe(port: str, timeout: float = 1.0) -> bool:
    """Whether a GA 467 reader answers a status check on `port` within `timeout` seconds (device
    detection). Any correct frame counts, also one reporting a SAM fault: a reader is there."""
    try:
        with IdCardReader(port, command_timeout=timeout) as reader:
            reader.status()
    except IdCardError:
        return False
    return True

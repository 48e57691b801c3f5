"""Bad network links on loopback, for the upload fault harness and the upload bench.

FaultProxy understands HTTP/1.1 requests (Content-Length bodies) and, by a seeded plan, passes them,
drops them, cuts them mid-body, stalls, answers 500/503 itself, hides the server's answer behind an
error, truncates the answer, or delivers a copy late (after the client's retry: reordering).
ThrottledLink pumps TCP bytes at a fixed rate and cuts every connection at a fixed interval.
Each runs its own asyncio loop on a daemon thread. Test equipment: never used by a terminal.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Coroutine

FAULTS = ("pass", "drop", "cut_request", "stall", "error_500", "error_503", "error_after", "truncate", "late")
MAX_HEAD = 64 * 1024


class _LoopThread:
    """An asyncio loop on a daemon thread, serving one listening socket on 127.0.0.1."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.server: asyncio.AbstractServer | None = None
        self.port = 0
        self.tasks: set[asyncio.Task] = set()

    def _start(self, handler: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Coroutine]) -> None:
        self.thread.start()

        async def listen() -> None:
            self.server = await asyncio.start_server(self._track(handler), "127.0.0.1", 0)
            self.port = self.server.sockets[0].getsockname()[1]

        asyncio.run_coroutine_threadsafe(listen(), self.loop).result(10)

    def _track(self, handler: Callable) -> Callable:
        async def tracked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.current_task()
            self.tasks.add(task)
            try:
                await handler(reader, writer)
            except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
                pass
            finally:
                self.tasks.discard(task)
                writer.close()

        return tracked

    def spawn(self, coroutine: Coroutine) -> None:
        task = self.loop.create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def stop(self) -> None:
        async def close() -> None:
            if self.server:
                self.server.close()
            tasks = [task for task in self.tasks if task is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(close(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


async def _read_message(reader: asyncio.StreamReader, bodyless: bool = False) -> tuple[bytes, bytes]:
    """One HTTP message: (head including the blank line, body by Content-Length)."""
    head = await reader.readuntil(b"\r\n\r\n")
    if len(head) > MAX_HEAD:
        raise ConnectionError("head too long")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    body = b"" if bodyless else await reader.readexactly(length)
    return head, body


def _status(head: bytes) -> int:
    return int(head.split(b" ", 2)[1])


class FaultProxy(_LoopThread):
    """An HTTP proxy that misbehaves by a seeded plan; `faults` counts what it did."""

    def __init__(self, upstream_port: int, seed: int, fault_rate: float = 0.3, stall_s: float = 3.0) -> None:
        super().__init__()
        self.upstream_port = upstream_port
        self.random = random.Random(seed)
        self.fault_rate = fault_rate
        self.stall_s = stall_s
        self.faults: Counter[str] = Counter()

    def start(self) -> FaultProxy:
        self._start(self._serve)
        return self

    def plan(self) -> str:
        if self.random.random() >= self.fault_rate:
            return "pass"
        return self.random.choice(FAULTS[1:])

    async def _serve(self, client: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        try:
            while True:
                head, body = await _read_message(client)
                fault = self.plan()
                self.faults[fault] += 1
                if fault == "drop":
                    return
                if fault == "stall":
                    await asyncio.sleep(self.stall_s)
                    return
                if fault in ("error_500", "error_503"):
                    client_writer.write(_error(int(fault[-3:])))
                    await client_writer.drain()
                    continue
                if fault == "late":
                    self.spawn(self._late(head, body))
                    return
                if upstream is None:
                    upstream = await asyncio.open_connection("127.0.0.1", self.upstream_port)
                if fault == "cut_request":
                    upstream[1].write(head + body[: self.random.randrange(len(body) + 1)])
                    await upstream[1].drain()
                    return
                upstream[1].write(head + body)
                await upstream[1].drain()
                answer = b"".join(await _read_message(upstream[0], head.startswith(b"HEAD ")))
                if fault == "error_after":
                    answer = _error(500)
                elif fault == "truncate":
                    client_writer.write(answer[: self.random.randrange(len(answer))])
                    await client_writer.drain()
                    return
                client_writer.write(answer)
                await client_writer.drain()
        finally:
            if upstream:
                upstream[1].close()

    async def _late(self, head: bytes, body: bytes) -> None:
        """Deliver the request after its sender has given up on it (and probably retried)."""
        await asyncio.sleep(self.random.uniform(0.2, 1.5))
        reader, writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        try:
            writer.write(head + body)
            await writer.drain()
            await _read_message(reader, head.startswith(b"HEAD "))
        finally:
            writer.close()


def _error(status: int) -> bytes:
    reason = {500: b"Internal Server Error", 503: b"Service Unavailable"}[status]
    extra = b"Retry-After: 1\r\n" if status == 503 else b""
    return b"HTTP/1.1 %d %s\r\nContent-Length: 0\r\n%s\r\n" % (status, reason, extra)


class ThrottledLink(_LoopThread):
    """A TCP link of `bits_per_second` each way that drops every connection every `cut_every_s`."""

    def __init__(self, upstream_port: int, bits_per_second: int, cut_every_s: float = 0.0) -> None:
        super().__init__()
        self.upstream_port = upstream_port
        self.rate = bits_per_second / 8
        self.cut_every_s = cut_every_s
        self.sent_up = 0  # bytes carried towards the server
        self.cuts = 0
        self.writers: set[asyncio.StreamWriter] = set()
        self.started = time.monotonic()

    def start(self) -> ThrottledLink:
        self._start(self._serve)
        if self.cut_every_s:
            self.spawn(self._cutter())
        return self

    async def _cutter(self) -> None:
        while True:
            await asyncio.sleep(self.cut_every_s)
            self.cuts += 1
            for writer in list(self.writers):
                writer.transport.abort()

    async def _serve(self, client: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        self.writers |= {client_writer, writer}
        try:
            await asyncio.gather(
                self._pump(client, writer, up=True), self._pump(reader, client_writer, up=False)
            )
        finally:
            self.writers -= {client_writer, writer}
            writer.transport.abort()
            client_writer.transport.abort()

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, up: bool) -> None:
        """Forward in small pieces, each when its transmission at the link rate ends; the schedule
        runs on absolute time so that late wake-ups do not slow the link below its rate."""
        due = time.monotonic()
        while data := await reader.read(1024):
            due = max(due, time.monotonic()) + len(data) / self.rate
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            writer.write(data)
            await writer.drain()
            if up:
                self.sent_up += len(data)
        writer.transport.abort()

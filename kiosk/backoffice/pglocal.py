"""A throwaway PostgreSQL server in a temporary folder, for the tests and the benchmark.

Debian's server binaries (package `postgresql`), a Unix socket and a free port on loopback. PostgreSQL
refuses to run as root, so as root it runs as the `postgres` system user. Never for production.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
USER = "kiosk"


def binaries() -> Path | None:
    """The newest installed server's bin folder, or None when PostgreSQL is not installed."""
    return next((d for d in BIN_DIRS if (d / "initdb").exists()), None)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalPostgres:
    def __init__(self, bin_dir: Path, durable: bool = False) -> None:
        self.bin = bin_dir
        self.durable = durable  # fsync on for benchmarks; tests skip it for speed
        self.dir = Path(tempfile.mkdtemp(prefix="kiosk-pg-"))
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.owner = pwd.getpwnam("postgres") if os.geteuid() == 0 else None

    @property
    def url(self) -> str:
        return f"postgresql://{USER}@/{USER}?host={self.dir}&port={self.port}"

    def _run_as_owner(self) -> dict:
        if not self.owner:
            return {}
        owner = self.owner
        return {"user": owner.pw_uid, "group": owner.pw_gid, "extra_groups": []}

    def start(self, timeout: float = 60.0) -> LocalPostgres:
        if self.owner:
            os.chown(self.dir, self.owner.pw_uid, self.owner.pw_gid)
        data = self.dir / "data"
        subprocess.run(
            [self.bin / "initdb", "-D", data, "-U", USER, "-A", "trust", "-E", "UTF8", "--no-sync"],
            check=True,
            capture_output=True,
            **self._run_as_owner(),
        )
        command = [self.bin / "postgres", "-D", data, "-k", self.dir, "-p", str(self.port), "-h", ""]
        if not self.durable:
            command += ["-c", "fsync=off", "-c", "full_page_writes=off", "-c", "synchronous_commit=off"]
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=(self.dir / "server.log").open("wb"),
            **self._run_as_owner(),
        )
        deadline = time.monotonic() + timeout
        while not (self.dir / f".s.PGSQL.{self.port}").exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("PostgreSQL did not start")
            time.sleep(0.1)
        self._createdb(deadline)
        return self

    def _createdb(self, deadline: float) -> None:
        while True:
            done = subprocess.run(
                [self.bin / "createdb", "-h", self.dir, "-p", str(self.port), "-U", USER, USER],
                capture_output=True,
            )
            if done.returncode == 0:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(done.stderr.decode(errors="replace"))
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()  # smart shutdown: waits for clients, then exits
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


@contextlib.contextmanager
def local_postgres(durable: bool = False) -> Iterator[LocalPostgres]:
    bin_dir = binaries()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL server binaries not found (Debian package postgresql)")
    server = LocalPostgres(bin_dir, durable).start()
    try:
        yield server
    finally:
        server.stop()

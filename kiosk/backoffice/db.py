"""SQL connections for the back office's metadata: SQLite (embedded default) or PostgreSQL (psycopg 3).

Both speak the same portable SQL written with `?` placeholders; this module only adapts the driver.
No schema and no queries here: those live in store.py.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

Row = dict[str, Any]


class Database(Protocol):
    dialect: str

    def query(self, sql: str, *args: Any) -> list[Row]: ...

    def execute(self, sql: str, *args: Any) -> int:
        """Run a statement; returns the number of rows it changed."""
        ...

    def transaction(self) -> contextlib.AbstractContextManager[None]: ...

    def script(self, sql: str) -> None: ...

    def close(self) -> None: ...


class SqliteDatabase:
    """One connection in WAL mode, serialised by a re-entrant lock (transactions nest the lock)."""

    dialect = "sqlite"

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.conn.row_factory = sqlite3.Row
        self.lock = threading.RLock()
        with self.lock:
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=FULL")
            self.conn.execute("PRAGMA busy_timeout=10000")

    def query(self, sql: str, *args: Any) -> list[Row]:
        with self.lock:
            return [dict(row) for row in self.conn.execute(sql, args).fetchall()]

    def execute(self, sql: str, *args: Any) -> int:
        with self.lock:
            return self.conn.execute(sql, args).rowcount

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        with self.lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    def script(self, sql: str) -> None:
        with self.lock:
            self.conn.executescript(sql)

    def close(self) -> None:
        with self.lock:
            self.conn.close()


class PostgresDatabase:
    """One autocommit connection per thread; `transaction()` wraps its statements in one transaction."""

    dialect = "postgresql"

    def __init__(self, url: str) -> None:
        import psycopg  # the `backoffice` extra; only a PostgreSQL deployment needs it

        self._psycopg = psycopg
        self.url = url
        self.local = threading.local()
        self.connections: list[Any] = []
        self.lock = threading.Lock()
        self._connection().execute("SELECT 1")  # fail at start-up, not at the first request

    def _connection(self) -> Any:
        conn = getattr(self.local, "conn", None)
        if conn is None or conn.closed:
            from psycopg.rows import dict_row

            conn = self._psycopg.connect(self.url, autocommit=True, row_factory=dict_row)
            self.local.conn = conn
            with self.lock:
                self.connections.append(conn)
        return conn

    @staticmethod
    def _sql(sql: str) -> str:
        return sql.replace("?", "%s")

    def query(self, sql: str, *args: Any) -> list[Row]:
        return list(self._connection().execute(self._sql(sql), args).fetchall())

    def execute(self, sql: str, *args: Any) -> int:
        return self._connection().execute(self._sql(sql), args).rowcount

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        with self._connection().transaction():
            yield

    def script(self, sql: str) -> None:
        conn = self._connection()
        with conn.transaction():
            for statement in filter(str.strip, sql.split(";")):
                conn.execute(statement)

    def close(self) -> None:
        with self.lock:
            for conn in self.connections:
                conn.close()
            self.connections.clear()


def connect(url: str, data_dir: Path) -> Database:
    """`sqlite` (DATA/backoffice.sqlite3), `sqlite:///PATH`, or a `postgresql://` connection URL."""
    if url.startswith(("postgresql://", "postgres://")):
        return PostgresDatabase(url)
    if url in ("", "sqlite"):
        return SqliteDatabase(data_dir / "backoffice.sqlite3")
    if url.startswith("sqlite:///"):
        return SqliteDatabase(Path(url.removeprefix("sqlite:///")))
    raise ValueError(url)

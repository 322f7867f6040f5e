"""Engines for the two backends: SQLite (WAL, busy timeout, BEGIN IMMEDIATE for writes)
and PostgreSQL (psycopg 3)."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

SQLITE_BUSY_MS = 30_000
#: a writer finding the database busy tries again in steps this long, so that it can say
#: that it waits (see `write_wait`)
_WAIT_STEP_MS = 1_000
_FIRST_STEP_MS = 200


@dataclasses.dataclass
class WriteWait:
    """How long a SQLite writer waits for another writer to finish, and whom to tell
    that it is waiting (the CLI prints one line; the daemon logs)."""

    seconds: float = SQLITE_BUSY_MS / 1000
    notify: Callable[[float], None] | None = None


#: for this process: the CLI sets it from --wait
write_wait = WriteWait()


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url`; a bare `postgresql://` URL gets the psycopg 3 driver."""
    parsed = make_url(url)
    if parsed.drivername in {"postgresql", "postgres"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, **kwargs)
    # No server-side prepared statements: PostgreSQL would keep a generic plan made while
    # the queue was small (a sequential scan) long after the table has grown.
    return create_engine(
        parsed, pool_pre_ping=True, connect_args={"prepare_threshold": None}, **kwargs
    )


def _sqlite_engine(url: Any, **kwargs: Any) -> Engine:
    _create_private(url.database)
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_MS / 1000}, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own implicit BEGIN is deferred and comes too late to lock;
        # we emit BEGIN ourselves (below) so a write transaction locks at its start.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA cache_size = -65536")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if not conn.get_execution_options().get("write"):
            conn.exec_driver_sql("BEGIN DEFERRED")
            return
        _begin_writing(conn.connection.driver_connection)

    return engine


def _begin_writing(dbapi_connection: Any) -> None:
    """BEGIN IMMEDIATE, waiting up to `write_wait.seconds` for another writer (a big
    import, say) and saying so once, instead of failing after a silent half minute."""
    deadline = time.monotonic() + write_wait.seconds
    told = False
    cursor = dbapi_connection.cursor()
    step_ms = _FIRST_STEP_MS  # a short first try: say soon that we wait
    try:
        while True:
            left = deadline - time.monotonic()
            cursor.execute(f"PRAGMA busy_timeout = {max(1, min(step_ms, int(left * 1000)))}")
            try:
                cursor.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                left = deadline - time.monotonic()
                if left <= 0:
                    raise sqlite3.OperationalError(
                        f"database is locked: another writer held it for "
                        f"{write_wait.seconds:g} s (--wait)"
                    ) from None
                if not told and write_wait.notify is not None:
                    write_wait.notify(left)
                    told = True
                step_ms = _WAIT_STEP_MS
    finally:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_MS}")
        cursor.close()


def _create_private(database: str | None) -> None:
    """Create a new database file readable by its owner only: it holds the texts of
    campaigns not yet released. SQLite gives its WAL and shared-memory files the same
    permissions. An existing file keeps whatever its owner chose."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    if path.exists():
        return
    with contextlib.suppress(FileNotFoundError, FileExistsError):
        # a missing folder is reported by SQLite itself, with the path, when it opens
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))

"""Opening the database: SQLite in WAL mode with a busy timeout, or PostgreSQL by URL."""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, insert
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from handoff.config import HubConfig, StoreSettings
from handoff.errors import HandoffError
from handoff.store.failures import StoreHealth
from handoff.store.models import Cursor

__all__ = ["DATABASE_URL_ENV", "Store", "StoreError", "database_url", "open_store"]

DATABASE_URL_ENV = "HANDOFF_DATABASE_URL"

log = logging.getLogger("handoff.store")


class StoreError(HandoffError):
    """The database cannot be opened or is not at the expected schema version."""


def database_url(settings: StoreSettings | None = None) -> str:
    """The URL to use: $HANDOFF_DATABASE_URL, else `[store] url`, else ./handoff.db."""
    return os.environ.get(DATABASE_URL_ENV) or (settings or StoreSettings()).url


READ_ONLY = "handoff_read_only"
"""Execution option of the connections `Store.sessions` reads through (SQLite: plain BEGIN)."""

LOCKED_RETRIES = 3
"""How many times a write transaction asks SQLite's writer lock, each up to the busy timeout."""

_WRITERS: dict[str, threading.RLock] = {}
_WRITERS_GUARD = threading.Lock()


def _writer_lock(database: str) -> threading.RLock:
    """A queue, in this process, for one SQLite file's single writer lock, shared by its Stores.

    SQLite's busy handler polls with growing sleeps and no order, so under
    load one thread can keep missing the lock until its busy timeout runs
    out ("database is locked"). Threads of one process wait here instead, in
    turn; only other processes still meet the busy timeout.
    """
    key = os.path.realpath(database) if database and database != ":memory:" else database
    with _WRITERS_GUARD:
        return _WRITERS.setdefault(key, threading.RLock())


def _sqlite_pragmas(busy_timeout_ms: int) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own BEGIN handling defers locks; take control so a write
        # transaction starts with BEGIN IMMEDIATE and never upgrades mid-way.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        # FULL: a commit is on disk before the hub acknowledges what it stored.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    return on_connect


def _sqlite_begin(conn: Any) -> None:
    # A read (Store.sessions) takes a snapshot without the writer lock (WAL: readers never
    # wait); anything else takes the writer lock at BEGIN.
    read_only = conn.get_execution_options().get(READ_ONLY)
    conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def _locked(exc: OperationalError) -> bool:
    return "database is locked" in str(exc.orig)


class Store:
    """An engine and a session factory for one database; the runtime's only way in."""

    def __init__(
        self,
        url: str,
        *,
        busy_timeout_ms: int = 5000,
        pool_size: int = 10,
        connect_timeout_s: int = 5,
    ) -> None:
        try:
            parsed = make_url(url)
        except ArgumentError:
            raise StoreError(f"database URL is not valid: {_redact(url)}") from None
        self.url = url
        self.dialect = parsed.get_backend_name()
        self._writer: threading.RLock | None = None
        if self.dialect == "sqlite":
            database = parsed.database or ""
            self._writer = _writer_lock(database)
            if database and database != ":memory:":
                Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            self.engine: Engine = create_engine(
                parsed, connect_args={"timeout": busy_timeout_ms / 1000}, hide_parameters=True
            )
            event.listen(self.engine, "connect", _sqlite_pragmas(busy_timeout_ms))
            event.listen(self.engine, "begin", _sqlite_begin)
        elif self.dialect == "postgresql":
            self.engine = create_engine(
                parsed,
                pool_size=pool_size,
                max_overflow=pool_size,
                pool_pre_ping=True,
                # An unreachable host fails in seconds instead of the TCP timeout's minutes.
                connect_args={"connect_timeout": connect_timeout_s},
                hide_parameters=True,
            )
        else:
            raise StoreError(
                f"unsupported database '{self.dialect}': use sqlite:///... or "
                "postgresql+psycopg://..."
            )
        self.sessions = sessionmaker(
            self.engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False
        )
        """Sessions to read with (a snapshot; on SQLite without the writer lock)."""
        self._writes = sessionmaker(self.engine, expire_on_commit=False)
        self.health = StoreHealth()

    @property
    def is_postgres(self) -> bool:
        """True on PostgreSQL, where workers claim with SKIP LOCKED."""
        return self.dialect == "postgresql"

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in one write transaction: committed on success, rolled back on error.

        SQLite: the writer lock is taken at once (BEGIN IMMEDIATE), after this
        process's other writers (`_writer_lock`); when another process holds
        it past the busy timeout, asked again up to LOCKED_RETRIES times
        before "database is locked" is raised.
        """
        if self._writer is None:
            with self._writes.begin() as session:
                yield session
            return
        with self._writer:
            session = self._begin_writing()
            with session:
                try:
                    yield session
                except BaseException:
                    session.rollback()
                    raise
                session.commit()

    def _begin_writing(self) -> Session:
        for attempt in range(1, LOCKED_RETRIES + 1):
            session = self._writes()
            try:
                session.begin()
                session.connection()  # BEGIN IMMEDIATE now, while nothing is done to redo
            except OperationalError as exc:
                session.close()
                if not _locked(exc) or attempt == LOCKED_RETRIES:
                    raise
                log.warning(
                    "the database %s is locked by another process; asking again (%d of %d)",
                    self.describe(),
                    attempt + 1,
                    LOCKED_RETRIES,
                )
                continue
            return session
        raise AssertionError("unreachable")  # pragma: no cover

    def check_writable(self) -> None:
        """Raise unless the database takes a write now: insert a probe row, then roll it back.

        Catches what a `select 1` misses: a read-only file or standby, a
        writer lock held past the busy timeout. Nothing is committed, so the
        probe costs no disk flush and leaves no row.
        """
        probe = insert(Cursor).values(
            name=f"health:{uuid.uuid4().hex}", position=0, updated_at=datetime.now(UTC)
        )
        with self._writer or contextlib.nullcontext(), self.engine.connect() as connection:
            transaction = connection.begin()
            try:
                connection.execute(probe)
            finally:
                transaction.rollback()

    def describe(self) -> str:
        """The URL without its password, for messages."""
        return _redact(self.url)

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def _redact(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable URL>"


def open_store(config: HubConfig | None = None, url: str | None = None) -> Store:
    """The Store named by `url`, else $HANDOFF_DATABASE_URL, else handoff.toml's [store]."""
    settings = config.store if config is not None else StoreSettings()
    return Store(
        url or database_url(settings),
        busy_timeout_ms=settings.busy_timeout_ms,
        pool_size=settings.pool_size,
        connect_timeout_s=settings.connect_timeout_s,
    )

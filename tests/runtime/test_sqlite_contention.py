"""SQLite under load: writers queue instead of failing with "database is locked", readers
never wait for a writer, and a writer blocked by another process asks again.

The busy timeout is made tiny (1 ms) so that the old behaviour, every thread
polling SQLite's lock on its own, fails here in a fraction of a second: the
queue, not a longer timeout, is what keeps writers from failing.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError

from handoff.runtime import advance_counter
from handoff.store import Cursor, Store, upgrade
from handoff.store.engine import LOCKED_RETRIES
from handoff_sdk import FakeClock


@pytest.fixture
def tight(tmp_path: Path) -> Iterator[Store]:
    """A store whose busy timeout (1 ms) is far shorter than the writes queued on it."""
    db = Store(f"sqlite:///{tmp_path / 'tight.db'}", busy_timeout_ms=1)
    upgrade(db)
    yield db
    db.dispose()


def slow_write(store: Store, clock: FakeClock, name: str) -> None:
    """One write transaction doing real work: 50 counter moves (longer than the busy timeout)."""
    with store.transaction() as session:
        for _ in range(50):
            advance_counter(session, name, now=clock.now())


def test_sixteen_threads_of_slow_writes_queue_instead_of_failing(
    tight: Store, clock: FakeClock
) -> None:
    other = Store(tight.url, busy_timeout_ms=1)  # a second engine of this process, same file
    failures: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for _ in range(3):
                slow_write(tight if n % 2 else other, clock, f"c-{n % 4}")
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with tight.sessions() as session:
        total = session.scalar(select(func.sum(Cursor.position)))
    assert total == 16 * 3 * 50
    other.dispose()


def test_a_reader_does_not_wait_for_a_writer(tight: Store, clock: FakeClock) -> None:
    """Reads (Store.sessions) take a WAL snapshot, not the writer lock."""
    slow_write(tight, clock, "c")
    seen: list[int | None] = []
    with tight.transaction() as session:
        advance_counter(session, "c", now=clock.now())  # uncommitted: 51
        reader = threading.Thread(target=lambda: seen.append(_position(tight, "c")), name="reader")
        reader.start()
        reader.join(timeout=10)
        assert not reader.is_alive(), "the read waited for the write transaction"
    assert seen == [50]  # the snapshot before the write
    assert _position(tight, "c") == 51


def _position(store: Store, name: str) -> int | None:
    with store.sessions() as session:
        return session.scalar(select(Cursor.position).where(Cursor.name == name))


def test_a_writer_locked_out_by_another_process_asks_again_then_says_so(
    tight: Store, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    """Another process (a plain sqlite3 connection) holds the lock: every try is logged,
    and the error comes only after LOCKED_RETRIES tries of the busy timeout each."""
    database = tight.url.removeprefix("sqlite:///")
    holder = sqlite3.connect(database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    caplog.set_level(logging.WARNING, logger="handoff.store")
    try:
        with pytest.raises(OperationalError, match="database is locked"):
            slow_write(tight, clock, "c")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert caplog.text.count("is locked by another process; asking again") == LOCKED_RETRIES - 1
    slow_write(tight, clock, "c")  # the lock is free: it goes through
    with tight.sessions() as session:
        assert session.scalar(text("select position from cursors where name = 'c'")) == 50

"""The API through a database outage, over a real socket: a read-only file, a full disk,
a constraint error quoting the row, the in-process worker backing off.

While the store cannot write, every route answers 503 in the API's refusal shape
with Retry-After, /health answers 503 saying why, /health/live stays 200, nothing
answered 2xx is lost, and no log line carries the event's payload (the visitor's
email) or the statement's parameters.
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from keyed import key_headers  # type: ignore[import-not-found]
from sqlalchemy import event, func, select

from handoff.runtime import EventHandler
from handoff.server import create_app
from handoff.store import EventRecord, Store, describe_store_error, upgrade
from handoff_sdk import FakeClock

from .conftest import Loopback

EMAIL = "ada.lovelace@example.test"
REFUSAL = {"error": "the database is unavailable; nothing was stored, retry later", "fields": []}


def page_view(n: int) -> dict[str, Any]:
    return {
        "id": f"pv-{n}",
        "visitor_id": "v-1",
        "url": "https://www.example.test/pricing",
        "email": EMAIL,
    }


def stored_keys(store: Store) -> set[str]:
    with store.sessions() as s:
        return set(s.scalars(select(EventRecord.dedupe_key)))


def logged(caplog: pytest.LogCaptureFixture) -> str:
    """Every record as a handler would write it, traceback included."""
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return "\n".join(formatter.format(record) for record in caplog.records)


@contextmanager
def read_only(path: Path) -> Iterator[str]:
    """Make the database file read-only; yields how. Root ignores permission bits, so as
    root the file is also made immutable (chattr), or, where the file system has no such
    flag, SQLite is told to open it read-only, which fails writes the same way."""
    os.chmod(path, 0o444)
    how = "chmod"
    try:
        if os.geteuid() == 0:
            chattr = shutil.which("chattr")
            done = chattr and subprocess.run([chattr, "+i", str(path)], check=False).returncode == 0
            how = "chattr" if done else "sqlite-ro"
        yield how
    finally:
        if how == "chattr":
            subprocess.run(["chattr", "-i", str(path)], check=True)
        os.chmod(path, 0o644)


async def test_a_read_only_database_answers_503_and_health_says_why(
    tmp_path: Path, clock: FakeClock, loopback: Loopback, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "handoff.db"
    writable = Store(f"sqlite:///{path}")
    upgrade(writable)
    admin = key_headers(writable)  # keys are read, not written, by each request
    writable.dispose()
    caplog.set_level(logging.INFO)
    with read_only(path) as how:
        url = (
            f"sqlite:///file:{path}?mode=ro&uri=true" if how == "sqlite-ro" else f"sqlite:///{path}"
        )
        store = Store(url)
        async with loopback(create_app(store, clock=clock), admin) as client:
            refused = await client.post("/v1/page-views", json=page_view(1))
            assert refused.status_code == 503
            assert refused.json() == REFUSAL
            assert refused.headers["retry-after"] == "5"
            health = await client.get("/health")
            assert health.status_code == 503
            body = health.json()
            assert body["status"] == "unavailable"
            assert body["database"]["writable"] is False
            assert "attempt to write a readonly database" in body["database"]["problem"]
            assert body["problems"][0].startswith("database cannot be written: ")
            live = await client.get("/health/live")
            assert (live.status_code, live.json()["status"]) == (200, "alive")
            metrics = (await client.get("/metrics")).text
            assert 'handoff_requests_rejected_total{reason="database_unavailable"} 1.0' in metrics
        store.dispose()
    store = Store(f"sqlite:///{path}")
    assert stored_keys(store) == set()
    async with loopback(create_app(store, clock=clock)) as client:
        again = await client.post("/v1/page-views", json=page_view(1))
        assert (again.status_code, again.json()["duplicate"]) == (202, False)
        assert (await client.get("/health")).status_code == 200
    assert stored_keys(store) == {"hub.page_view:pv-1"}
    assert "readonly database" in caplog.text
    assert EMAIL not in logged(caplog)
    store.dispose()


def _limit_pages(store: Store, pages: int) -> Callable[..., None]:
    """SQLite's own "database or disk is full": the file may not grow past `pages`."""

    def on_connect(connection: Any, _record: Any) -> None:
        connection.execute(f"PRAGMA max_page_count = {pages}")

    store.dispose()
    event.listen(store.engine, "connect", on_connect)
    return on_connect


async def test_a_full_disk_answers_503_loses_nothing_acknowledged_and_recovers(
    store: Store, clock: FakeClock, loopback: Loopback, caplog: pytest.LogCaptureFixture
) -> None:
    """Events are posted until the disk is full: every 202 is stored, every 503 is not."""
    with store.engine.connect() as connection:
        pages = connection.exec_driver_sql("PRAGMA page_count").scalar_one()
    limit = _limit_pages(store, pages + 2)
    caplog.set_level(logging.INFO)
    acknowledged, refused = set(), set()
    async with loopback(create_app(store, clock=clock)) as client:
        for n in range(400):
            answer = await client.post("/v1/page-views", json=page_view(n))
            assert answer.status_code in (202, 503), answer.text
            (acknowledged if answer.status_code == 202 else refused).add(f"hub.page_view:pv-{n}")
            if answer.status_code == 503:
                assert answer.json() == REFUSAL
        assert acknowledged, "the first events fit"
        assert refused, "the disk filled up"
        health = await client.get("/health")
        assert health.status_code == 503
        assert "database or disk is full" in health.json()["database"]["problem"]
        event.remove(store.engine, "connect", limit)
        store.dispose()  # the operator freed space: new connections have no limit
        retried = await client.post("/v1/page-views", json=page_view(399))
        assert retried.status_code == 202
        assert (await client.get("/health")).status_code == 200
    assert stored_keys(store) == acknowledged | {"hub.page_view:pv-399"}
    assert "database or disk is full" in caplog.text
    assert EMAIL not in logged(caplog)


@pytest.mark.postgres
async def test_a_database_error_quoting_the_row_is_logged_without_it(
    pg_store: Store, clock: FakeClock, loopback: Loopback, caplog: pytest.LogCaptureFixture
) -> None:
    """PostgreSQL's DETAIL ("Failing row contains (...)") holds the payload: never logged."""
    with pg_store.engine.begin() as connection:
        connection.exec_driver_sql(
            "ALTER TABLE events ADD CONSTRAINT no_ada CHECK (payload::text NOT LIKE '%%ada.%%')"
        )
    caplog.set_level(logging.INFO)
    async with loopback(create_app(pg_store, clock=clock)) as client:
        answer = await client.post("/v1/page-views", json=page_view(1))
    assert answer.status_code == 500
    assert answer.json() == {"error": "internal error; the server log says more", "fields": []}
    text = logged(caplog)
    assert 'violates check constraint "no_ada"' in text
    assert EMAIL not in text
    assert "Failing row" not in text
    raw = pg_store.engine.raw_connection()  # the driver itself, no SQLAlchemy around it
    try:
        with pytest.raises(psycopg.errors.CheckViolation) as caught:
            raw.cursor().execute(
                "INSERT INTO events (source, dedupe_key, type, received_at, payload) "
                "VALUES ('hub', 'x', 't', now(), %s)",
                (f'{{"email": "{EMAIL}"}}',),
            )
    finally:
        raw.close()
    assert EMAIL in str(caught.value)  # the driver's own text quotes the row...
    assert EMAIL not in describe_store_error(caught.value)  # ...what handoff writes does not


async def test_health_says_when_the_in_process_worker_backs_off(
    store: Store, clock: FakeClock, loopback: Loopback
) -> None:
    """The worker's claims fail: 503 naming the worker's state and error, 200 once it resumes."""

    def refuse_claims(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE JOBS"):
            raise sqlite3.OperationalError("disk I/O error")

    app = create_app(store, clock=clock, with_worker=True, events=EventHandler())
    async with loopback(app) as client:
        for _ in range(200):
            ready = await client.get("/health")
            if ready.json()["worker"]["state"] == "running":
                break
        assert ready.status_code == 200, ready.json()
        event.listen(store.engine, "before_cursor_execute", refuse_claims)
        for _ in range(200):
            health = await client.get("/health")
            if health.status_code == 503:
                break
        body = health.json()
        assert health.status_code == 503, body
        assert body["worker"]["state"] == "backing_off"
        assert body["worker"]["problem"] == "OperationalError: disk I/O error"
        assert "worker backing_off: OperationalError: disk I/O error" in body["problems"]
        event.remove(store.engine, "before_cursor_execute", refuse_claims)
        assert (await client.post("/v1/page-views", json=page_view(1))).status_code == 202
        for _ in range(200):
            health = await client.get("/health")
            if health.status_code == 200:
                break
        assert health.json()["worker"]["state"] == "running"
    with store.sessions() as s:
        assert s.scalar(select(func.count()).where(EventRecord.processed_at.is_not(None))) == 1

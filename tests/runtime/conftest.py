"""Fixtures of the runtime tests: a migrated SQLite store, a private PostgreSQL schema, a hub
whose one connector records every write it receives."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from handoff.config import ConnectorSettings, HubConfig
from handoff.hub import Hub
from handoff.plugins import Discovery
from handoff.store import Store, upgrade
from handoff_sdk import Connector, FakeClock, hookimpl
from handoff_sdk.entities import Case, Notification, WriteResult
from handoff_sdk.secrets import DictSecrets

PG_URL = os.environ.get(
    "HANDOFF_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
"""The PostgreSQL the `postgres` tests use; each test gets its own schema in it."""


def pg_dsn(url: str) -> str:
    """The libpq form of a SQLAlchemy URL."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


class RecordingConnector(Connector):
    """Records each write with its idempotency key; fails on demand, by subject."""

    name = "recorder"
    title = "Recorder"
    calls: list[tuple[str, str, Any]] = []  # noqa: RUF012 - shared on purpose, reset per test
    failures: dict[str, int] = {}  # noqa: RUF012 - text -> times to fail before succeeding

    @hookimpl
    async def handoff_send_notification(
        self, notification: Notification, idempotency_key: str
    ) -> WriteResult:
        type(self).calls.append(("notify", idempotency_key, notification))
        left = type(self).failures.get(notification.text, 0)
        if left:
            type(self).failures[notification.text] = left - 1
            raise ConnectionError(f"slack down for {notification.text}")
        return WriteResult(index=0, ok=True, id=f"msg-{idempotency_key}")

    @hookimpl
    async def handoff_create_case(self, case: Case, idempotency_key: str) -> WriteResult:
        type(self).calls.append(("case", idempotency_key, case))
        return WriteResult(index=0, ok=True, id="case-1", created=True)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A fresh SQLite database at the newest schema revision."""
    db = Store(f"sqlite:///{tmp_path / 'handoff.db'}")
    upgrade(db)
    yield db
    db.dispose()


@pytest.fixture
def recorder() -> Iterator[type[RecordingConnector]]:
    RecordingConnector.calls = []
    RecordingConnector.failures = {}
    yield RecordingConnector
    RecordingConnector.calls = []
    RecordingConnector.failures = {}


def make_hub(clock: FakeClock, classes: dict[str, type[Connector]]) -> Hub:
    """A hub with these connector classes enabled, no secrets, no network."""
    return Hub(
        HubConfig(connectors={name: ConnectorSettings() for name in classes}),
        secrets=lambda name: DictSecrets(name, {}),
        discovery=Discovery(connectors=classes, packages=dict.fromkeys(classes, "test")),
        clock=clock,
    )


@pytest.fixture
async def hub(clock: FakeClock, recorder: type[RecordingConnector]) -> Any:
    async with make_hub(clock, {"recorder": recorder}) as built:
        yield built


def _pg_reachable_or_fail() -> None:
    try:
        with psycopg.connect(pg_dsn(PG_URL), connect_timeout=5) as conn:
            conn.execute("select 1")
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at {PG_URL} (set HANDOFF_TEST_POSTGRES_URL, or start "
            f"it: the postgres tests must run, not skip): {exc}",
            pytrace=False,
        )


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A SQLAlchemy URL whose search_path is a schema private to this test, dropped after."""
    _pg_reachable_or_fail()
    schema = f"handoff_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_dsn(PG_URL), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{separator}options=-csearch_path%3D{schema}"
    with psycopg.connect(pg_dsn(PG_URL), autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def pg_store(pg_url: str) -> Iterator[Store]:
    """A migrated store in a private PostgreSQL schema."""
    db = Store(pg_url)
    upgrade(db)
    yield db
    db.dispose()

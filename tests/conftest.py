"""Shared fixtures: a small in-test connector, so core tests need no real vendor, and a
private PostgreSQL schema per test for the `pg_url` / `pg_store` fixtures."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import httpx
import psycopg
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from handoff.server import create_app
from handoff.server.listener import HEADER_TIMEOUT_S, uvicorn_config
from handoff.store import Store, upgrade
from handoff_sdk import ApiKeyAuth, Connector, ConnectorConfig, FakeClock, SecretSpec, hookimpl
from handoff_sdk.entities import Account, Firmographics, Visitor

# Helpers the tests import as top-level modules (importlib mode puts no test folder on the path).
sys.path.insert(0, str(Path(__file__).parent))

from keyed import admin_for, key_headers  # type: ignore[import-not-found]


class EchoConfig(ConnectorConfig):
    """Config of the test connector."""

    base_url: str = "https://echo.example.test"


class EchoConnector(Connector):
    """A connector whose API is an httpx.MockTransport in the tests."""

    name = "echo"
    title = "Echo"
    config_model = EchoConfig
    secret_specs = (SecretSpec(name="api_key", description="Key for the echo API."),)

    def build_auth(self) -> httpx.Auth:
        return ApiKeyAuth(self.secret_store, "api_key", header="X-Key")

    @hookimpl
    async def handoff_match_account(
        self, email_domain: str | None, website: str | None
    ) -> Account | None:
        assert isinstance(self.config, EchoConfig)
        body = await self.request_json(
            "GET", f"{self.config.base_url}/accounts", params={"domain": email_domain or website}
        )
        return Account(name=body["name"], ids={"echo": body["id"]}) if body else None

    @hookimpl
    async def handoff_enrich_visitor(self, visitor: Visitor) -> Firmographics | None:
        return Firmographics(source="echo", company_name=f"Company of {visitor.ip}")


class BrokenEnricher(Connector):
    """Always fails: the hub must isolate it."""

    name = "broken"

    @hookimpl
    async def handoff_enrich_visitor(self, visitor: Visitor) -> Firmographics | None:
        raise httpx.ConnectError("connection refused")


@pytest.fixture
def echo_classes() -> dict[str, type[Connector]]:
    return {"echo": EchoConnector, "broken": BrokenEnricher}


@pytest.fixture
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No real keyring, no real env secrets, a private working folder."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("HANDOFF_SECRETS_BACKEND", "file")
    monkeypatch.delenv("HANDOFF_CONFIG", raising=False)
    for key in list(os.environ):
        if key.startswith("HANDOFF_") and key not in ("HANDOFF_SECRETS_BACKEND",):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    return tmp_path


PG_URL = os.environ.get(
    "HANDOFF_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
"""The PostgreSQL server the `postgres` tests use: each run gets a database of its own on it
(its user needs CREATEDB), each test a schema of its own in that database."""

RUN_DATABASE_PREFIX = "handoff_run_"


def pg_dsn(url: str) -> str:
    """The libpq form of a SQLAlchemy URL (the query, e.g. search_path options, dropped)."""
    return (
        make_url(url).set(drivername="postgresql", query={}).render_as_string(hide_password=False)
    )


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


@pytest.fixture(scope="session")
def pg_server() -> str:
    """The URL of the server's shared database (HANDOFF_TEST_POSTGRES_URL); tests work elsewhere."""
    return PG_URL


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A database of this test run's own on the PostgreSQL server, dropped at the end.

    Two runs on one server (two helpers, CI and a laptop) then never see each
    other's rows nor sessions: a test that counts the sessions waiting on a
    lock in `current_database()` counts its own only. Subprocess workers get
    the URL, so they work in it too.
    """
    _pg_reachable_or_fail()
    name = f"{RUN_DATABASE_PREFIX}{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_dsn(PG_URL), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(pg_dsn(PG_URL), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_url(pg_database: str) -> Iterator[str]:
    """A SQLAlchemy URL in this run's database whose search_path is a schema private to this
    test, dropped after."""
    schema = f"handoff_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_dsn(pg_database), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    private = make_url(pg_database).update_query_dict({"options": f"-csearch_path={schema}"})
    yield private.render_as_string(hide_password=False)
    with psycopg.connect(pg_dsn(pg_database), autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def pg_store(pg_url: str) -> Iterator[Store]:
    """A migrated store in a private PostgreSQL schema."""
    db = Store(pg_url)
    upgrade(db)
    yield db
    db.dispose()


@pytest.fixture
def clock(fake_clock: FakeClock) -> FakeClock:
    """The SDK plugin's `fake_clock` (Monday 2026-01-05 09:00 UTC) under the hub tests' name."""
    return fake_clock


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A fresh SQLite database at the newest schema revision."""
    db = Store(f"sqlite:///{tmp_path / 'handoff.db'}")
    upgrade(db)
    yield db
    db.dispose()


@pytest.fixture
async def app(store: Store, clock: FakeClock) -> AsyncIterator[FastAPI]:
    """The hub's HTTP app on the test store, no connectors (folders override it to add some)."""
    built = create_app(store, clock=clock)
    yield built
    await built.state.intake.aclose()


@pytest.fixture
def new_key() -> Callable[..., dict[str, str]]:
    """`new_key(store, *scopes, rep=None)`: the Authorization header of a new key (conftest)."""
    return key_headers


@pytest.fixture
def admin_headers(store: Store) -> dict[str, str]:
    """The Authorization header of an admin key on the test store (every route opens to it)."""
    return key_headers(store)


@pytest.fixture
async def client(app: FastAPI, admin_headers: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to `app` in-process (no socket), with an admin key."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://hub.test", headers=admin_headers
    ) as c:
        yield c


@pytest.fixture
def loopback() -> Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]:
    """Serve an app with uvicorn on 127.0.0.1 (an ephemeral port): a client over a real socket.

    The client holds a new admin key on the app's store, or sends `headers` when given. The
    listener is `handoff serve`'s (its header deadline `header_timeout`, default 10 s).
    """

    @contextlib.asynccontextmanager
    async def serve(
        app: FastAPI,
        headers: dict[str, str] | None = None,
        header_timeout: float = HEADER_TIMEOUT_S,
    ) -> AsyncIterator[httpx.AsyncClient]:
        config = uvicorn_config(
            app,
            header_timeout=header_timeout,
            host="127.0.0.1",
            port=0,
            log_level="warning",
            lifespan="on",
            access_log=False,
        )
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve())
        try:
            while not server.started:
                if task.done():
                    task.result()
                    raise RuntimeError("uvicorn stopped before it started")
                await asyncio.sleep(0.01)
            port = server.servers[0].sockets[0].getsockname()[1]
            async with httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{port}",
                headers=admin_for(app) if headers is None else headers,
            ) as client:
                yield client
        finally:
            server.should_exit = True
            await asyncio.wait_for(task, 30)

    return serve


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses the PostgreSQL fixtures `postgres`, so `-m postgres` finds all."""
    for item in items:
        if {"pg_database", "pg_url", "pg_store"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.postgres)

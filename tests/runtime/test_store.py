"""The store: migrations build exactly the models' schema, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import make_url

from handoff.config import StoreSettings, load_config
from handoff.errors import ConfigFileError
from handoff.flows import flow_metadata
from handoff.runtime import record_events
from handoff.store import (
    EventRecord,
    Store,
    StoreError,
    current_revision,
    database_url,
    ensure_current,
    head_revision,
    open_store,
)
from handoff.store.migrate import include_in_comparison
from handoff_sdk.entities import Event


def schema_drift(store: Store) -> list[object]:
    with store.engine.connect() as conn:
        opts = {"compare_type": True, "include_object": include_in_comparison}
        context = MigrationContext.configure(conn, opts=opts)
        return list(compare_metadata(context, flow_metadata()))


def test_migrations_build_the_models_schema_on_sqlite(store: Store) -> None:
    assert current_revision(store) == head_revision()
    assert schema_drift(store) == []
    ensure_current(store)


@pytest.mark.postgres
def test_migrations_build_the_models_schema_on_postgres(pg_store: Store) -> None:
    assert current_revision(pg_store) == head_revision()
    assert schema_drift(pg_store) == []


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(store: Store) -> None:
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL


def test_an_unmigrated_database_is_refused_with_the_command_to_run(tmp_path: Path) -> None:
    fresh = Store(f"sqlite:///{tmp_path / 'new.db'}")
    with pytest.raises(StoreError, match="handoff db upgrade"):
        ensure_current(fresh)


def test_times_come_back_aware_utc_and_naive_ones_are_refused(store: Store) -> None:
    paris = datetime.fromisoformat("2026-03-01T10:00:00+01:00")
    with store.transaction() as s:
        record_events(
            s, [Event(type="t", source="hub", dedupe_key="k", occurred_at=paris)], now=paris
        )
    with store.sessions() as s:
        row = s.query(EventRecord).one()
        assert row.occurred_at == paris
        assert row.occurred_at is not None
        assert row.occurred_at.tzinfo is UTC
    with pytest.raises(Exception, match="naive datetime"), store.transaction() as s:
        record_events(s, [Event(type="t", source="hub", dedupe_key="k2")], now=datetime(2026, 1, 1))


def test_url_comes_from_the_environment_before_handoff_toml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_file = tmp_path / "handoff.toml"
    config_file.write_text(f'[store]\nurl = "sqlite:///{tmp_path}/from-toml.db"\n')
    monkeypatch.delenv("HANDOFF_DATABASE_URL", raising=False)
    config = load_config(config_file)
    assert database_url(config.store).endswith("from-toml.db")
    monkeypatch.setenv("HANDOFF_DATABASE_URL", f"sqlite:///{tmp_path}/from-env.db")
    assert open_store(config).url.endswith("from-env.db")


def test_a_password_in_handoff_toml_is_refused(tmp_path: Path) -> None:
    config_file = tmp_path / "handoff.toml"
    config_file.write_text('[store]\nurl = "postgresql+psycopg://app:hunter2@db:5432/hub"\n')
    with pytest.raises(ConfigFileError, match=r"store\.url") as caught:
        load_config(config_file)
    assert "hunter2" not in str(caught.value)
    assert StoreSettings(url="postgresql+psycopg://app@db/hub").url.endswith("/hub")


def test_an_unknown_database_is_refused_by_name() -> None:
    with pytest.raises(StoreError, match=r"unsupported database 'mysql'"):
        Store("mysql://u@h/db")


LOCK_WAITS = (
    "select count(*) from pg_stat_activity where datname = current_database() "
    "and wait_event_type = 'Lock'"
)


@pytest.mark.postgres
def test_a_test_run_works_in_a_database_of_its_own(
    pg_store: Store, pg_database: str, pg_server: str
) -> None:
    """Another run's session waiting on a lock on the same server is not seen from this run."""
    with pg_store.sessions() as session:
        here = session.scalar(text("select current_database()"))
    assert here == make_url(pg_database).database
    assert str(here).startswith("handoff_run_")
    shared = make_url(pg_server).set(drivername="postgresql").render_as_string(False)
    table = f"other_run_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(shared, autocommit=True) as other_run:
        other_run.execute(f"CREATE TABLE {table} (id int)")
        other_run.execute("BEGIN")
        other_run.execute(f"LOCK TABLE {table}")
        waiter = threading.Thread(target=_lock, args=(shared, table))
        waiter.start()
        try:
            deadline = time.monotonic() + 10
            with psycopg.connect(shared, autocommit=True) as watcher:
                while not (watcher.execute(LOCK_WAITS).fetchone() or (0,))[0]:
                    assert time.monotonic() < deadline, "the other run's session never waited"
                    time.sleep(0.01)
            with pg_store.sessions() as session:
                assert session.scalar(text(LOCK_WAITS)) == 0
        finally:
            other_run.execute("ROLLBACK")
            waiter.join(timeout=10)
            other_run.execute(f"DROP TABLE {table}")


def _lock(url: str, table: str) -> None:
    """Another run's session: waits for the lock on `table`, then lets go."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("BEGIN")
        conn.execute(f"LOCK TABLE {table}")
        conn.execute("ROLLBACK")

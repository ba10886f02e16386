"""Each test run works in databases of its own, on SQLite as on PostgreSQL.

PostgreSQL: a database per run (`pg_database`), a schema per test (`pg_url`).
SQLite: a file per test inside pytest's numbered folder of this run
(/tmp/pytest-of-USER/pytest-N/), so two runs at once never share a file.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from handoff.store import Store


def test_the_sqlite_store_of_a_test_is_a_file_of_this_run_and_this_test(
    store: Store, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    database = Path(make_url(store.url).database or "")
    assert database.parent == tmp_path
    assert database.is_relative_to(tmp_path_factory.getbasetemp())
    assert database.exists()


@pytest.mark.postgres
def test_the_postgres_url_of_a_test_is_a_schema_in_this_runs_database(
    pg_url: str, pg_database: str, pg_server: str
) -> None:
    run = make_url(pg_database).database or ""
    assert run.startswith("handoff_run_")
    assert run != make_url(pg_server).database
    assert make_url(pg_url).database == run
    assert "search_path=handoff_test_" in make_url(pg_url).query["options"]

"""`handoff.store.bulk`: many rows stored exactly as SQLAlchemy's own INSERT and UPDATE store them.

The weekly re-rank (P3) stores its decisions, rank rows and history rows
through it; these check the stored text itself (SQLite's column types and
values, read raw), the ids handed back in the rows' order, and the same on
PostgreSQL (where SQLAlchemy's statements run).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from sqlalchemy import Table, create_engine, insert, select, text, update

from handoff.accounts.store import AccountRankRow
from handoff.store import Decision, Job, Store, upgrade
from handoff.store.bulk import insert_rows, update_rows

NOW = datetime(2026, 1, 5, 10, 0, 0, 123456, tzinfo=UTC)
DECISIONS = cast("Table", Decision.__table__)
RANKS = cast("Table", AccountRankRow.__table__)


def _decisions(count: int) -> list[dict[str, Any]]:
    return [
        {
            "kind": "accounts.rank",
            "subject_type": "account",
            "subject_id": f"001{n:05d}",
            "event_id": None,
            "outcome": {"tier": "Tier 1", "n": n, "history": [{"why": "café ✓"}], "none": None},
            "explanation": {"facts": {"carr": 500.0 + n, "lam_dev_count": n}},
            "rule_ids": ["P2", "P3"] if n % 2 else ["P2"],
            "decided_at": NOW if n % 3 else NOW + timedelta(minutes=n),
        }
        for n in range(count)
    ]


def _ranks(count: int, *, pending: bool) -> list[dict[str, Any]]:
    return [
        {
            "account_id": f"001{n:05d}",
            "name": f"Account {n}" if n % 4 else None,
            "crm_tier": "Tier 2",
            "auto_tier": "Tier 2",
            "auto_row": "tier2_otherwise",
            "override_tier": None,
            "override_by": None,
            "override_at": None,
            "override_why": None,
            "history_text": "line" * n or None,
            "pending": {"tier": "Tier 2"} if pending and n % 2 else None,
            "pending_run": "run" if pending and n % 2 else None,
            "ranked_at": NOW,
            "updated_at": NOW,
        }
        for n in range(count)
    ]


def _raw(store: Store, table: str) -> list[tuple[Any, ...]]:
    """Every row as SQLite stores it: each value with its storage class."""
    with store.sessions() as session:
        columns = [row[1] for row in session.execute(text(f"PRAGMA table_info({table})"))]
        typed = ", ".join(f"typeof({c}), {c}" for c in columns)
        return [tuple(row) for row in session.execute(text(f"SELECT {typed} FROM {table}"))]  # noqa: S608


def test_decisions_are_stored_as_sqlalchemy_stores_them_with_their_ids_in_order(
    store: Store, tmp_path: Path
) -> None:
    other = Store(f"sqlite:///{tmp_path / 'other.db'}")
    upgrade(other)
    rows = _decisions(5000)  # more than one statement's worth of parameters
    with store.transaction() as session:
        ids = insert_rows(session.connection(), DECISIONS, rows, ids=True)
    with other.transaction() as session:
        statement = insert(DECISIONS).returning(DECISIONS.c.id, sort_by_parameter_order=True)
        expected = list(session.connection().execute(statement, rows).scalars())
    assert ids == expected == list(range(1, 5001))
    assert _raw(store, "decisions") == _raw(other, "decisions")
    with store.sessions() as session:
        found = {d.id: d.subject_id for d in session.scalars(select(Decision))}
    assert [found[i] for i in ids] == [r["subject_id"] for r in rows]
    other.dispose()


def test_rank_rows_inserted_and_updated_as_sqlalchemy_does(store: Store, tmp_path: Path) -> None:
    other = Store(f"sqlite:///{tmp_path / 'other.db'}")
    upgrade(other)
    with store.transaction() as session:
        insert_rows(session.connection(), RANKS, _ranks(300, pending=False))
        update_rows(session.connection(), RANKS, _ranks(150, pending=True), key="account_id")
    with other.transaction() as session:
        session.execute(insert(RANKS), _ranks(300, pending=False))
        session.execute(update(AccountRankRow), _ranks(150, pending=True))
    assert _raw(store, "account_ranks") == _raw(other, "account_ranks")
    other.dispose()


def test_a_column_with_a_default_must_be_given() -> None:
    engine = create_engine("sqlite://")
    with engine.connect() as connection, pytest.raises(ValueError, match="state"):
        insert_rows(connection, cast("Table", Job.__table__), [{"kind": "x"}])


def test_the_same_rows_on_postgres(pg_store: Store) -> None:
    rows = _decisions(50)
    with pg_store.transaction() as session:
        ids = insert_rows(session.connection(), DECISIONS, rows, ids=True)
        insert_rows(session.connection(), RANKS, _ranks(20, pending=False))
        update_rows(session.connection(), RANKS, _ranks(10, pending=True), key="account_id")
    with pg_store.sessions() as session:
        stored = {d.id: d for d in session.scalars(select(Decision))}
        ranks = {r.account_id: r for r in session.scalars(select(AccountRankRow))}
    assert [stored[i].subject_id for i in ids] == [r["subject_id"] for r in rows]
    assert stored[ids[1]].outcome == rows[1]["outcome"]
    assert stored[ids[1]].decided_at == NOW
    assert ranks["00100001"].pending == {"tier": "Tier 2"}
    assert ranks["00100011"].pending is None
    assert len(ranks) == 20

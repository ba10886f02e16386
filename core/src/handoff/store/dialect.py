"""Statements whose SQL differs between SQLite and PostgreSQL, written once."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

__all__ = ["dialect_insert", "is_postgresql"]


def is_postgresql(session: Session) -> bool:
    """Whether the session's database is PostgreSQL (row locks, SKIP LOCKED) rather than SQLite."""
    return session.get_bind().dialect.name == "postgresql"


def dialect_insert(session: Session, table: Any) -> Any:
    """An INSERT for `table` with the database's ON CONFLICT clauses available.

    Both SQLite and PostgreSQL take `on_conflict_do_nothing` and
    `on_conflict_do_update`; SQLAlchemy spells them per dialect.
    """
    return (postgresql.insert if is_postgresql(session) else sqlite.insert)(table)

"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Dialect, Integer
from sqlalchemy.types import TypeDecorator

__all__ = ["BigId", "UTCDateTime"]

BigId = BigInteger().with_variant(Integer(), "sqlite")
"""A 64-bit key on PostgreSQL; on SQLite an INTEGER PRIMARY KEY (the rowid)."""


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime in and out, on every database.

    SQLite has no timestamp type: SQLAlchemy stores text and hands back naive
    values. Storing naive UTC there (and timestamptz on PostgreSQL) keeps text
    comparisons such as `run_after <= now` correct and every value read back
    aware, so code never mixes naive and aware times.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Normalise to UTC; naive on SQLite so stored text sorts in time order."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; pass a timezone-aware one")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """Aware UTC whatever the database returned."""
        if value is None:
            return None
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

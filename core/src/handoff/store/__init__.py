"""The hub's database: models, opening it, migrating it, and the records the runtime writes."""

from __future__ import annotations

from handoff.store.dialect import dialect_insert, is_postgresql
from handoff.store.engine import DATABASE_URL_ENV, Store, StoreError, database_url, open_store
from handoff.store.failures import (
    StoreHealth,
    StoreUnavailableError,
    describe_store_error,
    is_unavailable,
    wait_until_available,
)
from handoff.store.migrate import current_revision, ensure_current, head_revision, upgrade
from handoff.store.models import (
    ApiKey,
    Audit,
    Base,
    ConsoleSession,
    ConsoleUser,
    Cursor,
    Decision,
    EntityRecord,
    EventRecord,
    Job,
    JobState,
    JobSubject,
    RotationTurn,
    Timer,
    TimerState,
)

__all__ = [
    "DATABASE_URL_ENV",
    "ApiKey",
    "Audit",
    "Base",
    "ConsoleSession",
    "ConsoleUser",
    "Cursor",
    "Decision",
    "EntityRecord",
    "EventRecord",
    "Job",
    "JobState",
    "JobSubject",
    "RotationTurn",
    "Store",
    "StoreError",
    "StoreHealth",
    "StoreUnavailableError",
    "Timer",
    "TimerState",
    "current_revision",
    "database_url",
    "describe_store_error",
    "dialect_insert",
    "ensure_current",
    "head_revision",
    "is_postgresql",
    "is_unavailable",
    "open_store",
    "upgrade",
    "wait_until_available",
]

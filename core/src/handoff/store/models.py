"""The hub's tables, as typed SQLAlchemy 2 models.

Everything that must survive a restart lives here: the events received, the
decisions taken (with why), the outbox of side effects (jobs) and the
subjects each job is about, timers, round-robin cursors, the audit history
and the entities the hub itself owns (visitors, conversations, form
submissions, ...). The Alembic migrations in
`handoff/migrations/versions/` create exactly this schema; a test compares them.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from handoff.store.types import BigId, UTCDateTime

__all__ = [
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
    "Timer",
    "TimerState",
]

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with deterministic constraint names (so migrations can name them)."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[Any]: JSON(),
    }


class EventRecord(Base):
    """Something that happened, stored before it is acknowledged; (source, dedupe_key) unique."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(100))
    dedupe_key: Mapped[str] = mapped_column(String(300))
    type: Mapped[str] = mapped_column(String(200), index=True)
    occurred_at: Mapped[datetime | None]
    received_at: Mapped[datetime]
    payload: Mapped[dict[str, Any]]
    subject_type: Mapped[str | None] = mapped_column(String(50))
    subject_id: Mapped[str | None] = mapped_column(String(200))
    processed_at: Mapped[datetime | None]
    context: Mapped[dict[str, Any] | None]
    """What the handlers' `enrich` returned when it was decided (by flow): replay reads it."""
    origin: Mapped[str | None] = mapped_column(String(50))
    """The job kind whose runner stored it (a timer, a poll); None: it came from outside."""

    __table_args__ = (
        UniqueConstraint("source", "dedupe_key"),
        Index(None, "received_at"),
        Index(None, "subject_type", "subject_id"),
        # One type's events in a time window (the live visitors' page views) as one range.
        Index(None, "type", "received_at"),
        # The types one source sent (the API's sender ids, handoff explain) from the index.
        Index(None, "source", "type"),
    )


class Decision(Base):
    """A decision the hub took, what it was about and why (explanation), for `handoff explain`."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(100))
    subject_type: Mapped[str] = mapped_column(String(50))
    subject_id: Mapped[str] = mapped_column(String(200))
    event_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("events.id", ondelete="SET NULL"), index=True
    )
    outcome: Mapped[dict[str, Any]]
    explanation: Mapped[dict[str, Any]]
    rule_ids: Mapped[list[Any]]
    decided_at: Mapped[datetime]

    __table_args__ = (Index(None, "subject_type", "subject_id"),)


class JobState(StrEnum):
    """Where a job is in its life: waiting, being run under a lease, finished, given up."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    DEAD = "dead"


class Job(Base):
    """One side effect in the outbox: run by a worker, at least once, with an idempotency key."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(50))
    connector: Mapped[str | None] = mapped_column(String(100))
    hook: Mapped[str | None] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]]
    idempotency_key: Mapped[str] = mapped_column(String(300), unique=True)
    state: Mapped[str] = mapped_column(String(10), default=JobState.QUEUED.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=8)
    run_after: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    lease_token: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None]
    decision_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("decisions.id", ondelete="SET NULL"), index=True
    )
    event_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("events.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]

    __table_args__ = (
        Index(None, "state", "run_after"),
        # The newest jobs of a state (the console's Jobs page) from the index's end.
        Index(None, "state", "id"),
    )


class JobSubject(Base):
    """One subject a job is about ('visitor:v-1'): jobs sharing one run in the order written.

    A job is not claimed while an earlier job (lower id) with one of its
    subjects is still queued or running; the rows of a job are deleted when
    it is done, and kept while it is dead (so an operator's retry is ordered
    again).
    """

    __tablename__ = "job_subjects"

    subject: Mapped[str] = mapped_column(String(300), primary_key=True)
    job_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class TimerState(StrEnum):
    """A timer waits, then fires (one-off) or keeps firing (periodic) until cancelled."""

    PENDING = "pending"
    FIRED = "fired"
    CANCELLED = "cancelled"


class Timer(Base):
    """A job to enqueue at `due_at`: once, or again on every tick of a cron schedule."""

    __tablename__ = "timers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    due_at: Mapped[datetime] = mapped_column(index=True)
    schedule: Mapped[str | None] = mapped_column(String(100))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    state: Mapped[str] = mapped_column(String(10), default=TimerState.PENDING.value)
    kind: Mapped[str] = mapped_column(String(50))
    connector: Mapped[str | None] = mapped_column(String(100))
    hook: Mapped[str | None] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]]
    fired_count: Mapped[int] = mapped_column(Integer, default=0)
    last_fired_at: Mapped[datetime | None]
    created_at: Mapped[datetime]

    __table_args__ = (
        # The worker's question, "pending and due", walks only pending timers: fired and
        # cancelled ones (all the history) stay out of its range (docs/performance.md).
        Index("ix_timers_state_due_at", "state", "due_at"),
    )


class Cursor(Base):
    """A named position that must survive restarts: a round-robin pointer, a poll cursor."""

    __tablename__ = "cursors"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    value: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime]


class RotationTurn(Base):
    """One turn of a round robin: the member the cursor gave it to, taken or skipped and why.

    The fairness ledger (`handoff explain rotation POOL`): each member's
    count and share over a period, the skips and their reasons, and from the
    last turn's cycle and the cursor, who is next.
    """

    __tablename__ = "rotation_turns"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    cursor: Mapped[str] = mapped_column(String(200))
    member: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer)
    cycle: Mapped[list[Any]]
    at: Mapped[datetime]

    __table_args__ = (Index(None, "cursor", "at"),)


class Audit(Base):
    """Who changed what and when: an append-only history."""

    __tablename__ = "audit"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(100))
    subject_type: Mapped[str | None] = mapped_column(String(50))
    subject_id: Mapped[str | None] = mapped_column(String(200))
    details: Mapped[dict[str, Any]]

    __table_args__ = (Index(None, "subject_type", "subject_id"),)


class EntityRecord(Base):
    """An entity the hub owns (visitor, conversation, form submission, ...), as JSON."""

    __tablename__ = "entities"

    type: Mapped[str] = mapped_column(String(50), primary_key=True)
    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    data: Mapped[dict[str, Any]]
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ApiKey(Base):
    """A key to the hub's API: its name, scopes and (for a rep key) rep; the secret only hashed.

    `id` is the key's public prefix (shown in lists and logs); the secret
    part is kept as an Argon2id hash (handoff.api_keys), never in clear.
    """

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    scopes: Mapped[list[Any]]
    rep_id: Mapped[str | None] = mapped_column(String(200))
    secret_hash: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(100))
    revoked_at: Mapped[datetime | None]


class ConsoleUser(Base):
    """A person who signs in to the web console: a name, a role, the hash of a password.

    The role is one of the API's scopes (rep, ops, admin: handoff.api_keys),
    and a rep user is bound to one rep id, as a rep key is. The password is
    kept only as an Argon2id hash (handoff.console.users).
    """

    __tablename__ = "console_users"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    rep_id: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(100))


class ConsoleSession(Base):
    """A signed-in console session: the SHA-256 of its cookie's token, never the token.

    Its CSRF token goes into every form and htmx request of the session;
    it ends at `expires_at` or when its user signs out (the row is deleted).
    """

    __tablename__ = "console_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("console_users.id", ondelete="CASCADE"), index=True
    )
    csrf_token: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)

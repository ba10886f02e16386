"""Initial schema: events, decisions, jobs, timers, cursors, audit, entities.

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-24 20:44:03.733690
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import handoff.store.types

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "audit",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("at", handoff.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("subject_type", sa.String(length=50), nullable=True),
        sa.Column("subject_id", sa.String(length=200), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit")),
    )
    with op.batch_alter_table("audit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_at"), ["at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_audit_subject_type_subject_id"),
            ["subject_type", "subject_id"],
            unique=False,
        )

    op.create_table(
        "cursors",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("updated_at", handoff.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_cursors")),
    )
    op.create_table(
        "entities",
        sa.Column("type", sa.String(length=50), nullable=False),
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", handoff.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", handoff.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("type", "id", name=op.f("pk_entities")),
    )
    op.create_table(
        "events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("dedupe_key", sa.String(length=300), nullable=False),
        sa.Column("type", sa.String(length=200), nullable=False),
        sa.Column("occurred_at", handoff.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("received_at", handoff.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("subject_type", sa.String(length=50), nullable=True),
        sa.Column("subject_id", sa.String(length=200), nullable=True),
        sa.Column("processed_at", handoff.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("source", "dedupe_key", name=op.f("uq_events_source_dedupe_key")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_events_subject_type_subject_id"),
            ["subject_type", "subject_id"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_events_type"), ["type"], unique=False)

    op.create_table(
        "timers",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("due_at", handoff.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("schedule", sa.String(length=100), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("kind", sa.String(length=50), nullable=False),
        sa.Column("connector", sa.String(length=100), nullable=True),
        sa.Column("hook", sa.String(length=100), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("fired_count", sa.Integer(), nullable=False),
        sa.Column("last_fired_at", handoff.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", handoff.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timers")),
        sa.UniqueConstraint("key", name=op.f("uq_timers_key")),
    )
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_timers_due_at"), ["due_at"], unique=False)

    op.create_table(
        "decisions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("kind", sa.String(length=100), nullable=False),
        sa.Column("subject_type", sa.String(length=50), nullable=False),
        sa.Column("subject_id", sa.String(length=200), nullable=False),
        sa.Column("event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("outcome", sa.JSON(), nullable=False),
        sa.Column("explanation", sa.JSON(), nullable=False),
        sa.Column("rule_ids", sa.JSON(), nullable=False),
        sa.Column("decided_at", handoff.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_decisions_event_id_events"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decisions")),
    )
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_decisions_event_id"), ["event_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_decisions_subject_type_subject_id"),
            ["subject_type", "subject_id"],
            unique=False,
        )

    op.create_table(
        "jobs",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("kind", sa.String(length=50), nullable=False),
        sa.Column("connector", sa.String(length=100), nullable=True),
        sa.Column("hook", sa.String(length=100), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=300), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("run_after", handoff.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("lease_until", handoff.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("lease_token", sa.String(length=64), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column(
            "decision_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_at", handoff.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", handoff.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", handoff.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["decisions.id"],
            name=op.f("fk_jobs_decision_id_decisions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_jobs_event_id_events"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_jobs_idempotency_key")),
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_jobs_decision_id"), ["decision_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_jobs_event_id"), ["event_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_jobs_state_run_after"), ["state", "run_after"], unique=False
        )


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_jobs_state_run_after"))
        batch_op.drop_index(batch_op.f("ix_jobs_event_id"))
        batch_op.drop_index(batch_op.f("ix_jobs_decision_id"))

    op.drop_table("jobs")
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_decisions_subject_type_subject_id"))
        batch_op.drop_index(batch_op.f("ix_decisions_event_id"))

    op.drop_table("decisions")
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_timers_due_at"))

    op.drop_table("timers")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_type"))
        batch_op.drop_index(batch_op.f("ix_events_subject_type_subject_id"))

    op.drop_table("events")
    op.drop_table("entities")
    op.drop_table("cursors")
    with op.batch_alter_table("audit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_subject_type_subject_id"))
        batch_op.drop_index(batch_op.f("ix_audit_at"))

    op.drop_table("audit")

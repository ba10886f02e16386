"""The leads flow's tables: leads, their status history, their ids elsewhere, the write-back outbox.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 09:20:45.379765
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import handoff.store.types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "lead_ids",
        sa.Column("system", sa.String(length=50), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("lead_id", sa.String(length=320), nullable=False),
        sa.PrimaryKeyConstraint("system", "external_id", name=op.f("pk_lead_ids")),
    )
    with op.batch_alter_table("lead_ids", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lead_ids_lead_id"), ["lead_id"], unique=False)

    op.create_table(
        "lead_sync",
        sa.Column("lead_id", sa.String(length=320), nullable=False),
        sa.Column("system", sa.String(length=50), nullable=False),
        sa.Column("queued_at", handoff.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("lead_id", "system", name=op.f("pk_lead_sync")),
    )
    with op.batch_alter_table("lead_sync", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lead_sync_queued_at"), ["queued_at"], unique=False)

    op.create_table(
        "lead_transitions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("lead_id", sa.String(length=320), nullable=False),
        sa.Column("from_status", sa.String(length=50), nullable=True),
        sa.Column("to_status", sa.String(length=50), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("rule_ids", sa.JSON(), nullable=False),
        sa.Column(
            "decision_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("at", handoff.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_transitions")),
    )
    with op.batch_alter_table("lead_transitions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lead_transitions_lead_id"), ["lead_id"], unique=False)

    op.create_table(
        "leads",
        sa.Column("id", sa.String(length=320), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("first_name", sa.String(length=200), nullable=True),
        sa.Column("last_name", sa.String(length=200), nullable=True),
        sa.Column("company", sa.String(length=200), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=True),
        sa.Column("phone", sa.String(length=100), nullable=True),
        sa.Column("country", sa.String(length=100), nullable=True),
        sa.Column("source", sa.String(length=100), nullable=True),
        sa.Column("status", sa.String(length=50), nullable=True),
        sa.Column("status_since", handoff.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("owner_id", sa.String(length=100), nullable=True),
        sa.Column("owner_rep", sa.String(length=100), nullable=True),
        sa.Column("owner_name", sa.String(length=200), nullable=True),
        sa.Column("team", sa.String(length=100), nullable=True),
        sa.Column("claim_team", sa.String(length=100), nullable=True),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("score_detail", sa.JSON(), nullable=False),
        sa.Column("mql_at", handoff.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("accepted_at", handoff.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sql_at", handoff.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("crm", sa.JSON(), nullable=False),
        sa.Column("bant", sa.JSON(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_attempt_at", handoff.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_reply_at", handoff.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "email_bounced_at", handoff.store.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("passed_at", handoff.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "last_owner_action_at", handoff.store.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("opt_out", sa.Boolean(), nullable=False),
        sa.Column("opt_out_until", handoff.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("lists", sa.JSON(), nullable=False),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.Column("ids", sa.JSON(), nullable=False),
        sa.Column("created_at", handoff.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", handoff.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leads")),
    )
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_leads_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_leads_status"), ["status"], unique=False)


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_leads_status"))
        batch_op.drop_index(batch_op.f("ix_leads_owner_id"))

    op.drop_table("leads")
    with op.batch_alter_table("lead_transitions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lead_transitions_lead_id"))

    op.drop_table("lead_transitions")
    with op.batch_alter_table("lead_sync", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lead_sync_queued_at"))

    op.drop_table("lead_sync")
    with op.batch_alter_table("lead_ids", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lead_ids_lead_id"))

    op.drop_table("lead_ids")

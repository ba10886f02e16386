"""The accounts flow's tables: pooled accounts' ranks, their rank history, their signals.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 12:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import handoff.store.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _when(name: str, nullable: bool) -> sa.Column[object]:
    return sa.Column(name, handoff.store.types.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "account_ranks",
        sa.Column("account_id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=True),
        sa.Column("crm_tier", sa.String(length=100), nullable=True),
        sa.Column("auto_tier", sa.String(length=100), nullable=True),
        sa.Column("auto_row", sa.String(length=100), nullable=True),
        sa.Column("override_tier", sa.String(length=100), nullable=True),
        sa.Column("override_by", sa.String(length=200), nullable=True),
        _when("override_at", True),
        sa.Column("override_why", sa.Text(), nullable=True),
        sa.Column("history_text", sa.Text(), nullable=True),
        sa.Column("pending", sa.JSON(), nullable=True),
        sa.Column("pending_run", sa.String(length=100), nullable=True),
        _when("ranked_at", True),
        _when("updated_at", False),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_account_ranks")),
    )
    with op.batch_alter_table("account_ranks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_account_ranks_pending_run"), ["pending_run"], unique=False
        )

    op.create_table(
        "account_rank_history",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=100), nullable=False),
        _when("at", False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("from_tier", sa.String(length=100), nullable=True),
        sa.Column("to_tier", sa.String(length=100), nullable=True),
        sa.Column("why", sa.Text(), nullable=False),
        sa.Column("run", sa.String(length=100), nullable=True),
        sa.Column("decision_id", _ID, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_rank_history")),
    )
    with op.batch_alter_table("account_rank_history", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_account_rank_history_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_account_rank_history_run"), ["run"], unique=False)

    op.create_table(
        "account_signals",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        _when("at", False),
        sa.Column("number", sa.Float(), nullable=True),
        sa.Column("text", sa.String(length=200), nullable=True),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("event_id", _ID, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_signals")),
    )
    with op.batch_alter_table("account_signals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_account_signals_account_id_name_at"),
            ["account_id", "name", "at"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_account_signals_at"), ["at"], unique=False)


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("account_signals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_signals_at"))
        batch_op.drop_index(batch_op.f("ix_account_signals_account_id_name_at"))
    op.drop_table("account_signals")
    with op.batch_alter_table("account_rank_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_rank_history_run"))
        batch_op.drop_index(batch_op.f("ix_account_rank_history_account_id"))
    op.drop_table("account_rank_history")
    with op.batch_alter_table("account_ranks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_ranks_pending_run"))
    op.drop_table("account_ranks")

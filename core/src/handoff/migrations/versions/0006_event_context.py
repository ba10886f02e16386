"""Events keep what they were decided on (context, origin); round robins keep their turns.

`context` is what the handlers' `enrich` returned when the event was decided
(JSON, by flow), so `handoff events export` can write it and `handoff replay`
and shadow mode decide the event again without asking the connectors.
`origin` is the job kind whose runner stored the event (a timer's event, a
poll's events); empty for what came from outside. `rotation_turns` is the
fairness ledger: every turn of a stored round robin, taken or skipped and
why (`handoff explain rotation POOL`).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 11:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import handoff.store.types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("context", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("origin", sa.String(length=50), nullable=True))
        batch_op.create_index(batch_op.f("ix_events_received_at"), ["received_at"], unique=False)

    op.create_table(
        "rotation_turns",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("cursor", sa.String(length=200), nullable=False),
        sa.Column("member", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("cycle", sa.JSON(), nullable=False),
        sa.Column("at", handoff.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rotation_turns")),
    )
    with op.batch_alter_table("rotation_turns", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rotation_turns_cursor_at"), ["cursor", "at"], unique=False
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("rotation_turns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rotation_turns_cursor_at"))
    op.drop_table("rotation_turns")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_received_at"))
        batch_op.drop_column("origin")
        batch_op.drop_column("context")

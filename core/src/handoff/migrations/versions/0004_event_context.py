"""Events keep what their decisions were taken on: the enrichment context and their origin.

`context` is what the handlers' `enrich` returned when the event was decided
(JSON, by flow), so `handoff events export` can write it and `handoff replay`
and shadow mode decide the event again without asking the connectors.
`origin` is the job kind whose runner stored the event (a timer's event, a
poll's events); empty for what came from outside.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 11:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("context", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("origin", sa.String(length=50), nullable=True))
        batch_op.create_index(batch_op.f("ix_events_received_at"), ["received_at"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_received_at"))
        batch_op.drop_column("origin")
        batch_op.drop_column("context")

"""Indexes for the console's pages over a large store (docs/performance.md "Console pages").

- events (type, received_at): the page views of a time window (live
  visitors, Q10) read as one range, not every page view ever stored.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 18:30:00.000000
"""

from __future__ import annotations

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_type_received_at", ["type", "received_at"], unique=False)


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_type_received_at")

"""Timers: an index on (state, due_at), so finding the due timers skips the fired ones.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 12:30:00.000000
"""

from __future__ import annotations

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.create_index("ix_timers_state_due_at", ["state", "due_at"], unique=False)


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.drop_index("ix_timers_state_due_at")

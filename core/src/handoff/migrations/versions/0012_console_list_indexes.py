"""Indexes for the console's lists over a large store (docs/performance.md "Console pages").

- jobs (state, id): the newest jobs in a state (the Jobs page, `handoff jobs
  list --state`) read from the index's end, not every job of the state sorted.
- events (source, type): the types of the events the hub's API received (a
  bare id searched on the Decisions page) from the index alone.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 18:50:00.000000
"""

from __future__ import annotations

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index("ix_jobs_state_id", ["state", "id"], unique=False)
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_source_type", ["source", "type"], unique=False)


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_source_type")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_jobs_state_id")

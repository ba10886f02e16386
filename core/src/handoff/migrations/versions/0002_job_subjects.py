"""Job subjects: what each job is about, so jobs about one subject run in order.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "job_subjects",
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("job_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_job_subjects_job_id_jobs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("subject", "job_id", name=op.f("pk_job_subjects")),
    )
    with op.batch_alter_table("job_subjects", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_job_subjects_job_id"), ["job_id"], unique=False)


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("job_subjects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_job_subjects_job_id"))
    op.drop_table("job_subjects")

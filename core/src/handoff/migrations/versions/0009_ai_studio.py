"""AI Studio (Q7): indexed pages and passages with their full-text index, Scorecard, Inbox.

The full-text index is made here by hand, per database, since SQLAlchemy has
no type for it (handoff.ai.studio.tables.FULL_TEXT_NAMES):

- SQLite: the FTS5 table `ai_content_fts` over the passages' title and text
  (porter stemming, accents folded), an external-content table kept in step
  by three triggers;
- PostgreSQL: `search_document`, a generated `tsvector` column (English
  configuration; the title weighted A, the text B) with a GIN index.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 15:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import handoff.store.types

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

_SQLITE_UP = (
    "CREATE VIRTUAL TABLE ai_content_fts USING fts5(title, text, "
    "content='ai_content_passages', content_rowid='id', "
    "tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER ai_content_fts_insert AFTER INSERT ON ai_content_passages BEGIN "
    "INSERT INTO ai_content_fts(rowid, title, text) VALUES (new.id, new.title, new.text); END",
    "CREATE TRIGGER ai_content_fts_delete AFTER DELETE ON ai_content_passages BEGIN "
    "INSERT INTO ai_content_fts(ai_content_fts, rowid, title, text) "
    "VALUES ('delete', old.id, old.title, old.text); END",
    "CREATE TRIGGER ai_content_fts_update AFTER UPDATE ON ai_content_passages BEGIN "
    "INSERT INTO ai_content_fts(ai_content_fts, rowid, title, text) "
    "VALUES ('delete', old.id, old.title, old.text); "
    "INSERT INTO ai_content_fts(rowid, title, text) VALUES (new.id, new.title, new.text); END",
)
_SQLITE_DOWN = (
    "DROP TRIGGER IF EXISTS ai_content_fts_update",
    "DROP TRIGGER IF EXISTS ai_content_fts_delete",
    "DROP TRIGGER IF EXISTS ai_content_fts_insert",
    "DROP TABLE IF EXISTS ai_content_fts",
)
_POSTGRES_UP = (
    "ALTER TABLE ai_content_passages ADD COLUMN search_document tsvector "
    "GENERATED ALWAYS AS (setweight(to_tsvector('english', title), 'A') || "
    "setweight(to_tsvector('english', text), 'B')) STORED",
    "CREATE INDEX ix_ai_content_passages_search_document ON ai_content_passages "
    "USING gin (search_document)",
)
_POSTGRES_DOWN = (
    "DROP INDEX IF EXISTS ix_ai_content_passages_search_document",
    "ALTER TABLE ai_content_passages DROP COLUMN IF EXISTS search_document",
)


def _when(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, handoff.store.types.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "ai_content_pages",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("passages", sa.Integer(), nullable=False),
        _when("indexed_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ai_content_pages")),
        sa.UniqueConstraint("source", "url", name=op.f("uq_ai_content_pages_source_url")),
    )
    with op.batch_alter_table("ai_content_pages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ai_content_pages_source"), ["source"], unique=False)

    op.create_table(
        "ai_content_passages",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("page_id", _ID, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2100), nullable=False),
        sa.Column("title", sa.String(length=1000), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["page_id"],
            ["ai_content_pages.id"],
            name=op.f("fk_ai_content_passages_page_id_ai_content_pages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ai_content_passages")),
    )
    with op.batch_alter_table("ai_content_passages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ai_content_passages_page_id"), ["page_id"], unique=False
        )

    op.create_table(
        "ai_scorecard",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("key", sa.String(length=1000), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("link", sa.String(length=2000), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        _when("created_at"),
        _when("updated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ai_scorecard")),
    )
    with op.batch_alter_table("ai_scorecard", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ai_scorecard_key"), ["key"], unique=True)
        batch_op.create_index(batch_op.f("ix_ai_scorecard_size"), ["size"], unique=False)

    op.create_table(
        "ai_inbox_groups",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=1000), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        _when("first_at"),
        _when("last_at"),
        sa.Column("answered_by", sa.String(length=100), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("scorecard_id", _ID, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ai_inbox_groups")),
    )
    with op.batch_alter_table("ai_inbox_groups", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ai_inbox_groups_key"), ["key"], unique=True)
        batch_op.create_index(batch_op.f("ix_ai_inbox_groups_last_at"), ["last_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_ai_inbox_groups_size"), ["size"], unique=False)

    op.create_table(
        "ai_inbox_questions",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("group_id", _ID, nullable=False),
        sa.Column("conversation_id", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        _when("asked_at"),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["ai_inbox_groups.id"],
            name=op.f("fk_ai_inbox_questions_group_id_ai_inbox_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ai_inbox_questions")),
    )
    with op.batch_alter_table("ai_inbox_questions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ai_inbox_questions_conversation_id"), ["conversation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_ai_inbox_questions_group_id"), ["group_id"], unique=False
        )

    statements = _POSTGRES_UP if op.get_context().dialect.name == "postgresql" else _SQLITE_UP
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    """Undo this revision."""
    statements = _POSTGRES_DOWN if op.get_context().dialect.name == "postgresql" else _SQLITE_DOWN
    for statement in statements:
        op.execute(statement)
    with op.batch_alter_table("ai_inbox_questions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ai_inbox_questions_group_id"))
        batch_op.drop_index(batch_op.f("ix_ai_inbox_questions_conversation_id"))
    op.drop_table("ai_inbox_questions")
    with op.batch_alter_table("ai_inbox_groups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ai_inbox_groups_size"))
        batch_op.drop_index(batch_op.f("ix_ai_inbox_groups_last_at"))
        batch_op.drop_index(batch_op.f("ix_ai_inbox_groups_key"))
    op.drop_table("ai_inbox_groups")
    with op.batch_alter_table("ai_scorecard", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ai_scorecard_size"))
        batch_op.drop_index(batch_op.f("ix_ai_scorecard_key"))
    op.drop_table("ai_scorecard")
    with op.batch_alter_table("ai_content_passages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ai_content_passages_page_id"))
    op.drop_table("ai_content_passages")
    with op.batch_alter_table("ai_content_pages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ai_content_pages_source"))
    op.drop_table("ai_content_pages")

"""AI Studio's tables (Q7): indexed pages and their passages, the Scorecard, the Inbox.

- `ai_content_pages`: one row per indexed page (source, URL, title, digest of
  what was indexed, so an unchanged page is skipped on re-index);
- `ai_content_passages`: the passages of each page, what retrieval returns.
  Their full-text index is made by the migration, outside these models
  (SQLAlchemy has no type for it): on SQLite the FTS5 table
  `ai_content_fts` kept in step by triggers, on PostgreSQL the generated
  `tsvector` column `search_document` with a GIN index. `FULL_TEXT_NAMES` lists them
  so the schema comparison leaves them out;
- `ai_scorecard`: curated questions and their answers (accepted, edited or
  dictated), each with its question's stems (`key`, `size`) for matching;
- `ai_inbox_groups`, `ai_inbox_questions`: every visitor question, grouped
  with similar ones and counted;
- `ai_content_sources`: sources added from the console, beside the
  `[[ai.content.sources]]` of handoff.toml (migration 0011).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from handoff.store import Base
from handoff.store.types import BigId

__all__ = [
    "FULL_TEXT_NAMES",
    "ContentSourceRow",
    "InboxGroupRow",
    "InboxQuestionRow",
    "PageRow",
    "PassageRow",
    "ScorecardRow",
]

FULL_TEXT_NAMES = frozenset(
    {
        "ai_content_fts",
        "ai_content_fts_data",
        "ai_content_fts_idx",
        "ai_content_fts_docsize",
        "ai_content_fts_config",
        "ai_content_fts_content",
        "search_document",
        "ix_ai_content_passages_search_document",
    }
)
"""The full-text index's tables, column and index, made by hand in the migration (FTS5 on
SQLite, tsvector and GIN on PostgreSQL): the schema comparison skips them."""

Base.metadata.info.setdefault("unmanaged", set()).update(FULL_TEXT_NAMES)


class PageRow(Base):
    """A page indexed from a source; its passages are what retrieval finds."""

    __tablename__ = "ai_content_pages"
    __table_args__ = (UniqueConstraint("source", "url"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(100), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    title: Mapped[str] = mapped_column(String(500))
    digest: Mapped[str] = mapped_column(String(64))
    """SHA-256 of the page as fetched or read: unchanged pages are not indexed again."""
    passages: Mapped[int] = mapped_column(Integer)
    indexed_at: Mapped[datetime]


class PassageRow(Base):
    """One passage of a page: what the built-in responder quotes and links."""

    __tablename__ = "ai_content_passages"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    page_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("ai_content_pages.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    url: Mapped[str] = mapped_column(String(2100))
    """The page's URL, with '#anchor' when the passage's heading has one."""
    title: Mapped[str] = mapped_column(String(1000))
    text: Mapped[str] = mapped_column(Text)


class ScorecardRow(Base):
    """A curated question and its answer, which overrides any model when a question matches."""

    __tablename__ = "ai_scorecard"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    question: Mapped[str] = mapped_column(Text)
    key: Mapped[str] = mapped_column(String(1000), index=True, unique=True)
    """The question's stems, sorted (handoff.ai.studio.text.question_key): one entry per key."""
    size: Mapped[int] = mapped_column(Integer, index=True)
    """How many stems: only entries of a size that can match are compared."""
    answer: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(20))
    """accepted (the answer proposed, taken as is), edited (proposed, then changed), dictated."""
    link: Mapped[str | None] = mapped_column(String(2000))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class InboxGroupRow(Base):
    """Visitors' questions that say the same thing, counted; promoted once to the Scorecard."""

    __tablename__ = "ai_inbox_groups"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(1000), index=True, unique=True)
    size: Mapped[int] = mapped_column(Integer, index=True)
    question: Mapped[str] = mapped_column(Text)
    """The first question asked in the group, as the visitor wrote it."""
    count: Mapped[int] = mapped_column(Integer)
    first_at: Mapped[datetime]
    last_at: Mapped[datetime] = mapped_column(index=True)
    answered_by: Mapped[str | None] = mapped_column(String(100))
    """What answered the latest one: `scorecard`, `builtin`, `unanswered` (the built-in
    responder offered a human), `model:<name>`; None when the caller did not say."""
    answer: Mapped[str | None] = mapped_column(Text)
    """The latest answer drafted for it: what `promote --accept` puts on the Scorecard."""
    scorecard_id: Mapped[int | None] = mapped_column(BigId)
    """The Scorecard entry it was promoted to, if it was."""


class InboxQuestionRow(Base):
    """One visitor question as asked, in its conversation."""

    __tablename__ = "ai_inbox_questions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    group_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("ai_inbox_groups.id", ondelete="CASCADE"), index=True
    )
    conversation_id: Mapped[str] = mapped_column(String(200), index=True)
    text: Mapped[str] = mapped_column(Text)
    asked_at: Mapped[datetime]


class ContentSourceRow(Base):
    """A content source added from the console; indexed like a configured one (by its name)."""

    __tablename__ = "ai_content_sources"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    spec: Mapped[dict[str, Any]]
    """The source as a `[[ai.content.sources]]` entry would hold it (ContentSource's fields)."""
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]

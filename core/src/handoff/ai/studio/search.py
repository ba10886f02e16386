"""Ranked full-text retrieval over the indexed passages (Q7): SQLite FTS5, or PostgreSQL.

A visitor's question is turned into an OR of its content words (the words
that are not `STOPWORDS`, at most `MAX_TERMS`), so a passage holding some of
them is found and the ones holding more, and rarer, rank higher:

- SQLite: FTS5's `bm25()` over `ai_content_fts` (porter stemming), the title
  weighted `TITLE_WEIGHT` times the text;
- PostgreSQL: `ts_rank` over the generated `search_document` tsvector (the
  English configuration's stemming; the title weighted A, the text B), found
  through its GIN index.

Scores are higher-is-better on both (bm25 is negated), comparable only
within one query. The two databases stem and rank a little differently, so
the order of near ties may differ between them; the best passage for a
question whose words a passage clearly holds is the same.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from handoff.ai.responder import Passage
from handoff.ai.studio.text import content_words
from handoff.store.dialect import is_postgresql

__all__ = ["MAX_TERMS", "TITLE_WEIGHT", "query_terms", "search_passages"]

MAX_TERMS = 24
"""Most words of a question searched for: a pasted essay still makes a bounded query."""

TITLE_WEIGHT = 4.0
"""How much more a word in a passage's title counts than one in its text (SQLite's bm25:
the query below spells it)."""

_SQLITE = text(
    "SELECT p.url, p.title, p.text, bm25(ai_content_fts, 4.0, 1.0) AS rank "
    "FROM ai_content_fts JOIN ai_content_passages AS p ON p.id = ai_content_fts.rowid "
    "WHERE ai_content_fts MATCH :query ORDER BY rank, p.id LIMIT :limit"
)
_POSTGRES = text(
    "SELECT p.url, p.title, p.text, ts_rank(p.search_document, q) AS rank "
    "FROM ai_content_passages AS p, to_tsquery('english', :query) AS q "
    "WHERE p.search_document @@ q ORDER BY rank DESC, p.id LIMIT :limit"
)


def query_terms(question: str) -> list[str]:
    """The words of a question a search looks for: content words, each once, in order."""
    seen: dict[str, None] = {}
    for word in content_words(question):
        seen.setdefault(word, None)
        if len(seen) == MAX_TERMS:
            break
    return list(seen)


def search_passages(session: Session, question: str, *, limit: int = 5) -> list[Passage]:
    """The passages that best answer `question`, best first (empty when none holds a word of it).

    Each comes back as a `Passage` whose `source` is its link (the page's
    URL, with '#anchor' for a section that has one).
    """
    terms = query_terms(question)
    if not terms:
        return []
    if is_postgresql(session):
        rows = session.execute(_POSTGRES, {"query": " | ".join(terms), "limit": limit})
        return [
            Passage(source=url, title=title, text=body, score=float(rank))
            for url, title, body, rank in rows
        ]
    # Every term is letters and digits only (content_words), so quoting cannot be broken.
    query = " OR ".join(f'"{term}"' for term in terms)
    rows = session.execute(_SQLITE, {"query": query, "limit": limit})
    return [
        Passage(source=url, title=title, text=body, score=-float(rank))
        for url, title, body, rank in rows
    ]

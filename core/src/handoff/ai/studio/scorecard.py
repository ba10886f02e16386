"""The Scorecard (Q7): curated questions whose answer overrides any model when a visitor's matches.

Each entry is a question and its answer, marked by how the answer came to
be: `accepted` (the AI's proposed answer, taken as is), `edited` (proposed,
then changed) or `dictated` (written by a person). A visitor's question
matches an entry by the rule in `handoff.ai.studio.text` (Jaccard similarity
of content stems at least 0.75); two entries saying the same question (equal
stems) cannot exist, so a question never has two curated answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, get_args

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from handoff.ai.studio.tables import ScorecardRow
from handoff.ai.studio.text import MATCH_THRESHOLD, jaccard, question_key, size_bounds, stems
from handoff.errors import HandoffError

__all__ = [
    "KINDS",
    "AnswerKind",
    "ScorecardConflictError",
    "ScorecardEntry",
    "ScorecardError",
    "ScorecardMatch",
    "add_entry",
    "count_entries",
    "get_entry",
    "list_entries",
    "match_question",
    "remove_entry",
    "update_entry",
]

AnswerKind = Literal["accepted", "edited", "dictated"]
KINDS: tuple[str, ...] = get_args(AnswerKind)
"""How an answer came to be: the AI's taken as is, the AI's changed, or a person's own."""

MAX_ANSWER = 4000
"""Longest answer, in characters: a chat reply, not a page."""


class ScorecardError(HandoffError):
    """An entry cannot be stored as given (no meaningful word, an empty answer, a bad kind)."""


class ScorecardConflictError(ScorecardError):
    """The question is already on the Scorecard (the same stems): edit or remove that entry."""

    def __init__(self, message: str, entry_id: int) -> None:
        super().__init__(message)
        self.entry_id = entry_id


@dataclass(frozen=True)
class ScorecardEntry:
    """A curated question and its answer."""

    id: int
    question: str
    answer: str
    kind: str
    link: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: ScorecardRow) -> ScorecardEntry:
        """The entry of a stored row."""
        return cls(
            id=row.id,
            question=row.question,
            answer=row.answer,
            kind=row.kind,
            link=row.link,
            created_by=row.created_by,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    @property
    def source(self) -> str:
        """Its name as a Passage's source: `scorecard:<id>`."""
        return f"scorecard:{self.id}"

    def as_json(self) -> dict[str, Any]:
        """The entry as the API and `--json` give it."""
        return {
            "id": self.id,
            "question": self.question,
            "answer": self.answer,
            "kind": self.kind,
            "link": self.link,
            "created_by": self.created_by,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


@dataclass(frozen=True)
class ScorecardMatch:
    """The entry a question matched, and how similar the two are (0.75 to 1.0)."""

    entry: ScorecardEntry
    similarity: float


def _checked(question: str, answer: str, kind: str, link: str | None) -> str:
    if kind not in KINDS:
        raise ScorecardError(f"kind: expected one of {', '.join(KINDS)}, got {kind!r}")
    if not answer.strip():
        raise ScorecardError("answer: expected the answer's text, got nothing")
    if len(answer) > MAX_ANSWER:
        raise ScorecardError(f"answer: at most {MAX_ANSWER} characters, got {len(answer)}")
    if link is not None and not link.startswith(("http://", "https://", "/")):
        raise ScorecardError(f"link: expected an http(s) URL or a site path, got {link!r}")
    key = question_key(question)
    if not key:
        raise ScorecardError(
            f"question: {question!r} has no word to match on (only words like "
            "'what', 'is', 'the'): write the question as a visitor would"
        )
    if len(key) > 1000:
        raise ScorecardError("question: too long to match on (over 1000 characters of words)")
    return key


def add_entry(
    session: Session,
    *,
    question: str,
    answer: str,
    kind: str,
    created_by: str,
    now: datetime,
    link: str | None = None,
) -> ScorecardEntry:
    """Put a curated answer on the Scorecard; it answers every question that matches from now.

    Raises ScorecardConflictError naming the entry when the same question
    (the same stems) is already there, ScorecardError for a bad field.
    """
    key = _checked(question, answer, kind, link)
    existing = session.scalars(select(ScorecardRow).where(ScorecardRow.key == key)).one_or_none()
    if existing is not None:
        raise _conflict(existing.id, existing.question)
    row = ScorecardRow(
        question=question.strip(),
        key=key,
        size=len(key.split()),
        answer=answer.strip(),
        kind=kind,
        link=link,
        created_by=created_by,
        created_at=now,
        updated_at=now,
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        taken = session.scalars(select(ScorecardRow).where(ScorecardRow.key == key)).one()
        raise _conflict(taken.id, taken.question) from None
    return ScorecardEntry.of(row)


def update_entry(
    session: Session,
    entry_id: int,
    *,
    question: str,
    answer: str,
    kind: str,
    now: datetime,
    link: str | None = None,
) -> ScorecardEntry | None:
    """Change an entry's question, answer, kind or link; None when there is no such entry.

    The same checks as `add_entry`: a bad field is a ScorecardError naming
    it, a question another entry already answers a ScorecardConflictError.
    """
    key = _checked(question, answer, kind, link)
    row = session.get(ScorecardRow, entry_id)
    if row is None:
        return None
    other = session.scalars(
        select(ScorecardRow).where(ScorecardRow.key == key, ScorecardRow.id != entry_id)
    ).one_or_none()
    if other is not None:
        raise _conflict(other.id, other.question)
    try:
        with session.begin_nested():
            row.question = question.strip()
            row.key = key
            row.size = len(key.split())
            row.answer = answer.strip()
            row.kind = kind
            row.link = link
            row.updated_at = now
    except IntegrityError:
        taken = session.scalars(select(ScorecardRow).where(ScorecardRow.key == key)).one()
        raise _conflict(taken.id, taken.question) from None
    return ScorecardEntry.of(row)


def _conflict(entry_id: int, question: str) -> ScorecardConflictError:
    return ScorecardConflictError(
        f"question: the Scorecard already answers it (entry {entry_id}: {question!r}); "
        "remove that entry first to replace its answer",
        entry_id,
    )


def get_entry(session: Session, entry_id: int) -> ScorecardEntry | None:
    """One entry by id; None when there is none."""
    row = session.get(ScorecardRow, entry_id)
    return ScorecardEntry.of(row) if row is not None else None


def list_entries(session: Session, *, limit: int = 100, offset: int = 0) -> list[ScorecardEntry]:
    """Entries, newest first."""
    rows = session.scalars(
        select(ScorecardRow)
        .order_by(ScorecardRow.updated_at.desc(), ScorecardRow.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [ScorecardEntry.of(row) for row in rows]


def count_entries(session: Session) -> int:
    """How many entries the Scorecard holds."""
    return int(session.scalar(select(func.count(ScorecardRow.id))) or 0)


def remove_entry(session: Session, entry_id: int) -> ScorecardEntry | None:
    """Take an entry off the Scorecard; what was removed (None: no such entry)."""
    row = session.get(ScorecardRow, entry_id)
    if row is None:
        return None
    entry = ScorecardEntry.of(row)
    session.delete(row)
    session.flush()
    return entry


def match_question(session: Session, question: str) -> ScorecardMatch | None:
    """The entry whose question matches a visitor's (docs/ai.md, the match rule), or None.

    Only entries with a number of stems that can reach the threshold are
    read (`size_bounds`), then compared; the most similar wins, then the most
    recently updated, then the first added.
    """
    asked = stems(question)
    if not asked:
        return None
    low, high = size_bounds(len(asked), MATCH_THRESHOLD)
    similar: dict[int, float] = {}
    for entry_id, key in session.execute(
        select(ScorecardRow.id, ScorecardRow.key).where(ScorecardRow.size.between(low, high))
    ):
        similarity = jaccard(asked, key.split())
        if similarity >= MATCH_THRESHOLD:
            similar[entry_id] = similarity
    if not similar:
        return None
    # Only the few that match are read whole (their times: the newest wins a tie).
    rows = session.scalars(select(ScorecardRow).where(ScorecardRow.id.in_(list(similar))))
    row = max(rows, key=lambda r: (similar[r.id], r.updated_at, -r.id))
    return ScorecardMatch(ScorecardEntry.of(row), similar[row.id])

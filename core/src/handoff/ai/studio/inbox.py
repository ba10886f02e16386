"""The Inbox (Q7): every visitor question, grouped with similar ones and counted.

The conversation code calls `record_visitor_question` for each visitor turn,
in the transaction that stores the turn, with the draft that answered it.
The question joins the group of the same stems, else the most similar
group seen lately (Jaccard similarity of stems at least 0.6, among the
`RECENT_GROUPS` groups asked most recently), else starts a group of its own;
the group counts it and keeps the latest answer drafted.

A turn with no content word ("hi", "ok", "?") is not a question: it is not
recorded. `promote_group` puts a group's question on the Scorecard in one
step, with the answer given (dictated or edited) or the latest drafted one
(accepted).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from handoff.ai.responder import Draft
from handoff.ai.studio.scorecard import ScorecardEntry, add_entry
from handoff.ai.studio.tables import InboxGroupRow, InboxQuestionRow
from handoff.ai.studio.text import GROUP_THRESHOLD, jaccard, question_key, size_bounds
from handoff.errors import HandoffError

__all__ = [
    "RECENT_GROUPS",
    "UNANSWERED",
    "InboxError",
    "InboxGroup",
    "RecordedQuestion",
    "answered_by",
    "count_groups",
    "list_groups",
    "promote_group",
    "record_visitor_question",
]

RECENT_GROUPS = 2000
"""How many of the most recently asked groups a new question is compared with (besides the
group of its very stems, always found): bounds the work per visitor turn."""

UNANSWERED = "unanswered"
"""`answered_by` of a question the built-in responder could not answer (it offered a human)."""


class InboxError(HandoffError):
    """An Inbox group cannot be promoted (unknown, already promoted, no answer to accept)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class RecordedQuestion:
    """Where a visitor's question went: its group, the group's count, whether it is new."""

    question_id: int
    group_id: int
    count: int
    new_group: bool


@dataclass(frozen=True)
class InboxGroup:
    """A group of similar visitor questions, counted."""

    id: int
    question: str
    count: int
    first_at: datetime
    last_at: datetime
    answered_by: str | None
    answer: str | None
    scorecard_id: int | None
    examples: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        """The group as the API and `--json` give it."""
        return {
            "id": self.id,
            "question": self.question,
            "count": self.count,
            "first_at": self.first_at.isoformat(),
            "last_at": self.last_at.isoformat(),
            "answered_by": self.answered_by,
            "answer": self.answer,
            "scorecard_id": self.scorecard_id,
            "examples": list(self.examples),
        }


def answered_by(draft: Draft | None) -> str | None:
    """What answered a question, from its draft, for the Inbox to show.

    Its backend, or `unanswered` when the built-in responder quoted nothing
    (it said it did not know and offered a human).
    """
    if draft is None:
        return None
    if draft.backend == "builtin" and not draft.passages:
        return UNANSWERED
    return draft.backend[:100]


def _similar_group(session: Session, key: str) -> InboxGroupRow | None:
    exact = session.scalars(select(InboxGroupRow).where(InboxGroupRow.key == key)).one_or_none()
    if exact is not None:
        return exact
    asked = key.split()
    low, high = size_bounds(len(asked), GROUP_THRESHOLD)
    candidates = session.execute(
        select(InboxGroupRow.id, InboxGroupRow.key)
        .where(InboxGroupRow.size.between(low, high))
        .order_by(InboxGroupRow.last_at.desc(), InboxGroupRow.id.desc())
        .limit(RECENT_GROUPS)
    )
    best: tuple[float, int] | None = None
    for group_id, group_key in candidates:
        similarity = jaccard(asked, group_key.split())
        if similarity >= GROUP_THRESHOLD and (best is None or similarity > best[0]):
            best = (similarity, group_id)
    return session.get(InboxGroupRow, best[1]) if best is not None else None


def record_visitor_question(
    session: Session,
    *,
    conversation_id: str,
    question: str,
    asked_at: datetime,
    draft: Draft | None = None,
) -> RecordedQuestion | None:
    """Record one visitor turn in the Inbox (Q7); call it for every visitor turn.

    Runs in the caller's transaction (the one storing the turn). `draft` is
    the reply drafted for it, if any: the group keeps it as its latest answer
    and notes what answered. Returns None for a turn with no content word.
    """
    key = question_key(question)
    if not key or len(key) > 1000:
        return None
    text = question.strip()[:4000]
    group = _similar_group(session, key)
    new_group = group is None
    if group is None:
        group = InboxGroupRow(
            key=key,
            size=len(key.split()),
            question=text,
            count=0,
            first_at=asked_at,
            last_at=asked_at,
        )
        try:
            with session.begin_nested():
                session.add(group)
        except IntegrityError:  # another turn made the group of these stems a moment ago
            group = session.scalars(select(InboxGroupRow).where(InboxGroupRow.key == key)).one()
            new_group = False
    group.count += 1
    group.last_at = max(group.last_at, asked_at)
    if draft is not None:
        group.answered_by = answered_by(draft)
        group.answer = draft.text
    row = InboxQuestionRow(
        group_id=group.id, conversation_id=conversation_id[:200], text=text, asked_at=asked_at
    )
    session.add(row)
    session.flush()
    return RecordedQuestion(
        question_id=row.id, group_id=group.id, count=group.count, new_group=new_group
    )


def _examples(session: Session, group_id: int, limit: int = 3) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for text in session.scalars(
        select(InboxQuestionRow.text)
        .where(InboxQuestionRow.group_id == group_id)
        .order_by(InboxQuestionRow.asked_at.desc(), InboxQuestionRow.id.desc())
        .limit(50)
    ):
        seen.setdefault(text, None)
        if len(seen) == limit:
            break
    return tuple(seen)


def _group(session: Session, row: InboxGroupRow) -> InboxGroup:
    return InboxGroup(
        id=row.id,
        question=row.question,
        count=row.count,
        first_at=row.first_at,
        last_at=row.last_at,
        answered_by=row.answered_by,
        answer=row.answer,
        scorecard_id=row.scorecard_id,
        examples=_examples(session, row.id),
    )


def list_groups(
    session: Session, *, limit: int = 50, include_promoted: bool = False, offset: int = 0
) -> list[InboxGroup]:
    """The most asked groups first (then the latest asked); promoted ones only when asked."""
    query = select(InboxGroupRow)
    if not include_promoted:
        query = query.where(InboxGroupRow.scorecard_id.is_(None))
    rows = session.scalars(
        query.order_by(InboxGroupRow.count.desc(), InboxGroupRow.last_at.desc(), InboxGroupRow.id)
        .limit(limit)
        .offset(offset)
    )
    return [_group(session, row) for row in rows]


def count_groups(session: Session, *, include_promoted: bool = False) -> int:
    """How many groups `list_groups` lists in all (for paging)."""
    query = select(func.count(InboxGroupRow.id))
    if not include_promoted:
        query = query.where(InboxGroupRow.scorecard_id.is_(None))
    return int(session.scalar(query) or 0)


def promote_group(
    session: Session,
    group_id: int,
    *,
    by: str,
    now: datetime,
    answer: str | None = None,
    kind: str | None = None,
    question: str | None = None,
    link: str | None = None,
) -> ScorecardEntry:
    """Put a group's question on the Scorecard in one step; the new entry.

    Without `answer`, the group's latest drafted answer is accepted as is
    (kind `accepted`); with one, it is `dictated` unless `kind` says `edited`.
    `question` replaces the group's wording. Raises InboxError (404 unknown,
    409 already promoted, 422 no answer to accept) or a ScorecardError.
    """
    group = session.get(InboxGroupRow, group_id)
    if group is None:
        raise InboxError(f"Inbox group {group_id} does not exist", 404)
    if group.scorecard_id is not None:
        raise InboxError(
            f"Inbox group {group_id} is already on the Scorecard (entry {group.scorecard_id})", 409
        )
    if answer is None:
        if not group.answer:
            raise InboxError(
                f"answer: Inbox group {group_id} has no drafted answer to accept; give one", 422
            )
        answer, kind = group.answer, kind or "accepted"
    kind = kind or "dictated"
    entry = add_entry(
        session,
        question=question or group.question,
        answer=answer,
        kind=kind,
        created_by=by,
        now=now,
        link=link,
    )
    group.scorecard_id = entry.id
    return entry

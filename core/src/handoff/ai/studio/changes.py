"""AI Studio's changes (Q7), each with its audit line: the one way to change them.

The API, the CLI and the console change content sources, the index, the
Scorecard and the Inbox through these functions only.

Each function runs in the caller's transaction and appends one audit line
naming `actor` (`key:<id>` from the API, `cli:<OS user>`, `console:<name>`):

| action | subject |
| --- | --- |
| `ai.scorecard.add`, `ai.scorecard.edit`, `ai.scorecard.remove` | `scorecard:<id>` |
| `ai.inbox.promote` | `scorecard:<id>` (the new entry; the group in the details) |
| `ai.content.source_add` | `ai_content_source:<name>` |
| `ai.content.index` | `ai_content_source:<name>` (the report in the details) |
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from handoff.ai.studio.config import ContentConfig, ContentSource
from handoff.ai.studio.content import IndexReport, index_source
from handoff.ai.studio.inbox import promote_group
from handoff.ai.studio.scorecard import (
    ScorecardEntry,
    add_entry,
    get_entry,
    remove_entry,
    update_entry,
)
from handoff.ai.studio.sources import add_source
from handoff.runtime.state import audit

if TYPE_CHECKING:
    from handoff.store import Store
    from handoff_sdk import Clock

__all__ = [
    "SCORECARD_SUBJECT",
    "SOURCE_SUBJECT",
    "add_content_source",
    "add_scorecard_entry",
    "edit_scorecard_entry",
    "index_content_source",
    "promote_inbox_group",
    "remove_scorecard_entry",
]

SCORECARD_SUBJECT = "scorecard"
"""Audit subject of Scorecard changes: `scorecard:<id>`."""
SOURCE_SUBJECT = "ai_content_source"
"""Audit subject of a content source's changes: `ai_content_source:<name>`."""


def _audited(
    session: Session,
    entry: ScorecardEntry,
    action: str,
    *,
    actor: str,
    now: datetime,
    details: dict[str, Any],
) -> ScorecardEntry:
    """`entry`, after one audit line about it (`scorecard:<id>`): every Scorecard change's."""
    audit(
        session,
        actor=actor,
        action=action,
        now=now,
        subject_type=SCORECARD_SUBJECT,
        subject_id=str(entry.id),
        details=details,
    )
    return entry


def add_scorecard_entry(
    session: Session,
    *,
    question: str,
    answer: str,
    kind: str,
    link: str | None,
    actor: str,
    now: datetime,
) -> ScorecardEntry:
    """`add_entry`, audited (`ai.scorecard.add`)."""
    entry = add_entry(
        session,
        question=question,
        answer=answer,
        kind=kind,
        created_by=actor,
        now=now,
        link=link,
    )
    return _audited(
        session,
        entry,
        "ai.scorecard.add",
        actor=actor,
        now=now,
        details={"question": entry.question, "kind": entry.kind},
    )


def edit_scorecard_entry(
    session: Session,
    entry_id: int,
    *,
    question: str,
    answer: str,
    kind: str,
    link: str | None,
    actor: str,
    now: datetime,
) -> ScorecardEntry | None:
    """`update_entry`, audited (`ai.scorecard.edit`, with what was there before)."""
    before = get_entry(session, entry_id)
    entry = update_entry(
        session, entry_id, question=question, answer=answer, kind=kind, now=now, link=link
    )
    if entry is None or before is None:
        return None
    return _audited(
        session,
        entry,
        "ai.scorecard.edit",
        actor=actor,
        now=now,
        details={
            "question": entry.question,
            "kind": entry.kind,
            "before": {"question": before.question, "answer": before.answer, "kind": before.kind},
        },
    )


def remove_scorecard_entry(
    session: Session, entry_id: int, *, actor: str, now: datetime
) -> ScorecardEntry | None:
    """`remove_entry`, audited (`ai.scorecard.remove`); None when there is no such entry."""
    entry = remove_entry(session, entry_id)
    if entry is None:
        return None
    return _audited(
        session,
        entry,
        "ai.scorecard.remove",
        actor=actor,
        now=now,
        details={"question": entry.question},
    )


def promote_inbox_group(
    session: Session,
    group_id: int,
    *,
    actor: str,
    now: datetime,
    answer: str | None = None,
    kind: str | None = None,
    question: str | None = None,
    link: str | None = None,
) -> ScorecardEntry:
    """`promote_group`, audited (`ai.inbox.promote`): the group's question on the Scorecard."""
    entry = promote_group(
        session,
        group_id,
        by=actor,
        now=now,
        answer=answer,
        kind=kind,
        question=question,
        link=link,
    )
    return _audited(
        session,
        entry,
        "ai.inbox.promote",
        actor=actor,
        now=now,
        details={"group_id": group_id, "question": entry.question, "kind": entry.kind},
    )


def add_content_source(
    session: Session,
    fields: dict[str, Any],
    *,
    config: ContentConfig,
    actor: str,
    now: datetime,
) -> ContentSource:
    """`add_source`, audited (`ai.content.source_add`, with the source's fields)."""
    source = add_source(session, fields, config=config, created_by=actor, now=now)
    audit(
        session,
        actor=actor,
        action="ai.content.source_add",
        now=now,
        subject_type=SOURCE_SUBJECT,
        subject_id=source.name,
        details=source.model_dump(exclude_defaults=True),
    )
    return source


async def index_content_source(
    store: Store,
    source: ContentSource,
    *,
    actor: str,
    now: datetime,
    config_file: Path | None = None,
    clock: Clock | None = None,
    **options: Any,
) -> IndexReport:
    """`index_source`, then its report audited (`ai.content.index`) in a transaction of its own.

    `options` are index_source's (`plan`, `advance`, `transport`). A source
    that cannot be read at all raises ContentError, and nothing is audited.
    """
    report = await index_source(
        store, source, now=now, config_file=config_file, clock=clock, **options
    )
    with store.transaction() as session:
        audit(
            session,
            actor=actor,
            action="ai.content.index",
            now=now,
            subject_type=SOURCE_SUBJECT,
            subject_id=source.name,
            details=report.as_json(),
        )
    return report

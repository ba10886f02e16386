"""Decisions, stored with their explanation, together with the jobs they cause."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, and_, func, insert, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from handoff.runtime.jobs import JobSpec, enqueue
from handoff.store import Decision, EventRecord, Job
from handoff.store.bulk import insert_rows

__all__ = ["DecisionSpec", "decisions_about", "jobs_of", "record_decision", "record_decisions"]


@dataclass(frozen=True)
class DecisionSpec:
    """What a rule decided, about what, and why (the explanation `handoff explain` prints)."""

    kind: str
    subject_type: str
    subject_id: str
    outcome: dict[str, Any]
    explanation: dict[str, Any] = field(default_factory=dict)
    rule_ids: tuple[str, ...] = ()
    event_id: int | None = None


def record_decision(
    session: Session,
    decision: DecisionSpec,
    *,
    now: datetime,
    jobs: Iterable[JobSpec] = (),
) -> int:
    """Store a decision and the jobs it causes in the caller's (single) transaction; its id.

    Either both are committed or neither is: the outbox guarantee. A job
    whose idempotency key exists already is not written twice. One INSERT
    (no ORM unit of work): this runs once per routed chat.
    """
    decision_id: int = (
        session.connection()
        .execute(
            insert(Decision).returning(Decision.id),
            {
                "kind": decision.kind,
                "subject_type": decision.subject_type,
                "subject_id": decision.subject_id,
                "event_id": decision.event_id,
                "outcome": decision.outcome,
                "explanation": decision.explanation,
                "rule_ids": list(decision.rule_ids),
                "decided_at": now,
            },
        )
        .scalar_one()
    )
    enqueue(session, jobs, now=now, decision_id=decision_id, event_id=decision.event_id)
    return decision_id


HUB_SOURCE = "hub"
"""The source of the events the hub's own API receives (POST /v1/...)."""


def _sender_keys(session: Session, sender_id: str) -> list[str]:
    """The dedupe keys the API gives an event the sender called `sender_id`: '<type>:<id>'.

    One per event type the hub has received, so the lookup stays an exact
    match on the (source, dedupe_key) index.
    """
    types = _distinct(session, EventRecord.type, EventRecord.source == HUB_SOURCE)
    return [f"{event_type}:{sender_id}" for event_type in types]


def _distinct(
    session: Session, column: InstrumentedAttribute[Any], *where: ColumnElement[bool]
) -> list[Any]:
    """The distinct non-null values of an indexed column (under `where`), smallest first.

    One index probe a value (a loose index scan: the next value is the
    smallest above the last), so a column of a few values costs a few
    lookups whatever the table's size, where SELECT DISTINCT reads every row.
    """
    found: list[Any] = []
    value = session.scalar(select(func.min(column)).where(*where))
    while value is not None:
        found.append(value)
        value = session.scalar(select(func.min(column)).where(*where, column > value))
    return found


def record_decisions(
    session: Session, decisions: Sequence[DecisionSpec], *, now: datetime
) -> list[int]:
    """Store many decisions (no jobs) in one statement; their ids, in order.

    For a decision taken on many subjects at once (P3: a page of 2,000
    accounts ranked): one INSERT of many rows instead of one per decision
    (`insert_rows`: on SQLite, SQLAlchemy would send one statement a row to
    hand the ids back in order).
    """
    if not decisions:
        return []
    rows = [
        {
            "kind": d.kind,
            "subject_type": d.subject_type,
            "subject_id": d.subject_id,
            "event_id": d.event_id,
            "outcome": d.outcome,
            "explanation": d.explanation,
            "rule_ids": list(d.rule_ids),
            "decided_at": now,
        }
        for d in decisions
    ]
    return insert_rows(session.connection(), cast("Table", Decision.__table__), rows, ids=True)


def decisions_about(session: Session, ref: str) -> tuple[list[EventRecord], list[Decision]]:
    """Events and decisions for an id: 'event:42', 'decision:7', 'TYPE:ID' or a bare subject id.

    A bare id matches any subject with that id, or an event whose dedupe key
    it is, or an event the hub's API received with that `id` from its sender
    (stored under the key '<type>:<id>'). Decisions come oldest first, each with its jobs reachable
    through `jobs_of`.
    """
    kind, _, value = ref.partition(":")
    events: list[EventRecord] = []
    decisions: list[Decision] = []
    if value and kind == "event" and value.isdigit():
        event = session.get(EventRecord, int(value))
        events = [event] if event else []
        decisions = list(session.scalars(select(Decision).where(Decision.event_id == int(value))))
    elif value and kind == "decision" and value.isdigit():
        found = session.get(Decision, int(value))
        decisions = [found] if found else []
        if found and found.event_id is not None:
            event = session.get(EventRecord, found.event_id)
            events = [event] if event else []
        # Q19: flags questioning this decision are events keyed misroute:<decision>:<rep>,
        # about the decision's own subject (read on that index, not across every event).
        flags = select(EventRecord).where(EventRecord.dedupe_key.like(f"misroute:{int(value)}:%"))
        if found is not None:
            flags = flags.where(
                EventRecord.subject_type == found.subject_type[:50],  # as events store it
                EventRecord.subject_id == found.subject_id[:200],
            )
        events += list(session.scalars(flags.order_by(EventRecord.id)))
    else:
        subject = select(Decision).order_by(Decision.id)
        event_query = select(EventRecord).order_by(EventRecord.id)
        if value:
            subject = subject.where(Decision.subject_type == kind, Decision.subject_id == value)
            event_query = event_query.where(
                EventRecord.subject_type == kind, EventRecord.subject_id == value
            )
        else:
            # A bare id, looked up under each subject type and source there is: every term
            # an index search (a handful of types), never a scan of all decisions and events.
            subject = subject.where(
                Decision.subject_type.in_(_distinct(session, Decision.subject_type)),
                Decision.subject_id == ref,
            )
            event_query = event_query.where(
                or_(
                    and_(
                        EventRecord.subject_type.in_(_distinct(session, EventRecord.subject_type)),
                        EventRecord.subject_id == ref,
                    ),
                    and_(EventRecord.subject_type.is_(None), EventRecord.subject_id == ref),
                    and_(
                        EventRecord.source.in_(_distinct(session, EventRecord.source)),
                        EventRecord.dedupe_key == ref,
                    ),
                    and_(
                        EventRecord.source == HUB_SOURCE,
                        EventRecord.dedupe_key.in_(_sender_keys(session, ref)),
                    ),
                )
            )
        events = list(session.scalars(event_query))
        decisions = list(session.scalars(subject))
        known = {d.id for d in decisions}
        event_ids = [e.id for e in events]
        if event_ids:
            for extra in session.scalars(
                select(Decision).where(Decision.event_id.in_(event_ids)).order_by(Decision.id)
            ):
                if extra.id not in known:
                    decisions.append(extra)
    decisions.sort(key=lambda d: d.id)
    return events, decisions


def jobs_of(session: Session, decision_id: int) -> list[Job]:
    """The jobs a decision caused."""
    return list(session.scalars(select(Job).where(Job.decision_id == decision_id).order_by(Job.id)))

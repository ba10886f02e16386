"""What the store knows about tickets: their decisions, and the follow-up queue (Z6).

The queue is what the seed's personal view shows ("Escalated to Sales" =
checked), as the hub last saw it: every ticket whose newest decision keeps it
there (passed, pinged or waiting), with its rep, its age and its pings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from handoff.store import Decision
from handoff.tickets.follow_up import DROPPED, IN_QUEUE
from handoff.tickets.kinds import DECISION_KINDS, FOLLOW_UP_DECISION, ROUTE_DECISION, SUBJECT

__all__ = [
    "Episode",
    "QueueRow",
    "episode",
    "queue",
    "queue_row",
    "ticket_decisions",
    "tracked_tickets",
]


def ticket_decisions(session: Session, ticket_id: str) -> list[Decision]:
    """The tickets flow's decisions about one ticket, oldest first."""
    return list(
        session.scalars(
            select(Decision)
            .where(
                Decision.subject_type == SUBJECT,
                Decision.subject_id == ticket_id,
                Decision.kind.in_(DECISION_KINDS),
            )
            .order_by(Decision.id)
        )
    )


def _in_queue(decision: Decision) -> bool:
    action = decision.outcome.get("action")
    if decision.kind == ROUTE_DECISION:
        return action == "pass"
    return action in IN_QUEUE


@dataclass(frozen=True)
class Episode:
    """One stay of a ticket in the queue: since when, its pings, its kind (Z6)."""

    since: datetime | None
    pings: int
    kind: str | None
    last: Decision | None


def episode(history: list[Decision]) -> Episode:
    """The current stay in the queue, read from a ticket's decisions (oldest first).

    It starts at the newest pass, or at the first follow-up after the
    ticket last dropped out; pings count from there.
    """
    start = 0
    for index, decision in enumerate(history):
        dropped = decision.kind == FOLLOW_UP_DECISION and decision.outcome.get("action") in DROPPED
        if dropped or (
            decision.kind == ROUTE_DECISION and decision.outcome.get("action") == "pass"
        ):
            start = index + 1 if dropped else index
    current = history[start:]
    kind = next(
        (d.outcome.get("kind") for d in reversed(history) if d.kind == ROUTE_DECISION), None
    )
    pings = sum(
        1 for d in current if d.kind == FOLLOW_UP_DECISION and d.outcome.get("action") == "ping"
    )
    since = current[0].decided_at if current else None
    last = next((d for d in reversed(history) if d.kind == FOLLOW_UP_DECISION), None)
    return Episode(since=since, pings=pings, kind=kind, last=last)


def tracked_tickets(session: Session) -> list[str]:
    """Tickets whose newest decision keeps them in the queue (the review re-reads them)."""
    newest: dict[str, Decision] = {}
    for decision in session.scalars(
        select(Decision)
        .where(Decision.subject_type == SUBJECT, Decision.kind.in_(DECISION_KINDS))
        .order_by(Decision.id)
    ):
        newest[decision.subject_id] = decision
    return sorted((t for t, d in newest.items() if _in_queue(d)), key=_ticket_order)


def _ticket_order(ticket_id: str) -> tuple[int, str]:
    return (int(ticket_id), "") if ticket_id.isdigit() else (0, ticket_id)


@dataclass(frozen=True)
class QueueRow:
    """One ticket of the follow-up queue, as `handoff tickets review` lists it."""

    ticket_id: str
    subject: str
    kind: str | None
    rep: str | None
    since: datetime | None
    pings: int
    last_action: str
    last_at: datetime
    url: str | None

    def as_json(self, now: datetime) -> dict[str, Any]:
        """The row for --json and the API, with its age in hours at `now`."""
        return {
            "ticket_id": self.ticket_id,
            "subject": self.subject,
            "kind": self.kind,
            "rep": self.rep,
            "escalated_since": self.since.isoformat() if self.since else None,
            "age_hours": round((now - self.since).total_seconds() / 3600, 1)
            if self.since
            else None,
            "pings": self.pings,
            "last_action": self.last_action,
            "last_at": self.last_at.isoformat(),
            "url": self.url,
        }


def queue(session: Session, *, include_dropped: bool = False) -> list[QueueRow]:
    """The follow-up queue: tickets passed or escalated, not yet answered or closed."""
    history: dict[str, list[Decision]] = {}
    for decision in session.scalars(
        select(Decision)
        .where(Decision.subject_type == SUBJECT, Decision.kind.in_(DECISION_KINDS))
        .order_by(Decision.id)
    ):
        history.setdefault(decision.subject_id, []).append(decision)
    return [
        queue_row(ticket_id, history[ticket_id])
        for ticket_id in sorted(history, key=_ticket_order)
        if include_dropped or _in_queue(history[ticket_id][-1])
    ]


def queue_row(ticket_id: str, decisions: list[Decision]) -> QueueRow:
    """One ticket's line of the queue, from its decisions (oldest first, at least one).

    `queue` builds every line with it; a ticket's own page (the console's)
    reads one ticket's decisions (`ticket_decisions`) and builds its line the same way.
    """
    newest = decisions[-1]
    stay = episode(decisions)
    info = next(
        (d.outcome for d in reversed(decisions) if d.outcome.get("subject") is not None),
        newest.outcome,
    )
    rep = info.get("rep_email") or (info.get("rep") or {}).get("email")
    return QueueRow(
        ticket_id=ticket_id,
        subject=str(info.get("subject") or ""),
        kind=stay.kind or info.get("kind"),
        rep=rep,
        since=stay.since,
        pings=stay.pings,
        last_action=str(newest.outcome.get("action")),
        last_at=newest.decided_at,
        url=info.get("url"),
    )

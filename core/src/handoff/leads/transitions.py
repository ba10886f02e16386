"""Status changes asked for: by a person (API, CLI) or by another flow (Q16), as events.

A request is a `hub.lead_transition` event, so it is replayed like any
other input. The API and the CLI store it and decide it in ONE transaction:
a refused move raises before the commit, so the event is not kept and
nothing changes, and the caller answers with the current status and the
allowed next ones. The same event written by another flow (the AI rep
moving a lead to Accepted) is decided by the worker; a refusal there is
stored as a refused decision, for `handoff explain`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from handoff.errors import HandoffError
from handoff.leads.kinds import LEAD_TRANSITION
from handoff.leads.lifecycle import move, refuse
from handoff.leads.records import get_lead, lead_key
from handoff.leads.status import StatusConfig, TransitionRefused
from handoff.runtime import record_events
from handoff.store import EventRecord
from handoff_sdk.entities import Event

__all__ = [
    "LeadNotFoundError",
    "decide_transition",
    "store_and_decide",
    "transition_event",
]


class LeadNotFoundError(HandoffError):
    """No lead has this id (email)."""

    def __init__(self, lead_id: str) -> None:
        self.lead_id = lead_key(lead_id)
        super().__init__(f"no lead {self.lead_id}")


def transition_event(
    lead_id: str, to: str, *, reason: str, actor: str, key: str, source: str = "api"
) -> Event:
    """The `hub.lead_transition` event asking to move a lead to `to` (same key = same request)."""
    lead = lead_key(lead_id)
    return Event(
        type=LEAD_TRANSITION,
        source=source,
        dedupe_key=f"transition:{key}",
        payload={
            "lead": lead,
            "to": to,
            "reason": reason,
            "actor": actor,
            "subject": {"type": "lead", "id": lead},
        },
    )


def decide_transition(
    session: Session,
    machine: StatusConfig,
    event: EventRecord,
    *,
    now: datetime,
    strict: bool,
) -> int:
    """Move the lead as the event asks; its decision id.

    `strict`: a refusal raises (the caller rolls back); otherwise it is stored
    as a refused decision and nothing else changes.
    """
    payload = event.payload
    lead_id, to = str(payload.get("lead", "")), str(payload.get("to", ""))
    actor = str(payload.get("actor") or event.source)
    reason = str(payload.get("reason") or f"asked by {actor}")
    lead = get_lead(session, lead_id)
    if lead is None:
        if strict:
            raise LeadNotFoundError(lead_id)
        refused = TransitionRefused(lead_id, None, to, [], "no such lead")
        return refuse(session, refused, actor=actor, now=now, event_id=event.id)
    try:
        return move(
            session,
            machine,
            lead,
            to,
            actor=actor,
            reason=reason,
            now=now,
            rule_ids=("D5", "Q16") if to in ("Accepted", "Recycle", "Qualifying") else ("D5",),
            event_id=event.id,
        )
    except TransitionRefused as refused:
        if strict:
            raise
        return refuse(session, refused, actor=actor, now=now, event_id=event.id)


def store_and_decide(
    session: Session, event: Event, decide: Callable[[EventRecord], int], *, now: datetime
) -> dict[str, Any]:
    """Store a request event (a transition, Soft-BANT, a claim) and decide it now.

    Runs in the caller's transaction: `decide` raising (a refused transition,
    a lost claim) rolls everything back, so nothing is kept. A repeated
    request (same dedupe key) is stored once and decided once; the answer
    says `duplicate`. The event is marked processed, so the worker does not
    decide it again; replay decides it like any other.
    """
    [stored] = record_events(session, [event], now=now)
    if not stored.created:
        return {"event_id": stored.id, "duplicate": True, "decision_id": None}
    record = session.get(EventRecord, stored.id)
    assert record is not None  # just written in this transaction
    decision_id = decide(record)
    record.processed_at = now
    return {"event_id": stored.id, "duplicate": False, "decision_id": decision_id}

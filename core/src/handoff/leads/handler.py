"""The leads flow on the runtime: its events enriched, decided, and stored with why.

`enrich` (connector I/O, outside any transaction) asks the CRM and the
enrichment connectors what a decision needs; `decide` (the event's
transaction, no I/O) reads the lead, runs the pure rules and stores each
decision with its jobs and timers. Every event type the flow reads has one
method here, named after what it decides.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from handoff.leads.kinds import (
    FORM_SUBMISSION,
    INBOUND_EMAIL,
    INTAKE_DECISION,
    LEAD_TIMER,
    LEAD_TOUCH,
    LEAD_TRANSITION,
    STATUS_DECISION,
)
from handoff.leads.lifecycle import NURTURE_TIMER
from handoff.leads.records import get_lead, new_lead, update_person
from handoff.leads.settings import LeadsConfig
from handoff.leads.touches import nurture_if_silent, record_touch
from handoff.leads.transitions import decide_transition
from handoff.runtime import DecisionSpec, EventHandler, record_decision
from handoff.store import EventRecord

if TYPE_CHECKING:
    from handoff.hub import Hub

__all__ = ["LeadsHandler", "event_time"]

PERSON_KEYS = {
    "first_name": ("first_name", "firstname", "FirstName"),
    "last_name": ("last_name", "lastname", "LastName"),
    "company": ("company", "company_name", "Company"),
    "title": ("title", "job_title", "Title"),
    "phone": ("phone", "Phone"),
    "country": ("country", "Country"),
}
"""Where a form's fields give the person's details, under the spellings forms use."""


def event_time(event: EventRecord, now: datetime) -> datetime:
    """When the event happened (the sender's time), else when it was decided."""
    return event.occurred_at or now


def person_of(fields: dict[str, Any]) -> dict[str, str]:
    """The person's details in a form's fields, under the `leads` column names."""
    found: dict[str, str] = {}
    for name, spellings in PERSON_KEYS.items():
        for key in spellings:
            value = fields.get(key)
            if isinstance(value, str) and value.strip():
                found[name] = value.strip()
                break
    return found


class LeadsHandler(EventHandler):
    """Decides the leads flow's events (D1-D8, Q13, Q16)."""

    def __init__(self, config: LeadsConfig) -> None:
        self.config = config
        self.machine = config.status
        self._deciders: dict[str, Callable[[Session, EventRecord, dict[str, Any], datetime], None]]
        self._deciders = {
            FORM_SUBMISSION: self.inbound,
            INBOUND_EMAIL: self.inbound,
            LEAD_TOUCH: self.touch,
            LEAD_TIMER: self.timer,
            LEAD_TRANSITION: self.transition,
        }

    async def enrich(self, hub: Hub | None, event: EventRecord) -> dict[str, Any]:
        """What the decision needs from outside systems (nothing yet for these events)."""
        return {}

    def decide(
        self, session: Session, event: EventRecord, context: dict[str, Any], now: datetime
    ) -> None:
        """Decide one event with the method for its type."""
        decider = self._deciders.get(event.type)
        if decider is not None:
            decider(session, event, context, now)

    # -- D1: a person arrives ---------------------------------------------------------

    def inbound(
        self, session: Session, event: EventRecord, context: dict[str, Any], now: datetime
    ) -> None:
        """A form or a mail: create or update the lead at the initial status (D1)."""
        payload = event.payload
        email = str(payload["email"])
        person = person_of(payload.get("fields") or {})
        if payload.get("from_name"):
            first, _, last = str(payload["from_name"]).partition(" ")
            person.setdefault("first_name", first)
            if last:
                person.setdefault("last_name", last)
        source = str(payload.get("form_id") or payload.get("mailbox") or event.type)
        lead = get_lead(session, email)
        created = lead is None
        if lead is None:
            lead = new_lead(
                session, email, now=now, status=self.machine.initial, source=source, person=person
            )
        else:
            update_person(lead, person)
            lead.updated_at = now
        record_decision(
            session,
            DecisionSpec(
                kind=INTAKE_DECISION,
                subject_type="lead",
                subject_id=lead.id,
                outcome={"lead": lead.id, "handling": "lead", "created": created, "source": source},
                explanation={
                    "why": f"source {source!r}: any source not configured goes to BDR "
                    "qualification (D1)"
                },
                rule_ids=("D1",),
                event_id=event.id,
            ),
            now=now,
        )

    # -- D5: attempts, replies, the no-reply timer ------------------------------------

    def touch(
        self, session: Session, event: EventRecord, context: dict[str, Any], now: datetime
    ) -> None:
        """An attempt, a reply or a bounce (D5)."""
        payload = event.payload
        lead = get_lead(session, str(payload["email"]))
        if lead is None:
            self._unknown(session, event, str(payload["email"]), now)
            return
        record_touch(
            session,
            self.machine,
            lead,
            str(payload["kind"]),
            at=event_time(event, now),
            actor=str(payload.get("rep") or event.source),
            now=now,
            event_id=event.id,
        )

    def timer(
        self, session: Session, event: EventRecord, context: dict[str, Any], now: datetime
    ) -> None:
        """One of a lead's timers came due."""
        payload = event.payload
        lead = get_lead(session, str(payload["lead"]))
        if lead is None:
            return
        if payload.get("timer") == NURTURE_TIMER:
            nurture_if_silent(session, self.machine, lead, payload, now=now, event_id=event.id)

    # -- D5, Q16: a status change asked for --------------------------------------------

    def transition(
        self, session: Session, event: EventRecord, context: dict[str, Any], now: datetime
    ) -> None:
        """Another flow asks to move a lead (Q16); a refusal is stored, not raised."""
        decide_transition(session, self.machine, event, now=now, strict=False)

    def _unknown(self, session: Session, event: EventRecord, email: str, now: datetime) -> None:
        record_decision(
            session,
            DecisionSpec(
                kind=STATUS_DECISION,
                subject_type="lead",
                subject_id=email.strip().lower(),
                outcome={"lead": email.strip().lower(), "unknown": True},
                explanation={"why": f"no lead {email}: the event is kept, nothing changes"},
                rule_ids=("D5",),
                event_id=event.id,
            ),
            now=now,
        )

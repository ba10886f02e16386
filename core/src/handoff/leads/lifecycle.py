"""Status changes, stored: the one way a lead's status moves (D5, Q16).

`move` checks the machine (and the Bad Data guard), writes the lead, the
transition with who or what caused it and why, and the decision with its
explanation, and keeps the no-reply timer in step: scheduled from the last
attempt while the lead is being attempted, cancelled when it leaves. A
refused move raises `TransitionRefused` before anything is written; callers
that must keep a trace of it (another flow's request) store it with `refuse`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from handoff.leads.kinds import STATUS_DECISION, TIMER_JOB
from handoff.leads.records import lead_key
from handoff.leads.status import StatusConfig, TransitionRefused, channels_of
from handoff.leads.store import LeadRow, TransitionRow
from handoff.runtime import DecisionSpec, JobSpec, cancel_timer, record_decision, schedule_timer

__all__ = [
    "NURTURE_TIMER",
    "move",
    "refuse",
    "timer_job",
    "timer_key",
]

NURTURE_TIMER = "nurture"
"""The timer that nurtures an attempted lead nobody replied to (D5)."""


def timer_key(kind: str, lead_id: str) -> str:
    """The key of one of a lead's timers: `leads:<kind>:<lead>` (same key = rescheduled)."""
    return f"leads:{kind}:{lead_key(lead_id)}"


def timer_job(kind: str, lead_id: str, **details: Any) -> JobSpec:
    """The job a lead's timer writes when due: it stores a `hub.lead_timer` event."""
    key = timer_key(kind, lead_id)
    return JobSpec(
        kind=TIMER_JOB,
        idempotency_key=key,
        payload={"timer": kind, "lead": lead_key(lead_id), **details},
    )


def _bad_data_guard(lead: LeadRow, machine: StatusConfig, to: str) -> None:
    """Bad Data only when the lead has no valid channel at all: a made-up name is not enough."""
    if to != machine.bad_data or to == lead.status:
        return
    channels = channels_of(lead.email, lead.phone, lead.email_bounced_at is not None)
    if channels.any:
        allowed = [s for s in machine.allowed_next(lead.status) if s != machine.bad_data]
        raise TransitionRefused(
            lead.id,
            lead.status,
            to,
            allowed,
            f"'{to}' is only for a lead with no valid channel, and this one has: "
            + ", ".join(channels.valid),
        )


def move(
    session: Session,
    machine: StatusConfig,
    lead: LeadRow,
    to: str,
    *,
    actor: str,
    reason: str,
    now: datetime,
    rule_ids: Sequence[str] = ("D5",),
    event_id: int | None = None,
    explanation: dict[str, Any] | None = None,
    jobs: Sequence[JobSpec] = (),
) -> int:
    """Move the lead to `to` and store the decision; its id. TransitionRefused: nothing written.

    Moving to the status the lead has is recorded as a decision (the
    explanation says why it stays) but adds no transition.
    """
    machine.check(lead.id, lead.status, to)
    _bad_data_guard(lead, machine, to)
    previous = lead.status
    outcome = {"lead": lead.id, "from": previous, "to": to, "actor": actor}
    decision_id = record_decision(
        session,
        DecisionSpec(
            kind=STATUS_DECISION,
            subject_type="lead",
            subject_id=lead.id,
            outcome=outcome,
            explanation={
                "why": reason,
                "allowed_next_from": {
                    "status": previous,
                    "allowed": machine.allowed_next(previous),
                },
                **(explanation or {}),
            },
            rule_ids=tuple(rule_ids),
            event_id=event_id,
        ),
        now=now,
        jobs=jobs,
    )
    if to != previous:
        lead.status = to
        lead.status_since = now
        session.add(
            TransitionRow(
                lead_id=lead.id,
                from_status=previous,
                to_status=to,
                actor=actor[:100],
                reason=reason,
                rule_ids=list(rule_ids),
                decision_id=decision_id,
                at=now,
            )
        )
    lead.updated_at = now
    keep_nurture_timer(session, machine, lead, now=now)
    return decision_id


def keep_nurture_timer(
    session: Session, machine: StatusConfig, lead: LeadRow, *, now: datetime
) -> None:
    """Keep the no-reply timer in step with the lead (D5).

    While the lead is attempted and has not replied, nurture is due N days
    after the LAST attempt (each attempt reschedules it); otherwise no
    nurture timer is pending.
    """
    key = timer_key(NURTURE_TIMER, lead.id)
    replied = lead.last_reply_at is not None and (
        lead.last_attempt_at is None or lead.last_reply_at >= lead.last_attempt_at
    )
    if machine.is_attempt(lead.status) and lead.last_attempt_at is not None and not replied:
        due = machine.nurture_due(lead.last_attempt_at)
        schedule_timer(
            session,
            key,
            timer_job(NURTURE_TIMER, lead.id, last_attempt=lead.last_attempt_at.isoformat()),
            now=now,
            at=due,
        )
    else:
        cancel_timer(session, key)


def refuse(
    session: Session,
    refused: TransitionRefused,
    *,
    actor: str,
    now: datetime,
    event_id: int | None = None,
    rule_ids: Sequence[str] = ("D5",),
) -> int:
    """Store a refused status change as a decision (nothing else changes), for `explain`."""
    return record_decision(
        session,
        DecisionSpec(
            kind=STATUS_DECISION,
            subject_type="lead",
            subject_id=lead_key(refused.lead),
            outcome={
                "lead": lead_key(refused.lead),
                "from": refused.current,
                "to": refused.to,
                "actor": actor,
                "refused": True,
            },
            explanation={"why": str(refused), "allowed_next": refused.allowed},
            rule_ids=tuple(rule_ids),
            event_id=event_id,
        ),
        now=now,
    )

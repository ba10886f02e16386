"""Messages to a lead and replies from them: Attempt N, the no-reply timer, Bad Data (D5).

- An attempt (a message sent without a reply yet) moves the lead to Attempt
  N, N the number of attempts so far (the last attempt status repeats), and
  sets the no-reply timer to `nurture_after_days` after THIS attempt: each
  attempt restarts the count.
- A reply cancels the timer and moves an attempted lead to `replied`
  (Progressing): the conversation is two-way.
- A hard bounce makes the email invalid; with no other valid channel the
  lead is Bad Data (and only then).
- The timer, when it fires, moves a lead still attempted and still silent to
  `nurture`; anything that happened since (a reply, another attempt) wins.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from handoff.leads.kinds import STATUS_DECISION
from handoff.leads.lifecycle import keep_nurture_timer, move
from handoff.leads.status import StatusConfig, TransitionRefused, channels_of
from handoff.leads.store import LeadRow
from handoff.runtime import DecisionSpec, record_decision

__all__ = ["nurture_if_silent", "record_touch"]


def _note(
    session: Session, lead: LeadRow, why: str, *, now: datetime, event_id: int | None
) -> None:
    """A touch that moves no status is still explained (why the status stays)."""
    record_decision(
        session,
        DecisionSpec(
            kind=STATUS_DECISION,
            subject_type="lead",
            subject_id=lead.id,
            outcome={"lead": lead.id, "from": lead.status, "to": lead.status, "unchanged": True},
            explanation={"why": why},
            rule_ids=("D5",),
            event_id=event_id,
        ),
        now=now,
    )


def record_touch(
    session: Session,
    machine: StatusConfig,
    lead: LeadRow,
    kind: str,
    *,
    at: datetime,
    actor: str,
    now: datetime,
    event_id: int | None = None,
) -> None:
    """Apply one attempt, reply or bounce to the lead (see the module docstring)."""
    if kind == "attempt":
        lead.attempts += 1
        lead.last_attempt_at = max(at, lead.last_attempt_at) if lead.last_attempt_at else at
        target = machine.attempt_status(lead.attempts)
        due = machine.nurture_due(lead.last_attempt_at)
        why = (
            f"attempt {lead.attempts} on {at.date().isoformat()} without a reply yet; "
            f"{machine.nurture} on {due.date().isoformat()} if nobody replies"
        )
        _move_or_note(
            session, machine, lead, target, why=why, actor=actor, now=now, event_id=event_id
        )
    elif kind == "reply":
        lead.last_reply_at = max(at, lead.last_reply_at) if lead.last_reply_at else at
        if machine.is_attempt(lead.status) or lead.status in (machine.initial, machine.assigned):
            why = f"the lead replied on {at.date().isoformat()}: two-way, Soft-BANT undetermined"
            _move_or_note(
                session,
                machine,
                lead,
                machine.replied,
                why=why,
                actor=actor,
                now=now,
                event_id=event_id,
            )
        else:
            keep_nurture_timer(session, machine, lead, now=now)
            _note(
                session,
                lead,
                f"a reply; the lead stays '{lead.status}'",
                now=now,
                event_id=event_id,
            )
    elif kind == "bounce":
        lead.email_bounced_at = at
        channels = channels_of(lead.email, lead.phone, bounced=True)
        if channels.any:
            _note(
                session,
                lead,
                f"the email bounced, but the lead still has {', '.join(channels.valid)}: "
                f"not {machine.bad_data}",
                now=now,
                event_id=event_id,
            )
        else:
            why = "the email bounced and the lead has no other valid channel: " + "; ".join(
                channels.invalid
            )
            _move_or_note(
                session,
                machine,
                lead,
                machine.bad_data,
                why=why,
                actor=actor,
                now=now,
                event_id=event_id,
            )
    else:
        raise ValueError(f"kind: expected attempt, reply or bounce, got {kind!r}")
    lead.updated_at = now


def _move_or_note(
    session: Session,
    machine: StatusConfig,
    lead: LeadRow,
    to: str,
    *,
    why: str,
    actor: str,
    now: datetime,
    event_id: int | None,
) -> None:
    """Move when the machine allows it; otherwise keep the status and say why."""
    try:
        move(session, machine, lead, to, actor=actor, reason=why, now=now, event_id=event_id)
    except TransitionRefused as refused:
        keep_nurture_timer(session, machine, lead, now=now)
        _note(session, lead, f"{why}; the status stays: {refused}", now=now, event_id=event_id)


def nurture_if_silent(
    session: Session,
    machine: StatusConfig,
    lead: LeadRow,
    payload: dict[str, Any],
    *,
    now: datetime,
    event_id: int | None = None,
) -> bool:
    """The no-reply timer fired: nurture the lead if it is still attempted and silent.

    Returns True when the lead moved. A timer that fires after a reply or a
    newer attempt (it would have been cancelled or moved) changes nothing.
    """
    last = lead.last_attempt_at
    if not machine.is_attempt(lead.status) or last is None:
        return False
    if lead.last_reply_at is not None and lead.last_reply_at >= last:
        return False
    due = machine.nurture_due(last)
    if now < due:
        return False
    days = machine.nurture_after_days
    why = (
        f"no reply {days:g} days after the last attempt (attempt {lead.attempts}, "
        f"{last.date().isoformat()}): '{lead.status}' moves to '{machine.nurture}' by itself"
    )
    move(
        session,
        machine,
        lead,
        machine.nurture,
        actor="timer",
        reason=why,
        now=now,
        event_id=event_id,
        explanation={"last_attempt": last.isoformat(), "due": due.isoformat(), "timer": payload},
    )
    return True

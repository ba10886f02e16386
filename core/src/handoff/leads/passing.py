"""Soft-BANT recorded and a lead passed to sales (D3), then followed up when nobody acts (D6).

`record_bant` keeps the answers and, at `qualify_at` criteria met, moves the
lead to Qualified and passes it: the owner becomes the CRM account's owner
when there is one, an introduction email is decided (D7 applies), the CRM
gets the change (write-back) and the action (Q13 form_qualified), and the
follow-up timer starts. Fewer criteria: the status `[leads.bant] below`
gives, or the status stays.

Follow-up (D6): `remind_after_days` after the pass with no action by the new
owner (a touch, a status change or Soft-BANT by them, or the CRM saying
sales accepted it), the owner is reminded; `escalate_after_days` later,
still nothing, their manager is told (from the rep's `manager`, else the
CRM user record's manager). Any action by the owner stops it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from handoff.leads.activity import activity_jobs
from handoff.leads.bant import evaluate
from handoff.leads.kinds import BANT_DECISION, FOLLOW_UP_DECISION
from handoff.leads.lifecycle import move, timer_job, timer_key
from handoff.leads.mail import decide_email
from handoff.leads.owners import notify_job, set_owner
from handoff.leads.settings import LeadsConfig
from handoff.leads.store import LeadRow
from handoff.leads.sync import queue_writeback
from handoff.runtime import DecisionSpec, cancel_timer, record_decision, schedule_timer
from handoff_sdk.entities import Notification

__all__ = ["FOLLOW_UP_TIMER", "follow_up_due", "owner_acted", "record_bant"]

FOLLOW_UP_TIMER = "follow_up"
"""The timer of a passed lead's follow-up: the reminder, then the escalation (D6)."""


class _Safe(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _fill(template: str, values: dict[str, str]) -> str:
    return template.format_map(_Safe(values))


def _pass_owner(lead: LeadRow) -> dict[str, Any] | None:
    account = lead.context.get("account")
    if isinstance(account, dict) and (account.get("owner_id") or account.get("owner_email")):
        return {
            "id": account.get("owner_id"),
            "rep": None,
            "name": account.get("owner_name"),
            "email": account.get("owner_email"),
        }
    return None


def record_bant(
    session: Session,
    config: LeadsConfig,
    lead: LeadRow,
    answers: dict[str, Any],
    *,
    actor: str,
    now: datetime,
    event_id: int | None,
) -> int:
    """Record Soft-BANT answers and act on them (see the module docstring); the decision id.

    TransitionRefused (raised before anything is written) when the status
    the answers give is not a transition of the machine from where the lead is.
    """
    outcome = evaluate(config.bant, {**lead.bant, **answers}, config.status.qualified)
    owner_before = lead.owner_rep
    target = outcome.status
    moved = target is not None and target != lead.status
    if moved:
        assert target is not None
        config.status.check(lead.id, lead.status, target)
    decision_id = record_decision(
        session,
        DecisionSpec(
            kind=BANT_DECISION,
            subject_type="lead",
            subject_id=lead.id,
            outcome={
                "lead": lead.id,
                "answers": outcome.answers,
                "met": list(outcome.met),
                "qualified": outcome.qualified,
                "status": target,
                "actor": actor,
            },
            explanation={"why": outcome.why},
            rule_ids=("D3",),
            event_id=event_id,
        ),
        now=now,
        jobs=activity_jobs(
            config,
            lead.email,
            "form_qualified",
            key=now.isoformat(),
            now=now,
            description=outcome.why,
        )
        if outcome.qualified
        else [],
    )
    lead.bant = {**outcome.answers, "met": list(outcome.met), "by": actor, "at": now.isoformat()}
    if actor and actor == owner_before:
        owner_acted(session, lead, actor, now=now)
    if moved:
        assert target is not None
        move(
            session,
            config.status,
            lead,
            target,
            actor=actor,
            reason=outcome.why,
            now=now,
            rule_ids=("D3", "D5"),
            event_id=event_id,
        )
    if outcome.qualified:
        _pass(session, config, lead, now=now, event_id=event_id, why=outcome.why)
    queue_writeback(session, config, lead, now=now)
    return decision_id


def _pass(
    session: Session,
    config: LeadsConfig,
    lead: LeadRow,
    *,
    now: datetime,
    event_id: int | None,
    why: str,
) -> None:
    """Passed to sales: the new owner, the introduction, the follow-up timer (D3, D6)."""
    new_owner = _pass_owner(lead)
    if new_owner is not None:
        set_owner(
            session,
            config,
            lead,
            new_owner,
            lead.team,
            actor="bant",
            reason=f"{why}: passed to the account's owner",
            now=now,
            event_id=event_id,
            rule_ids=("D3",),
        )
    lead.passed_at = now
    lead.last_owner_action_at = None
    owner_name = lead.owner_name or "our team"
    values = {
        "first_name": lead.first_name or "there",
        "owner_name": owner_name,
        "company": lead.company or "",
    }
    decide_email(
        session,
        config,
        to=lead.email,
        subject=_fill(config.bant.intro_subject, values),
        text=_fill(config.bant.intro_text, values),
        operational=False,
        key=f"leads:{lead.id}:intro:{now.isoformat()}",
        now=now,
        event_id=event_id,
        rule_ids=("D3", "D7"),
        sender=lead.owner_rep,
    )
    owner_email = lead.context.get("owner_email")
    schedule_timer(
        session,
        timer_key(FOLLOW_UP_TIMER, lead.id),
        timer_job(
            FOLLOW_UP_TIMER,
            lead.id,
            step="remind",
            passed_at=now.isoformat(),
            owner_id=lead.owner_id,
            owner_rep=lead.owner_rep,
            owner_email=owner_email,
        ),
        now=now,
        after=timedelta(days=config.follow_up.remind_after_days),
    )


def owner_acted(session: Session, lead: LeadRow, actor: str, *, now: datetime) -> bool:
    """Note an action on a passed lead by its owner: the follow-up stops (D6)."""
    owners = {lead.owner_rep, lead.owner_id, lead.context.get("owner_email")} - {None, ""}
    if lead.passed_at is None or actor not in owners:
        return False
    lead.last_owner_action_at = now
    cancel_timer(session, timer_key(FOLLOW_UP_TIMER, lead.id))
    return True


def follow_up_due(
    session: Session,
    config: LeadsConfig,
    lead: LeadRow,
    payload: dict[str, Any],
    context: dict[str, Any],
    *,
    now: datetime,
    event_id: int | None,
) -> int | None:
    """The follow-up timer fired: remind the owner, or escalate to their manager (D6)."""
    if lead.passed_at is None or lead.passed_at.isoformat() != payload.get("passed_at"):
        return None  # passed again since: a newer timer follows it
    if lead.last_owner_action_at is not None and lead.last_owner_action_at >= lead.passed_at:
        return None
    follow = config.follow_up
    owner = lead.owner_name or lead.owner_rep or lead.owner_id or "the owner"
    owner_email = lead.context.get("owner_email") or context.get("owner_email")
    if payload.get("step") == "remind":
        days = follow.remind_after_days
        why = f"no action by {owner} {days:g} days after the lead was passed: reminder"
        jobs = (
            notify_job(
                config,
                f"leads:{lead.id}:remind:{payload.get('passed_at')}",
                Notification(
                    recipients=[owner_email],
                    subject=f"Reminder: follow up {lead.email}",
                    text=f"{lead.email} ({lead.company or 'no company'}) was passed to you "
                    f"{days:g} days ago and has no action yet.",
                ),
            )
            if owner_email
            else []
        )
        if not owner_email:
            why += " (the owner's email is not known, in config or the CRM: not sent)"
        schedule_timer(
            session,
            timer_key(FOLLOW_UP_TIMER, lead.id),
            timer_job(FOLLOW_UP_TIMER, lead.id, **{**payload, "step": "escalate"}),
            now=now,
            after=timedelta(days=follow.escalate_after_days),
        )
        outcome = {"lead": lead.id, "step": "remind", "to": owner_email}
    else:
        rep = config.assignment.rep(lead.owner_rep) or config.assignment.rep_by_email(owner_email)
        manager = (rep.manager if rep else None) or context.get("manager")
        source = "the rep's manager in config" if rep and rep.manager else "the CRM user record"
        total = follow.remind_after_days + follow.escalate_after_days
        if manager:
            why = (
                f"still no action by {owner} {total:g} days after the pass: escalated to "
                f"{manager} ({source})"
            )
        else:
            why = (
                f"still no action by {owner} {total:g} days after the pass; no manager known "
                "(config or CRM): not escalated"
            )
        jobs = (
            notify_job(
                config,
                f"leads:{lead.id}:escalate:{payload.get('passed_at')}",
                Notification(
                    recipients=[manager],
                    subject=f"Escalation: {lead.email} has had no follow-up",
                    text=f"{lead.email} was passed to {owner} {total:g} days ago; nothing has "
                    "happened since, including after a reminder.",
                ),
            )
            if manager
            else []
        )
        outcome = {"lead": lead.id, "step": "escalate", "to": manager}
    return record_decision(
        session,
        DecisionSpec(
            kind=FOLLOW_UP_DECISION,
            subject_type="lead",
            subject_id=lead.id,
            outcome=outcome,
            explanation={"why": why},
            rule_ids=("D6",),
            event_id=event_id,
        ),
        now=now,
        jobs=jobs,
    )

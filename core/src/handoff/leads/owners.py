"""A lead's owner, stored: assignment applied, first notice first route claims, the fall-back (D2).

`apply_assignment` writes what `assignment.assign` decided: the owner (the
lead moves from its initial status to `assigned`), or an offer to a team
(the team is notified; the first rep to claim takes it; a timer gives it to
the team's round robin when nobody does). `claim` is a rep taking an offered
lead: the first claim wins, a later one is refused naming who has it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from handoff.errors import HandoffError
from handoff.leads.assignment import Assignment, AssignmentConfig, owner_of, pick_from_team
from handoff.leads.kinds import ASSIGNMENT_DECISION, CLAIM_DECISION
from handoff.leads.lifecycle import move, timer_job, timer_key
from handoff.leads.settings import LeadsConfig
from handoff.leads.store import LeadRow
from handoff.leads.sync import queue_writeback
from handoff.rules import Rotation
from handoff.runtime import DecisionSpec, JobSpec, cancel_timer, record_decision, schedule_timer
from handoff_sdk.entities import Notification

__all__ = ["CLAIM_TIMER", "ClaimRefused", "apply_assignment", "claim", "claim_fallback"]

CLAIM_TIMER = "claim"
"""The timer that gives an unclaimed lead to its team's round robin (D2)."""


class ClaimRefused(HandoffError):
    """A claim that cannot be granted (taken already, not offered, not in the team)."""

    def __init__(self, lead: str, why: str, owner: str | None = None) -> None:
        self.lead = lead
        self.why = why
        self.owner = owner
        super().__init__(f"lead {lead} cannot be claimed: {why}")


def notify_job(config: LeadsConfig, key: str, notification: Notification) -> list[JobSpec]:
    """A notification through the `notify` connector (none configured: nothing is sent)."""
    if not config.notify:
        return []
    return [
        JobSpec.call(config.notify, "handoff_send_notification", key, notification=notification)
    ]


def set_owner(
    session: Session,
    config: LeadsConfig,
    lead: LeadRow,
    owner: dict[str, Any],
    team: str | None,
    *,
    actor: str,
    reason: str,
    now: datetime,
    event_id: int | None,
    rule_ids: tuple[str, ...] = ("D2",),
) -> None:
    """Give the lead its owner; a new lead moves from the initial status to `assigned`."""
    lead.owner_id = owner.get("id")
    lead.owner_rep = owner.get("rep")
    lead.owner_name = owner.get("name")
    lead.team = team
    lead.claim_team = None
    lead.context = {**lead.context, "owner_email": owner.get("email")}
    lead.updated_at = now
    machine = config.status
    if machine.assigned and lead.status == machine.initial and machine.assigned != lead.status:
        move(
            session,
            machine,
            lead,
            machine.assigned,
            actor=actor,
            reason=reason,
            now=now,
            rule_ids=rule_ids,
            event_id=event_id,
        )
    queue_writeback(session, config, lead, now=now)


def apply_assignment(
    session: Session,
    config: LeadsConfig,
    lead: LeadRow,
    assignment: Assignment,
    *,
    now: datetime,
    event_id: int | None,
) -> int:
    """Store the assignment decision and carry it out; its decision id."""
    jobs: list[JobSpec] = []
    for owner_email in assignment.alert:
        jobs += notify_job(
            config,
            f"leads:{lead.id}:alert:{owner_email}",
            Notification(
                recipients=[owner_email],
                subject=f"New lead at your account: {lead.email}",
                text=f"{lead.email} ({lead.company or 'no company'}) went to "
                f"{assignment.team or 'another owner'}: {assignment.why}.",
            ),
        )
    if assignment.claim:
        team = config.assignment.team(assignment.claim)
        jobs += notify_job(
            config,
            f"leads:{lead.id}:offer:{assignment.claim}:{now.isoformat()}",
            Notification(
                channel=team.channel if team else None,
                recipients=[
                    r.email
                    for r in (config.assignment.rep(m) for m in (team.members if team else []))
                    if r and r.email and not (team and team.channel)
                ],
                subject=f"New lead to claim: {lead.email}",
                text=f"New lead {lead.email} ({lead.company or 'no company'}): first to claim "
                f"takes it (`handoff leads claim {lead.email} --rep YOU`). Nobody by "
                f"{(now + timedelta(minutes=config.assignment.claim_fallback_minutes)):%H:%M} "
                "UTC: round robin.",
            ),
        )
    decision_id = record_decision(
        session,
        DecisionSpec(
            kind=ASSIGNMENT_DECISION,
            subject_type="lead",
            subject_id=lead.id,
            outcome={"lead": lead.id, **assignment.to_json()},
            explanation=assignment.explanation(),
            rule_ids=assignment.rule_ids,
            event_id=event_id,
        ),
        now=now,
        jobs=jobs,
    )
    if assignment.owner is not None:
        set_owner(
            session,
            config,
            lead,
            assignment.owner,
            assignment.team,
            actor="assignment",
            reason=assignment.why,
            now=now,
            event_id=event_id,
            rule_ids=assignment.rule_ids,
        )
    elif assignment.claim:
        lead.claim_team = assignment.claim
        lead.team = assignment.claim
        lead.updated_at = now
        schedule_timer(
            session,
            timer_key(CLAIM_TIMER, lead.id),
            timer_job(CLAIM_TIMER, lead.id, team=assignment.claim),
            now=now,
            after=timedelta(minutes=config.assignment.claim_fallback_minutes),
        )
    return decision_id


def claim(
    session: Session,
    config: LeadsConfig,
    lead: LeadRow,
    rep_id: str,
    *,
    now: datetime,
    event_id: int | None,
) -> int:
    """A rep takes a lead offered to their team: the first claim wins (D2); its decision id.

    ClaimRefused (nothing written) when the lead is not offered, the rep is
    not in the team or away, or someone claimed it first.
    """
    assignment: AssignmentConfig = config.assignment
    rep = assignment.rep(rep_id)
    if rep is None:
        raise ClaimRefused(lead.id, f"no rep '{rep_id}' in [[leads.assignment.reps]]")
    if lead.claim_team is None:
        holder = lead.owner_name or lead.owner_rep or lead.owner_id
        if holder:
            raise ClaimRefused(lead.id, f"it was already taken by {holder}", holder)
        raise ClaimRefused(lead.id, "it is not offered to a team (no claim:TEAM rule gave it)")
    team = assignment.team(lead.claim_team)
    if team is None or rep.id not in team.members:
        raise ClaimRefused(lead.id, f"{rep.name} is not in team {lead.claim_team}")
    cancel_timer(session, timer_key(CLAIM_TIMER, lead.id))
    why = f"{rep.name} claimed it first (first notice, first route in team {lead.claim_team})"
    team_name = lead.claim_team
    decision_id = record_decision(
        session,
        DecisionSpec(
            kind=CLAIM_DECISION,
            subject_type="lead",
            subject_id=lead.id,
            outcome={"lead": lead.id, "team": team_name, "rep": rep.id, "by": "claim"},
            explanation={"why": why},
            rule_ids=("D2",),
            event_id=event_id,
        ),
        now=now,
    )
    set_owner(
        session,
        config,
        lead,
        owner_of(rep, config.crm),
        team_name,
        actor=rep.id,
        reason=why,
        now=now,
        event_id=event_id,
    )
    return decision_id


def claim_fallback(
    session: Session,
    config: LeadsConfig,
    lead: LeadRow,
    rotation: Rotation,
    *,
    now: datetime,
    event_id: int | None,
) -> int | None:
    """Nobody claimed the lead in time: the team's round robin gives it an owner (D2)."""
    if lead.claim_team is None:
        return None
    team_name = lead.claim_team
    pick = pick_from_team(config.assignment, team_name, rotation, config.crm)
    minutes = config.assignment.claim_fallback_minutes
    if pick.member is None:
        why = f"nobody claimed it in {minutes:g} minutes and {pick.why}: it stays offered"
        return record_decision(
            session,
            DecisionSpec(
                kind=CLAIM_DECISION,
                subject_type="lead",
                subject_id=lead.id,
                outcome={"lead": lead.id, "team": team_name, "rep": None, "by": "fallback"},
                explanation={"why": why, "pick": pick.to_json()},
                rule_ids=("D2",),
                event_id=event_id,
            ),
            now=now,
        )
    why = f"nobody claimed it in {minutes:g} minutes: {pick.why} -> {pick.member.name}"
    decision_id = record_decision(
        session,
        DecisionSpec(
            kind=CLAIM_DECISION,
            subject_type="lead",
            subject_id=lead.id,
            outcome={"lead": lead.id, "team": team_name, "rep": pick.member.id, "by": "fallback"},
            explanation={"why": why, "pick": pick.to_json()},
            rule_ids=("D2",),
            event_id=event_id,
        ),
        now=now,
    )
    set_owner(
        session,
        config,
        lead,
        owner_of(pick.member, config.crm),
        team_name,
        actor="timer",
        reason=why,
        now=now,
        event_id=event_id,
    )
    return decision_id

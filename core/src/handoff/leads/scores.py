"""Scores stored (D4): each change with its breakdown, MQL once at the threshold, SQL from the CRM.

The score and its breakdown live on the lead; a behavioural event is kept as
the event it is (`handoff leads explain` lists it), and a decision is stored
when something is decided: the MQL (with the points that got the lead
there), the SQL (accepted by sales, converted to a Contact on a new
Opportunity).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from handoff.leads.activity import activity_jobs
from handoff.leads.kinds import MQL_DECISION, SQL_DECISION, STATUS_DECISION
from handoff.leads.records import PERSON_FIELDS
from handoff.leads.scoring import ScoreChange, add_behaviour, rescore_demographic
from handoff.leads.settings import LeadsConfig
from handoff.leads.store import LeadRow
from handoff.leads.sync import queue_writeback
from handoff.runtime import DecisionSpec, record_decision

__all__ = ["crm_lead_event", "score_activity", "score_demographic", "scoring_context"]


def scoring_context(lead: LeadRow) -> dict[str, Any]:
    """What demographic conditions read: the lead's details and its CRM account."""
    account = lead.context.get("account")
    return {
        "lead": {name: getattr(lead, name) for name in ("email", *PERSON_FIELDS)},
        "account": account if isinstance(account, dict) else None,
    }


def _apply(
    session: Session,
    config: LeadsConfig,
    lead: LeadRow,
    change: ScoreChange,
    *,
    cause: str,
    now: datetime,
    event_id: int | None,
) -> int | None:
    """Store the new score; the MQL decision id when this change reached the threshold."""
    changed = change.score != lead.score
    lead.score = change.score
    lead.score_detail = change.detail
    lead.updated_at = now
    threshold = config.scoring.threshold
    if lead.mql_at is not None or lead.status is None or change.score < threshold:
        if changed:
            queue_writeback(session, config, lead, now=now)
        return None
    lead.mql_at = now
    why = (
        f"score {change.score} reached the MQL threshold {threshold:g} "
        f"({cause}: {change.why}); MQL once, from now on"
    )
    decision_id = record_decision(
        session,
        DecisionSpec(
            kind=MQL_DECISION,
            subject_type="lead",
            subject_id=lead.id,
            outcome={"lead": lead.id, "score": change.score, "threshold": threshold, "mql": True},
            explanation={
                "why": why,
                "last_change": {"cause": cause, "why": change.why, "points": change.delta},
                "breakdown": change.detail,
            },
            rule_ids=("D4",),
            event_id=event_id,
        ),
        now=now,
        jobs=activity_jobs(
            config, lead.email, "mql", key=now.isoformat(), now=now, description=why
        ),
    )
    queue_writeback(session, config, lead, now=now)
    return decision_id


def score_activity(
    session: Session,
    config: LeadsConfig,
    lead: LeadRow,
    kind: str,
    *,
    at: datetime,
    now: datetime,
    event_id: int | None,
) -> int | None:
    """A behavioural event: its points (capped, after decay); the MQL decision id if it MQLs."""
    if config.scoring.points_for(kind) is None:
        return None
    change = add_behaviour(config.scoring, lead.score_detail, kind, at)
    return _apply(session, config, lead, change, cause=kind, now=now, event_id=event_id)


def score_demographic(
    session: Session, config: LeadsConfig, lead: LeadRow, *, now: datetime, event_id: int | None
) -> int | None:
    """The lead's details changed: its demographic points again; the MQL decision id if it MQLs."""
    if not config.scoring.demographic:
        return None
    change = rescore_demographic(config.scoring, lead.score_detail, scoring_context(lead))
    return _apply(session, config, lead, change, cause="demographic", now=now, event_id=event_id)


def crm_lead_event(
    session: Session,
    config: LeadsConfig,
    lead: LeadRow,
    payload: dict[str, Any],
    *,
    now: datetime,
    event_id: int | None,
) -> int:
    """Sales accepted the lead, or converted it (D4); the decision id.

    SQL when accepted AND converted to a Contact on a new Opportunity.
    """
    kind = str(payload.get("kind"))
    lead.last_owner_action_at = now
    if kind == "accepted":
        lead.accepted_at = lead.accepted_at or now
        why = "sales accepted the lead"
        outcome: dict[str, Any] = {"lead": lead.id, "accepted": True, "sql": False}
        decided = STATUS_DECISION
    else:
        contact, opportunity = payload.get("contact_id"), payload.get("opportunity_id")
        new_opportunity = bool(payload.get("new_opportunity"))
        lead.crm = {**lead.crm, "contact_id": contact, "opportunity_id": opportunity}
        missing = []
        if lead.accepted_at is None:
            missing.append("sales has not accepted it")
        if not contact:
            missing.append("no Contact")
        if not (opportunity and new_opportunity):
            missing.append("not on a new Opportunity")
        if missing or lead.sql_at is not None:
            why = "converted, not SQL: " + ("; ".join(missing) or "SQL already")
            outcome = {"lead": lead.id, "converted": True, "sql": False}
            decided = STATUS_DECISION
        else:
            lead.sql_at = now
            why = (
                f"accepted by sales and converted to Contact {contact} on new Opportunity "
                f"{opportunity}: SQL"
            )
            outcome = {"lead": lead.id, "sql": True, "contact": contact, "opportunity": opportunity}
            decided = SQL_DECISION
    lead.updated_at = now
    queue_writeback(session, config, lead, now=now)
    return record_decision(
        session,
        DecisionSpec(
            kind=decided,
            subject_type="lead",
            subject_id=lead.id,
            outcome=outcome,
            explanation={"why": why},
            rule_ids=("D4",),
            event_id=event_id,
        ),
        now=now,
    )

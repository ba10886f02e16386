"""Marketing sees what sales did (Q13): hub actions recorded in the CRM as activity and campaigns.

    [[leads.activities]]
    action = "form_qualified"          # or chat_held, meeting_booked, ai_goal_reached, mql
    subject = "Form qualified (handoff)"
    campaign = "701Hd000000001AAA"     # the CRM campaign the person joins (optional)
    campaign_status = "Responded"

An action with no entry is not recorded. The leads flow records its own
actions (form_qualified when Soft-BANT qualifies, mql at the threshold);
other flows report theirs as `hub.activity` events (see `kinds`). Each
recording is a decision with one job calling the CRM's
`handoff_record_activities`, keyed by the person and the action's key, so a
retry or a replay records it once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from handoff.leads.kinds import ACTIVITY_DECISION
from handoff.leads.records import lead_key
from handoff.leads.settings import LeadsConfig
from handoff.runtime import DecisionSpec, JobSpec, record_decision
from handoff_sdk.entities import CrmActivity

__all__ = ["activity_jobs", "record_activity"]


def activity_jobs(
    config: LeadsConfig,
    email: str,
    action: str,
    *,
    key: str,
    now: datetime,
    description: str | None = None,
) -> list[JobSpec]:
    """The job recording `action` for the person in the CRM, when configured (else none)."""
    entry = config.activity(action)
    if entry is None or not config.crm:
        return []
    activity_key = f"leads:{lead_key(email)}:{action}:{key}"
    return [
        JobSpec.call(
            config.crm,
            "handoff_record_activities",
            f"activity:{activity_key}",
            activities=[
                CrmActivity(
                    email=lead_key(email),
                    subject=entry.subject,
                    description=description,
                    occurred_at=now,
                    campaign_id=entry.campaign,
                    campaign_status=entry.campaign_status if entry.campaign else None,
                    key=activity_key[:255],
                )
            ],
        )
    ]


def record_activity(
    session: Session,
    config: LeadsConfig,
    email: str,
    action: str,
    *,
    key: str,
    now: datetime,
    description: str | None,
    event_id: int | None,
) -> int:
    """Decide how a hub action is recorded in the CRM (Q13); its decision id."""
    entry = config.activity(action)
    jobs = activity_jobs(config, email, action, key=key, now=now, description=description)
    if entry is None:
        why = f"'{action}' is not in [[leads.activities]]: not recorded in the CRM"
    elif not config.crm:
        why = "no CRM connector ([leads] crm): not recorded"
    else:
        campaign = (
            f" and campaign {entry.campaign} ({entry.campaign_status})" if entry.campaign else ""
        )
        why = f"'{action}' recorded in {config.crm} as activity '{entry.subject}'{campaign}"
    return record_decision(
        session,
        DecisionSpec(
            kind=ACTIVITY_DECISION,
            subject_type="lead",
            subject_id=lead_key(email),
            outcome={
                "lead": lead_key(email),
                "action": action,
                "recorded": bool(jobs),
                "campaign": entry.campaign if entry else None,
            },
            explanation={"why": why},
            rule_ids=("Q13",),
            event_id=event_id,
        ),
        now=now,
        jobs=jobs,
    )

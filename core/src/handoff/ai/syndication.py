"""Q16 (2): leads and contacts added to content-syndication campaigns get AI outreach.

Decided in the worker from `hub.crm_campaign_event` (the CRM campaign's
membership; `POST /v1/crm-campaign-events`):

- a member added to a configured campaign that is on: the record is routed
  to an SDR (the campaign's round robin, durable), its checkbox is ticked on
  the CRM Lead or Contact (with the SDR in `sdr_field` when configured), and
  the outreach email goes out from that SDR, Reply-To the SDR, through the
  leads flow's mailer (D7 applies). The lead's status is NOT changed;
- a member removed, or the campaign ended: the box is cleared, and the
  record continues its normal lifecycle;
- a campaign switched off (Q17): new members get nothing, and the decision
  says so.

Each member's state is one entity (`ai_syndication_member`, id
`<campaign>:<email>`); each step an `ai.syndication` decision about the
lead (`handoff explain lead:<email>`).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from handoff.ai.campaigns import campaign_on
from handoff.ai.email import AiEmailConfig, SyndicationCampaign, render
from handoff.ai.kinds import CRM_MARK_JOB, SYNDICATION_DECISION
from handoff.leads.kinds import EMAIL_REQUEST
from handoff.rules import stored_rotation
from handoff.runtime import (
    ClaimedJob,
    DecisionSpec,
    JobFailedError,
    JobSpec,
    record_decision,
    record_events,
    upsert_entity,
)
from handoff.runtime.worker import JobRunner
from handoff.store import EntityRecord, EventRecord
from handoff_sdk.entities import Contact, Event, Lead

if TYPE_CHECKING:
    from collections.abc import Callable

    from handoff.hub import Hub

__all__ = ["MEMBER_KIND", "campaign_event", "mark_runner"]

MEMBER_KIND = "ai_syndication_member"
"""The entity type of one campaign member's outreach state, id `<campaign>:<email>`."""


def _key(email: str) -> str:
    return email.strip().lower()


def _decide(
    session: Session,
    campaign: SyndicationCampaign,
    email: str,
    outcome: dict[str, Any],
    why: str,
    *,
    now: datetime,
    event_id: int | None,
    jobs: list[JobSpec] | None = None,
) -> int:
    return record_decision(
        session,
        DecisionSpec(
            kind=SYNDICATION_DECISION,
            subject_type="lead",
            subject_id=_key(email) if email else campaign.id,
            outcome={"campaign": campaign.id, "crm_campaign": campaign.crm_campaign, **outcome},
            explanation={"why": why},
            rule_ids=("Q16", "Q17"),
            event_id=event_id,
        ),
        now=now,
        jobs=jobs or [],
    )


def _mark_job(campaign: SyndicationCampaign, state: dict[str, Any], ticked: bool) -> JobSpec:
    fields: dict[str, Any] = {campaign.checkbox: ticked}
    sdr = state.get("sdr") or {}
    if campaign.sdr_field and ticked and sdr.get("crm_id"):
        fields[campaign.sdr_field] = sdr["crm_id"]
    word = "tick" if ticked else "clear"
    return JobSpec(
        kind=CRM_MARK_JOB,
        idempotency_key=f"ai-syndication:{campaign.id}:{state['email']}:{word}",
        payload={
            "crm": campaign.crm,
            "record_type": state["record_type"],
            "record_id": state.get("record_id"),
            "email": state["email"],
            "fields": fields,
        },
    )


def _added(  # noqa: PLR0917 - the campaign, the member event and the moment
    session: Session,
    config: AiEmailConfig,
    campaign: SyndicationCampaign,
    company: str,
    event: EventRecord,
    now: datetime,
) -> int | None:
    payload = event.payload
    email = _key(str(payload.get("email") or ""))
    key = f"{campaign.id}:{email}"
    found = session.get(EntityRecord, (MEMBER_KIND, key))
    if found is not None and found.data.get("state") == "active":
        return None  # added twice: one outreach
    if not campaign_on(session, config, campaign.id):
        return _decide(
            session,
            campaign,
            email,
            {"state": "off"},
            f"campaign '{campaign.id}' is switched off: no AI outreach",
            now=now,
            event_id=event.id,
        )
    members = [s.id for s in campaign.sdrs]
    picked = stored_rotation(session, now=now)(f"rr:{campaign.team or campaign.id}", members)
    sdr = next(s for s in campaign.sdrs if s.id == picked)
    state: dict[str, Any] = {
        "campaign": campaign.id,
        "email": email,
        "record_type": str(payload.get("record_type") or "lead"),
        "record_id": payload.get("record_id"),
        "sdr": sdr.model_dump(),
        "state": "active",
        "since": now.isoformat(),
    }
    upsert_entity(session, MEMBER_KIND, key, state, now=now)
    values = {
        "first_name": str(payload.get("first_name") or email.split("@", 1)[0].title()),
        "rep_name": sdr.name,
        "rep_email": sdr.email,
        "company": company,
    }
    record_events(
        session,
        [
            Event(
                type=EMAIL_REQUEST,
                source="ai",
                dedupe_key=f"ai-syndication-email:{key}",
                occurred_at=now,
                payload={
                    "to": email,
                    "email_subject": render(campaign.subject, values),
                    "text": render(campaign.text, values),
                    "operational": False,
                    "from_rep": sdr.id,
                    "reply_to": sdr.email,
                    "key": f"ai-syndication:{key}",
                    "subject": {"type": "lead", "id": email},
                },
            )
        ],
        now=now,
    )
    return _decide(
        session,
        campaign,
        email,
        {"state": "active", "sdr": sdr.id, "checkbox": campaign.checkbox, "ticked": True},
        f"added to {campaign.crm_campaign}: AI outreach from {sdr.name} (round robin "
        f"rr:{campaign.team or campaign.id}; replies go to {sdr.email}); {campaign.checkbox} "
        "ticked on the CRM record; the lead's status is unchanged",
        now=now,
        event_id=event.id,
        jobs=[_mark_job(campaign, state, ticked=True)],
    )


def _clear(  # noqa: PLR0917 - the campaign, the member and why
    session: Session,
    campaign: SyndicationCampaign,
    row: EntityRecord,
    why: str,
    event: EventRecord,
    now: datetime,
) -> int:
    state = dict(row.data)
    state["state"] = "ended"
    state["ended"] = now.isoformat()
    upsert_entity(session, MEMBER_KIND, row.id, state, now=now)
    return _decide(
        session,
        campaign,
        str(state["email"]),
        {"state": "ended", "checkbox": campaign.checkbox, "ticked": False},
        f"{why}: {campaign.checkbox} cleared; the record continues its normal lifecycle",
        now=now,
        event_id=event.id,
        jobs=[_mark_job(campaign, state, ticked=False)],
    )


def campaign_event(
    session: Session,
    config: AiEmailConfig | None,
    company: str,
    event: EventRecord,
    now: datetime,
) -> int | None:
    """A CRM campaign's member added or removed, or the campaign ended (Q16 (2))."""
    payload = event.payload
    campaign = config.syndication_for(str(payload.get("campaign_id"))) if config else None
    if config is None or campaign is None:
        return None  # not a content-syndication campaign of ours
    kind = payload.get("kind")
    if kind == "member_added":
        return _added(session, config, campaign, company, event, now)
    if kind == "member_removed":
        key = f"{campaign.id}:{_key(str(payload.get('email') or ''))}"
        row = session.get(EntityRecord, (MEMBER_KIND, key))
        if row is None or row.data.get("state") != "active":
            return None
        return _clear(session, campaign, row, "removed from the campaign", event, now)
    if kind == "ended":
        rows = session.scalars(
            select(EntityRecord).where(
                EntityRecord.type == MEMBER_KIND, EntityRecord.id.like(f"{campaign.id}:%")
            )
        ).all()
        last = None
        for row in rows:
            if row.data.get("state") == "active":
                last = _clear(session, campaign, row, "the campaign ended", event, now)
        return last
    return None


def mark_runner(hub: Callable[[], Hub | None]) -> JobRunner:
    """Run an `ai.crm_mark` job: the checkbox (and the SDR) on the CRM Lead or Contact."""

    async def run(job: ClaimedJob) -> dict[str, Any] | None:
        payload = job.payload
        crm = str(payload["crm"])
        found = hub()
        if found is None or crm not in found.connectors:
            raise JobFailedError(f"CRM connector '{crm}' is not enabled", permanent=True)
        fields = dict(payload.get("fields") or {})
        email = str(payload["email"])
        if payload.get("record_type") == "contact":
            if not payload.get("record_id"):
                raise JobFailedError("a Contact is addressed by its CRM id: none", permanent=True)
            contact = Contact(ids={crm: str(payload["record_id"])}, email=email, fields=fields)
            results = await found.update_contacts(crm, [contact], job.idempotency_key)
        else:
            ids = {crm: str(payload["record_id"])} if payload.get("record_id") else {}
            lead = Lead(ids=ids, email=email, fields=fields)
            results = await found.upsert_leads(crm, [lead], job.idempotency_key)
        [result] = results
        if not result.ok:
            raise JobFailedError(f"{crm} refused the write: {result.errors}")
        return {"written": fields, "id": result.id}

    return run

"""AI email campaigns switched off and on, each on its own, in one audited step (Q17).

A campaign's configured state (`enabled`, default on) holds until an
operator switches it; the switched state lives in the store (entity type
`ai_campaign`), so it survives restarts and every worker sees it. A switch
is one transaction: the state, an audit line naming who (the API key, or
the CLI's user) and an `ai.campaign` decision (`handoff explain
ai_campaign:<id>`). A campaign switched off sends nothing more: a follow-up
due while it is off is skipped, and the decision says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from handoff.ai.email import AiEmailConfig
from handoff.ai.kinds import CAMPAIGN_DECISION
from handoff.errors import HandoffError
from handoff.runtime import DecisionSpec, audit, record_decision, upsert_entity
from handoff.store import EntityRecord

__all__ = [
    "STATE_KIND",
    "CampaignSwitch",
    "UnknownCampaignError",
    "campaign_on",
    "campaign_states",
    "switch_campaign",
]

STATE_KIND = "ai_campaign"
"""The entity type of a switched campaign's state."""


class UnknownCampaignError(HandoffError):
    """No configured campaign has that id."""


@dataclass(frozen=True)
class CampaignSwitch:
    """One campaign switched (or found already so): from which state to which, by whom."""

    campaign: str
    enabled: bool
    was: bool
    actor: str
    decision_id: int

    @property
    def changed(self) -> bool:
        """False when it was already in that state."""
        return self.enabled != self.was


def campaign_states(session: Session, config: AiEmailConfig | None) -> dict[str, bool]:
    """Whether each configured campaign is on: its switched state, else its configuration."""
    states = dict(config.configured()) if config is not None else {}
    if states:
        rows = session.scalars(
            select(EntityRecord).where(
                EntityRecord.type == STATE_KIND, EntityRecord.id.in_(list(states))
            )
        )
        for row in rows:
            states[row.id] = bool(row.data.get("enabled"))
    return states


def campaign_on(session: Session, config: AiEmailConfig | None, campaign: str) -> bool:
    """True when the campaign is configured and on now."""
    return campaign_states(session, config).get(campaign, False)


def switch_campaign(
    session: Session,
    config: AiEmailConfig | None,
    campaign: str,
    *,
    enabled: bool,
    actor: str,
    now: datetime,
) -> CampaignSwitch:
    """Switch one campaign off or on in the caller's transaction: state, audit, decision.

    Idempotent: switching to the state it has changes nothing but is audited.
    """
    states = campaign_states(session, config)
    if campaign not in states:
        known = ", ".join(states) or "none ([ai.email] configures no campaign)"
        raise UnknownCampaignError(f"no AI email campaign '{campaign}' (campaigns: {known})")
    was = states[campaign]
    word = "on" if enabled else "off"
    if was != enabled:
        upsert_entity(
            session,
            STATE_KIND,
            campaign,
            {"enabled": enabled, "changed_by": actor, "changed_at": now.isoformat()},
            now=now,
        )
    audit(
        session,
        actor=actor,
        action=f"ai.campaign.{word}",
        now=now,
        subject_type=STATE_KIND,
        subject_id=campaign,
        details={"enabled": enabled, "was": was},
    )
    why = (
        f"switched {word} by {actor}"
        if was != enabled
        else f"{actor} switched it {word}; it was {word} already"
    )
    decision_id = record_decision(
        session,
        DecisionSpec(
            kind=CAMPAIGN_DECISION,
            subject_type=STATE_KIND,
            subject_id=campaign,
            outcome={"campaign": campaign, "enabled": enabled, "was": was, "actor": actor},
            explanation={"why": why},
            rule_ids=("Q17",),
        ),
        now=now,
    )
    return CampaignSwitch(campaign, enabled, was, actor, decision_id)

"""The leads flow's table in handoff.toml, validated with the rest of the file at load.

    [leads]                 which connectors the flow uses; absent: the flow is off
    [leads.status]          the status machine (D5, Q16): handoff.leads.status
    [[leads.sources]]       inbound sources and their handling (D1): handoff.leads.sources
    [leads.assignment]      reps, teams, lists and rules (D2): handoff.leads.assignment
    [leads.scoring]         behavioural and demographic points, MQL (D4): handoff.leads.scoring
    [leads.bant]            Soft-BANT (D3): handoff.leads.bant
    [leads.follow_up]       passed-lead reminders and escalations (D6)
    [leads.subscriptions]   opt-outs and one-click unsubscribe (D7)
    [leads.signups]         purchase and trial webhooks (D8)
    [[leads.activities]]    hub actions recorded in the CRM (Q13)
    [leads.writeback]       fields written to the CRM and marketing: handoff.leads.sync

docs/leads.md documents every line.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from handoff.config import validate_table
from handoff.leads.assignment import AssignmentConfig
from handoff.leads.bant import BantConfig
from handoff.leads.scoring import ScoringConfig
from handoff.leads.sources import LeadSource, check_sources
from handoff.leads.status import StatusConfig
from handoff.leads.sync import WritebackConfig

__all__ = [
    "ActivityAction",
    "FollowUpConfig",
    "LeadsConfig",
    "LeadsSettings",
    "SignupsConfig",
    "SubscriptionsConfig",
    "load_leads_settings",
]


class FollowUpConfig(BaseModel):
    """The `[leads.follow_up]` table (D6): a passed lead's new owner does nothing."""

    model_config = ConfigDict(extra="forbid")

    remind_after_days: float = Field(
        default=3, ge=1, le=7, description="Days without action by the new owner -> a reminder."
    )
    escalate_after_days: float = Field(
        default=2,
        gt=0,
        le=30,
        description="Days after the reminder still without action -> their manager is told.",
    )


class SubscriptionsConfig(BaseModel):
    """The `[leads.subscriptions]` table (D7)."""

    model_config = ConfigDict(extra="forbid")

    public_url: str | None = Field(
        default=None,
        pattern=r"^https?://[^\s]+$",
        description="The hub's public address: one-click unsubscribe links point there "
        "(none: no List-Unsubscribe URL, only the mailto when given).",
    )
    unsubscribe_mailto: str | None = Field(
        default=None, description="An address for mailto: unsubscribes, besides the link."
    )
    temporary_days: float = Field(
        default=30, gt=0, le=365, description="How long a temporary opt-out lasts."
    )


class SignupsConfig(BaseModel):
    """The `[leads.signups]` table (D8): purchase and trial webhooks."""

    model_config = ConfigDict(extra="forbid")

    notify_team: str | None = Field(
        default=None, description="The team told of each signup (its channel or its members)."
    )
    customer_type: str = Field(
        default="Customer", description="The account Type a Buy Now purchase sets."
    )


class ActivityAction(BaseModel):
    """How one hub action is recorded in the CRM (Q13): an activity, and a campaign membership."""

    model_config = ConfigDict(extra="forbid")

    action: str = Field(
        min_length=1,
        description="form_qualified, chat_held, meeting_booked, ai_goal_reached, mql, ...",
    )
    subject: str = Field(min_length=1, description="The activity's subject in the CRM.")
    campaign: str | None = Field(
        default=None, description="The CRM campaign id the person joins (none: activity only)."
    )
    campaign_status: str = Field(
        default="Responded", description="Their member status in that campaign."
    )


class LeadsConfig(BaseModel):
    """The `[leads]` table: the lead lifecycle (D1-D8, Q13, Q16)."""

    model_config = ConfigDict(extra="forbid")

    crm: str | None = Field(
        default="salesforce",
        description="The CRM connector: account matches, write-back, activity (none: no CRM).",
    )
    marketing: str | None = Field(
        default="marketo",
        description="The marketing connector: score write-back, D8 forwarding, programs.",
    )
    notify: str | None = Field(
        default=None,
        description="The connector that tells people (Slack or email): claims, alerts, "
        "reminders, escalations, signups (none: nobody is told).",
    )
    mailer: str | None = Field(
        default=None,
        description="The connector that emails leads (introductions, forwards); D7 applies.",
    )
    status: StatusConfig = Field(
        default_factory=StatusConfig, description="The status machine (D5, Q16)."
    )
    sources: list[LeadSource] = Field(
        default_factory=list, description="Inbound sources and how each is handled (D1)."
    )
    assignment: AssignmentConfig = Field(
        default_factory=AssignmentConfig, description="Who owns a new lead (D2)."
    )
    scoring: ScoringConfig = Field(default_factory=ScoringConfig, description="The score (D4).")
    bant: BantConfig = Field(default_factory=BantConfig, description="Soft-BANT (D3).")
    follow_up: FollowUpConfig = Field(
        default_factory=FollowUpConfig, description="Passed-lead follow-up (D6)."
    )
    subscriptions: SubscriptionsConfig = Field(
        default_factory=SubscriptionsConfig, description="Opt-outs, unsubscribe (D7)."
    )
    signups: SignupsConfig = Field(
        default_factory=SignupsConfig, description="Purchase and trial webhooks (D8)."
    )
    activities: list[ActivityAction] = Field(
        default_factory=list, description="Hub actions recorded in the CRM (Q13)."
    )
    writeback: WritebackConfig = Field(
        default_factory=WritebackConfig, description="Fields written back to the CRM, marketing."
    )

    @model_validator(mode="after")
    def _consistent(self) -> LeadsConfig:
        """Sources named once; statuses the tables name exist; teams the tables name exist."""
        try:
            check_sources(self.sources)
        except ValueError as exc:
            raise ValueError(f"sources{exc}") from None
        known = self.status.statuses()
        for count, status in self.bant.below.items():
            if status not in known:
                raise ValueError(f"bant.below.{count}: '{status}' is not a status in transitions")
        team = self.signups.notify_team
        if team and self.assignment.team(team) is None:
            raise ValueError(f"signups.notify_team: no team '{team}' in [leads.assignment]")
        return self

    def activity(self, action: str) -> ActivityAction | None:
        """How an action is recorded in the CRM (Q13), or None (not recorded)."""
        return next((a for a in self.activities if a.action == action), None)


class LeadsSettings(BaseModel):
    """The `[leads]` table."""

    model_config = ConfigDict(extra="forbid")

    leads: LeadsConfig | None = Field(
        default=None, description="The lead lifecycle (D1-D8); none: the flow is off."
    )

    def config(self) -> LeadsConfig:
        """The `[leads]` table, or the defaults when absent (for commands that read leads)."""
        return self.leads or LeadsConfig()


def load_leads_settings(tables: Mapping[str, Any], source: Path | None = None) -> LeadsSettings:
    """Leads tables read from a file other than handoff.toml (a playbook, a candidate).

    Errors name the file, the table and the field, as `load_config` does.
    """
    return validate_table(LeadsSettings, dict(tables), source=source)

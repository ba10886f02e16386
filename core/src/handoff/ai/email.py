"""The `[ai.email]` table: the AI email campaigns (Q16, Q17) and their switches.

    [ai.email.follow_up]                 # Q16: offered a meeting, did not book
    id = "meeting-follow-up"             # the campaign's id (its switch, its decisions)
    delay_hours = 2                      # the email goes this long after the offer...
    recycle_after_days = 7               # ...and no reply or booking this long after it: Recycle
    subject = "Still keen to talk, {first_name}?"
    text = "Hi {first_name}, ..."        # {first_name} {rep_name} {rep_email} {company}

Each campaign is on unless configured `enabled = false`, and can be switched
off and on again on its own (`handoff ai campaigns off ID`,
`POST /v1/ai/campaigns/{id}/off`), audited; the switched state lives in the
store. The email goes out through the leads flow's mailer (D7's opt-outs and
one-click unsubscribe apply) with the rep as Reply-To; lead statuses move
through the leads flow's `hub.lead_transition` events.
"""

from __future__ import annotations

import string
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "PLACEHOLDERS",
    "AiEmailConfig",
    "FollowUpCampaign",
    "SdrConfig",
    "SyndicationCampaign",
    "check_template",
    "render",
]

PLACEHOLDERS = ("first_name", "rep_name", "rep_email", "company")
"""What an AI email's subject and text may name."""

Id = str


def _placeholders(text: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]


def check_template(value: str) -> str:
    """A subject or text whose placeholders are all known; a ValueError names the others."""
    try:
        names = _placeholders(value)
    except ValueError as exc:
        raise ValueError(f"not a template ({exc}); write a literal brace as {{{{") from None
    unknown = sorted({n for n in names if n not in PLACEHOLDERS})
    if unknown:
        raise ValueError(
            f"unknown placeholder(s) {', '.join('{' + n + '}' for n in unknown)}; "
            f"known: {', '.join('{' + n + '}' for n in PLACEHOLDERS)}"
        )
    return value


def render(template: str, values: dict[str, str]) -> str:
    """A subject or text with its placeholders filled (checked at load: no other names)."""
    return template.format_map({k: values.get(k) or "" for k in PLACEHOLDERS})


class FollowUpCampaign(BaseModel):
    """Q16: a visitor offered a meeting who did not book gets one email from that rep."""

    model_config = ConfigDict(extra="forbid")

    id: Id = Field(
        default="meeting-follow-up",
        min_length=1,
        max_length=100,
        pattern=r"^[a-z0-9][a-z0-9._-]*$",
        description="The campaign's id: its switch, its decisions.",
    )
    enabled: bool = Field(default=True, description="Configured on or off (the switch overrides).")
    delay_hours: float = Field(
        default=2, gt=0, le=720, description="Hours after the offer before the email goes out."
    )
    recycle_after_days: float = Field(
        default=7,
        gt=0,
        le=365,
        description="Days after the email without a reply or a booking: the lead goes to Recycle.",
    )
    subject: str = Field(
        default="Still keen to talk, {first_name}?",
        min_length=1,
        max_length=300,
        description="The email's subject; placeholders {first_name} {rep_name} {rep_email} "
        "{company}.",
    )
    text: str = Field(
        default="Hi {first_name},\n\nEarlier today you were looking for a time to talk with "
        "{rep_name}. If that still helps, just reply to this email and {rep_name} will find a "
        "time that suits you.\n\nBest,\n{rep_name}",
        min_length=1,
        max_length=10_000,
        description="The email's text; the same placeholders.",
    )
    accepted: str = Field(
        default="Accepted", min_length=1, description="The lead status once the email went out."
    )
    qualifying: str = Field(
        default="Qualifying", min_length=1, description="The status after a reply or a booking."
    )
    recycle: str = Field(
        default="Recycle", min_length=1, description="The status when nobody replied in time."
    )

    @field_validator("subject", "text")
    @classmethod
    def _known_placeholders(cls, value: str) -> str:
        """A misspelt placeholder would be sent as is: refuse it at load."""
        return check_template(value)


class SdrConfig(BaseModel):
    """A Sales Development rep a syndication campaign's records are routed to (Q16 (2))."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=200, description="The hub's id for the rep.")
    name: str = Field(min_length=1, max_length=200, description="As the email signs it.")
    email: str = Field(
        min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$", description="Reply-To."
    )
    crm_id: str | None = Field(
        default=None, max_length=100, description="The rep's CRM user id (for `sdr_field`)."
    )


class SyndicationCampaign(BaseModel):
    """Q16 (2): the leads and contacts a content-syndication campaign adds get AI outreach.

    Their status is unchanged; a checkbox on the CRM record says the AI is reaching out, and
    clears when the campaign ends. Each record is routed to an SDR (round robin), who answers
    the replies (the outreach's Reply-To).
    """

    model_config = ConfigDict(extra="forbid")

    id: Id = Field(
        min_length=1,
        max_length=100,
        pattern=r"^[a-z0-9][a-z0-9._-]*$",
        description="The campaign's id in the hub: its switch, its decisions.",
    )
    enabled: bool = Field(default=True, description="Configured on or off (the switch overrides).")
    crm: str = Field(default="salesforce", min_length=1, description="The CRM connector.")
    crm_campaign: str = Field(
        min_length=1,
        max_length=100,
        description="The CRM campaign whose new members get the outreach (its id there).",
    )
    checkbox: str = Field(
        default="AI_Outreach__c",
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z][A-Za-z0-9_]*$",
        description="The checkbox field on the Lead and Contact: ticked while the AI reaches out.",
    )
    sdr_field: str | None = Field(
        default=None,
        max_length=100,
        pattern=r"^[A-Za-z][A-Za-z0-9_]*$",
        description="A field given the SDR's crm_id (e.g. an 'AI SDR' lookup); none: not written.",
    )
    team: str | None = Field(
        default=None,
        max_length=200,
        description="The round robin's name: a [routing] or [leads] team of that name shares its "
        "cursor (rr:<team>); default: the campaign id.",
    )
    sdrs: list[SdrConfig] = Field(min_length=1, description="The SDRs, in rotation order.")
    subject: str = Field(
        default="{first_name}, a question about your download",
        min_length=1,
        max_length=300,
        description="The outreach's subject; placeholders as follow_up's.",
    )
    text: str = Field(
        default="Hi {first_name},\n\nThanks for reading our guide. Is this something your team "
        "is working on now? Reply to this email and I'll point you to what helps.\n\nBest,\n"
        "{rep_name}, {company}",
        min_length=1,
        max_length=10_000,
        description="The outreach's text; the same placeholders ({rep_name}: the SDR).",
    )

    @field_validator("subject", "text")
    @classmethod
    def _known_placeholders(cls, value: str) -> str:
        """A misspelt placeholder would be sent as is: refuse it at load."""
        return check_template(value)


class AiEmailConfig(BaseModel):
    """The AI email campaigns (Q16, Q17)."""

    model_config = ConfigDict(extra="forbid")

    company: str | None = Field(
        default=None,
        max_length=200,
        description="The company name in emails ({company}); default: [ai] company.",
    )
    follow_up: FollowUpCampaign | None = Field(
        default=None, description="Q16: the follow-up to a meeting offer nobody booked."
    )
    syndication: list[SyndicationCampaign] = Field(
        default_factory=list,
        max_length=100,
        description="Q16 (2): content-syndication campaigns whose members get AI outreach.",
    )

    @model_validator(mode="after")
    def _unique_ids(self) -> Self:
        """Each campaign is switched by its id: two with one id could not be told apart."""
        ids = self.campaign_ids()
        seen: set[str] = set()
        for ident in ids:
            if ident in seen:
                raise ValueError(f"campaign id '{ident}' is used twice")
            seen.add(ident)
        return self

    def campaign_ids(self) -> list[str]:
        """Every campaign's id, in file order."""
        ids = [self.follow_up.id] if self.follow_up is not None else []
        return ids + [c.id for c in self.syndication]

    def configured(self) -> dict[str, bool]:
        """Each campaign's configured state (the switch may override it)."""
        found: dict[str, bool] = {}
        if self.follow_up is not None:
            found[self.follow_up.id] = self.follow_up.enabled
        for campaign in self.syndication:
            found[campaign.id] = campaign.enabled
        return found

    def syndication_for(self, crm_campaign: str) -> SyndicationCampaign | None:
        """The syndication campaign of a CRM campaign id, if one is configured."""
        return next((c for c in self.syndication if c.crm_campaign == crm_campaign), None)

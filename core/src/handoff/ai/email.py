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

__all__ = ["PLACEHOLDERS", "AiEmailConfig", "FollowUpCampaign", "render"]

PLACEHOLDERS = ("first_name", "rep_name", "rep_email", "company")
"""What an AI email's subject and text may name."""

Id = str


def _placeholders(text: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]


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
        return [self.follow_up.id] if self.follow_up is not None else []

    def configured(self) -> dict[str, bool]:
        """Each campaign's configured state (the switch may override it)."""
        found: dict[str, bool] = {}
        if self.follow_up is not None:
            found[self.follow_up.id] = self.follow_up.enabled
        return found

"""The events the AI flow receives under /v1 (scope `ingest`).

- `POST /v1/meeting-offers`: a visitor was offered a rep's meeting slots (Q16).
  The hub's own conversations (Q5) and smart forms (Q18) store the same
  event; a chat tool outside the hub sends it here.
- `POST /v1/crm-campaign-events`: a CRM campaign gained or lost a member, or
  ended (Q16 (2) content syndication).
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from handoff.ai.kinds import CRM_CAMPAIGN_EVENT, MEETING_OFFERED
from handoff.flow import IntakeRoute
from handoff.server.models import Email, Ident, IntakeModel

__all__ = ["INTAKE", "CrmCampaignEvent", "MeetingOffer", "OfferedRep"]


class OfferedRep(BaseModel):
    """The rep whose calendar was shown: the follow-up speaks for them, replies go to them."""

    model_config = ConfigDict(extra="forbid", strict=True)

    id: Ident = Field(description="The rep's id.")
    name: Ident = Field(description="The rep's name, as the email signs it.")
    email: Email = Field(description="The rep's address: the follow-up's Reply-To.")


class MeetingOffer(IntakeModel):
    """A visitor was offered a rep's meeting slots (Q16): the follow-up starts here."""

    conversation_id: Ident = Field(description="The conversation (or form) the offer was in.")
    email: Email = Field(description="The visitor's email: the lead the follow-up is for.")
    first_name: Ident | None = Field(default=None, description="How the email greets them.")
    rep: OfferedRep = Field(description="The rep whose calendar was shown.")

    def subject(self) -> tuple[str, str]:
        """About the conversation."""
        return "conversation", self.conversation_id

    def related(self) -> list[tuple[str, str]]:
        """And the lead: decided in order with the person's replies."""
        return [("lead", self.email.strip().lower())]


class CrmCampaignEvent(IntakeModel):
    """A CRM campaign's membership changed, or the campaign ended (Q16 (2))."""

    model_config = ConfigDict(
        json_schema_extra={  # what `_member_named` checks, said in the OpenAPI document too
            "anyOf": [
                {"properties": {"kind": {"const": "ended"}}},
                {
                    "required": ["email", "record_type"],
                    "properties": {
                        "email": {"type": "string"},
                        "record_type": {"const": "lead"},
                    },
                },
                {
                    "required": ["email", "record_type", "record_id"],
                    "properties": {
                        "email": {"type": "string"},
                        "record_type": {"const": "contact"},
                        "record_id": {"type": "string"},
                    },
                },
            ]
        }
    )

    campaign_id: Ident = Field(description="The CRM campaign's id ([ai.email] crm_campaign).")
    kind: Literal["member_added", "member_removed", "ended"] = Field(description="What happened.")
    email: Email | None = Field(default=None, description="The member's email (member_*).")
    record_type: Literal["lead", "contact"] | None = Field(
        default=None, description="The member's CRM record: a Lead or a Contact (member_*)."
    )
    record_id: Ident | None = Field(
        default=None, description="The record's CRM id (required for a Contact)."
    )
    first_name: Ident | None = Field(default=None, description="How the outreach greets them.")

    @model_validator(mode="after")
    def _member_named(self) -> Self:
        """A membership names the person and their record; a Contact is found by its id."""
        if self.kind != "ended":
            if self.email is None:
                raise ValueError(f"email: required for {self.kind}")
            if self.record_type is None:
                raise ValueError(f"record_type: required for {self.kind} (lead or contact)")
            if self.record_type == "contact" and self.record_id is None:
                raise ValueError("record_id: required for a contact (its CRM id)")
        return self

    def subject(self) -> tuple[str, str]:
        """About the member's lead, or the campaign when it ended."""
        if self.email:
            return "lead", self.email.strip().lower()
        return "crm_campaign", self.campaign_id


INTAKE = (
    IntakeRoute("meeting-offers", MeetingOffer, MEETING_OFFERED),
    IntakeRoute("crm-campaign-events", CrmCampaignEvent, CRM_CAMPAIGN_EVENT),
)
"""The AI flow's intake routes."""

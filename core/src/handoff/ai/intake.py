"""The events the AI flow receives under /v1 (scope `ingest`).

- `POST /v1/meeting-offers`: a visitor was offered a rep's meeting slots (Q16).
  The hub's own conversations (Q5) and smart forms (Q18) store the same
  event; a chat tool outside the hub sends it here.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from handoff.ai.kinds import MEETING_OFFERED
from handoff.flow import IntakeRoute
from handoff.server.models import Email, Ident, IntakeModel

__all__ = ["INTAKE", "MeetingOffer", "OfferedRep"]


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


INTAKE = (IntakeRoute("meeting-offers", MeetingOffer, MEETING_OFFERED),)
"""The AI flow's intake routes."""

"""The events the chat flow receives under /v1: page views, chat requests, conversation events.

Each body is strict like every hub event (handoff.server.models): unknown
fields refused, strings bounded, the sender's `id` the dedupe key.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from handoff.chat.kinds import CHAT_REQUEST, CONVERSATION_EVENT, PAGE_VIEW
from handoff.flow import IntakeRoute
from handoff.server.models import Email, Ident, IntakeModel, Language, Text, Url

__all__ = [
    "INTAKE",
    "ChatRequest",
    "ConversationEvent",
    "PageView",
    "VisitorDetails",
]


class VisitorDetails(BaseModel):
    """What the visitor told the chat tool about themselves (Q11 write-back reads it).

    Every field is optional; leave out (or send null) what is not known. The
    names are those `handoff.chat.writeback.conversation.load_conversation` reads, so a later
    event's value replaces an earlier one's.
    """

    model_config = ConfigDict(extra="forbid", regex_engine="python-re", strict=True)

    email: Email | None = Field(default=None, description="The visitor's email.")
    first_name: Ident | None = Field(default=None, description="First name.")
    last_name: Ident | None = Field(default=None, description="Last name.")
    company: Ident | None = Field(default=None, description="Company.")
    phone: Ident | None = Field(default=None, description="Phone number, as given.")
    title: Ident | None = Field(default=None, description="Job title.")
    referrer: Url | None = Field(default=None, description="The page before the chat's page.")
    utm_source: Ident | None = Field(default=None, description="utm_source.")
    utm_medium: Ident | None = Field(default=None, description="utm_medium.")
    utm_campaign: Ident | None = Field(default=None, description="utm_campaign.")
    utm_term: Ident | None = Field(default=None, description="utm_term.")
    utm_content: Ident | None = Field(default=None, description="utm_content.")


class PageView(IntakeModel):
    """A visitor viewed a page (Q1 enrichment starts here)."""

    visitor_id: Ident = Field(description="The website's id for the visitor.")
    url: Url = Field(description="The page viewed.")
    referrer: Url | None = Field(default=None, description="The referring page.")
    ip: (
        Annotated[str, StringConstraints(max_length=45, pattern=r"^[0-9A-Fa-f:.]{2,45}$")] | None
    ) = Field(default=None, description="The visitor's IPv4 or IPv6 address.")
    email: Email | None = Field(default=None, description="Email, when the visitor is known.")
    cookie_id: Ident | None = Field(default=None, description="First-party cookie id.")
    language: Language | None = Field(default=None, description="Language of the page.")

    def subject(self) -> tuple[str, str]:
        """About the visitor."""
        return "visitor", self.visitor_id


class ChatRequest(IntakeModel):
    """A visitor asked to chat (Q3 routing, Q4 AI takeover timers start here)."""

    conversation_id: Ident = Field(description="The chat tool's conversation id.")
    visitor_id: Ident = Field(description="The visitor asking.")
    experience_id: Ident | None = Field(default=None, description="The experience it started on.")
    page_url: Url | None = Field(default=None, description="The page it started on.")
    email: Email | None = Field(default=None, description="The visitor's email, if given.")
    language: Language | None = Field(default=None, description="The experience's language.")
    human_requested: bool = Field(
        default=False,
        description="On an AI-first experience, the visitor asked for a human (Q4 hand-off).",
    )
    visitor: VisitorDetails | None = Field(
        default=None, description="What the visitor gave about themselves (Q11 write-back)."
    )

    def subject(self) -> tuple[str, str]:
        """About the conversation."""
        return "conversation", self.conversation_id

    def related(self) -> list[tuple[str, str]]:
        """The visitor: routed after the visitor's earlier page views are identified (Q1, Q3)."""
        return [("visitor", self.visitor_id)]


class ConversationEvent(IntakeModel):
    """Something happened in a conversation: a rep joined, a message, the end."""

    conversation_id: Ident = Field(description="The conversation.")
    kind: Literal["rep_joined", "rep_declined", "message", "ai_took_over", "ended"] = Field(
        description="What happened."
    )
    rep_id: Ident | None = Field(default=None, description="The rep concerned, if any.")
    text: Text | None = Field(default=None, description="The message text, for 'message'.")
    visitor: VisitorDetails | None = Field(
        default=None,
        description="What the visitor gave about themselves so far (Q11 write-back).",
    )
    summary: Text | None = Field(
        default=None, description="A summary of the conversation, e.g. on 'ended' (Q11)."
    )
    notes: Text | None = Field(default=None, description="The rep's notes (Q11).")
    source: Ident | None = Field(
        default=None, description="Where the conversation came from, e.g. 'Website Chat' (Q11)."
    )

    def subject(self) -> tuple[str, str]:
        """About the conversation."""
        return "conversation", self.conversation_id


INTAKE = (
    IntakeRoute("page-views", PageView, PAGE_VIEW),
    IntakeRoute("chat-requests", ChatRequest, CHAT_REQUEST),
    IntakeRoute("conversation-events", ConversationEvent, CONVERSATION_EVENT),
)
"""What the chat flow receives at POST /v1/<path>."""

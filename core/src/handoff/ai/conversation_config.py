"""The `[ai.conversations]` table: the AI rep's entry paths, goals and what it says (Q5).

    [ai.conversations]
    meeting_days = 5                 # days of a rep's calendar offered
    slots_offered = 6                # how many slots a visitor is shown

    [ai.conversations.goals.book_meeting]
    phrases = ["book a meeting", "schedule a call"]   # replaces the default phrases
    button = "Book a meeting"

A goal triggers on its button (the widget sends the goal's id) or when the
visitor's message holds one of its phrases (whole words, any case; the
support goal also on the `[ai] support_terms`). Buttons win over phrases;
among phrases, support is checked first, then Book a Meeting, then Route to
a Rep. Every text here is checked by the rules of engagement (Q6) when the
table is loaded, as the fallbacks are.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["GOAL_IDS", "ConversationsConfig", "GoalConfig", "GoalId", "GoalsConfig"]

GoalId = Literal["book_meeting", "route_to_rep", "support"]
GOAL_IDS: tuple[GoalId, ...] = ("book_meeting", "route_to_rep", "support")
"""The goals, by id (the widget's buttons send these)."""


class GoalConfig(BaseModel):
    """One goal: whether it is on, its button and the phrases that trigger it."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(default=True, description="Off: neither its button nor its phrases.")
    button: str = Field(
        min_length=1, max_length=100, description="The label of the goal's button in the widget."
    )
    phrases: list[str] = Field(
        default_factory=list,
        max_length=200,
        description="Phrases in a visitor's message that trigger the goal (whole words, any "
        "case, hyphens and spaces alike). Setting the list replaces the default.",
    )

    @field_validator("phrases")
    @classmethod
    def _no_blank(cls, value: list[str]) -> list[str]:
        """A blank phrase would trigger on every message."""
        for index, phrase in enumerate(value):
            if not any(ch.isalnum() for ch in phrase):
                raise ValueError(f"[{index}]: expected a word or phrase, got {phrase!r}")
        return value


def _book() -> GoalConfig:
    return GoalConfig(
        button="Book a meeting",
        phrases=[
            "book a meeting",
            "book a call",
            "schedule a meeting",
            "schedule a call",
            "set up a meeting",
            "set up a call",
            "arrange a meeting",
            "meet with",
        ],
    )


def _route() -> GoalConfig:
    return GoalConfig(
        button="Talk to a person",
        phrases=[
            "talk to a human",
            "speak to a human",
            "talk to a person",
            "speak to a person",
            "talk to someone",
            "speak to someone",
            "speak with someone",
            "real person",
            "live agent",
            "talk to sales",
            "speak to sales",
            "sales rep",
            "talk to a rep",
        ],
    )


def _support() -> GoalConfig:
    return GoalConfig(
        button="Get support",
        phrases=["help desk", "open a ticket", "contact support", "support team"],
    )


class GoalsConfig(BaseModel):
    """The three goals (Q5)."""

    model_config = ConfigDict(extra="forbid")

    book_meeting: GoalConfig = Field(
        default_factory=_book,
        description="Book a Meeting: the routed or assigned rep's free slots, then the booking.",
    )
    route_to_rep: GoalConfig = Field(
        default_factory=_route,
        description="Route to a Rep: the conversation handed to chat routing (Q4 AI-first).",
    )
    support: GoalConfig = Field(
        default_factory=_support,
        description="Support: the support URL (`[ai] support_url`).",
    )

    def get(self, goal: GoalId) -> GoalConfig:
        """The goal's table by id."""
        found: GoalConfig = getattr(self, goal)
        return found


class ConversationsConfig(BaseModel):
    """The AI rep's conversations (Q5): texts, goals, what a meeting offer holds."""

    model_config = ConfigDict(extra="forbid")

    greeting: str = Field(
        default="Hi! Ask me anything about {company}, or pick one of the options below.",
        min_length=1,
        max_length=2000,
        description='The first reply on the "I have a question" path, and after the email on '
        "\"Connect with us\". '{company}' is replaced by `[ai] company`.",
    )
    email_first: str = Field(
        default="Happy to connect you. What is your business email?",
        min_length=1,
        max_length=2000,
        description='The first reply on "Connect with us": the AI converses once a business '
        "email is given.",
    )
    email_for_goal: str = Field(
        default="Sure. Before I {action}, what is your business email?",
        min_length=1,
        max_length=2000,
        description="Asked when a goal triggers and no email is known yet; '{action}' says "
        "what happens next.",
    )
    email_for_support: str = Field(
        default="Our support team can help with that at {support_url}. So we can follow up, "
        "what is your business email?",
        min_length=1,
        max_length=2000,
        description="Asked instead of `email_for_goal` when Support triggers: a support seeker "
        "always gets the support URL (Q6), so the email request carries it. '{support_url}' is "
        "required.",
    )
    email_refused: str = Field(
        default="{reason} Please give your business email.",
        min_length=1,
        max_length=2000,
        description="The reply to a free-mail, disposable or malformed address; '{reason}' says "
        "which.",
    )
    no_answer: str = Field(
        default="I can help you book a meeting with our team, connect you with someone now, "
        "or point you to support.",
        min_length=1,
        max_length=2000,
        description="The reply when the responder has nothing to say (no model, no content).",
    )
    meeting_days: int = Field(
        default=5, ge=1, le=14, description="Local days of the rep's calendar offered."
    )
    meeting_minutes: int = Field(default=30, ge=15, le=120, description="Meeting length.")
    slots_offered: int = Field(
        default=6, ge=1, le=50, description="How many free slots a visitor is shown."
    )
    history_turns: int = Field(
        default=20,
        ge=2,
        le=200,
        description="How many of the latest turns the responder is given.",
    )
    goals: GoalsConfig = Field(default_factory=GoalsConfig, description="The goals (Q5).")

    @field_validator("email_for_support")
    @classmethod
    def _names_the_support_url(cls, value: str) -> str:
        """A support seeker's every reply links the support URL (Q6)."""
        if "{support_url}" not in value:
            raise ValueError("must contain '{support_url}': a support seeker always gets it (Q6)")
        return value

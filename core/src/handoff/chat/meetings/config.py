"""The `[meetings]` table (Q12): where invites go, where their link comes from, the defaults."""

from __future__ import annotations

import string
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from handoff_sdk.entities import Rep

__all__ = ["TITLE_FIELDS", "ZOOM", "MeetingsConfig"]

ZOOM = "zoom"
"""The video connector that creates a meeting per booking."""

TITLE_FIELDS = ("rep_name", "rep_email", "attendee_email")
"""Placeholders a `[meetings] title` may use."""


class MeetingsConfig(BaseModel):
    """The `[meetings]` table: where invites go, where their link comes from, the defaults."""

    model_config = ConfigDict(extra="forbid")

    calendar: str = Field(
        default="google-calendar",
        min_length=1,
        description="The connector that puts the invite on the rep's calendar.",
    )
    video: Literal["zoom", "personal"] = Field(
        default="zoom",
        description="'zoom': a new Zoom meeting per booking (the rep's zoom_link when Zoom "
        "refuses or is not enabled); 'personal': always the rep's zoom_link.",
    )
    title: str = Field(
        default="Meeting with {rep_name}",
        min_length=1,
        max_length=200,
        description="Title of a booking that gives none; placeholders {rep_name}, {rep_email}, "
        "{attendee_email}.",
    )
    duration_minutes: int = Field(
        default=30, ge=15, le=120, description="Length of a booking that gives no duration or end."
    )

    @field_validator("calendar")
    @classmethod
    def _calendar(cls, value: str) -> str:
        if value.strip() == ZOOM:
            raise ValueError(
                "'zoom' creates video meetings, not calendar invites; name the calendar "
                "connector, e.g. 'google-calendar'"
            )
        return value.strip()

    @field_validator("title")
    @classmethod
    def _title(cls, value: str) -> str:
        try:
            names = [name for _, name, _, _ in string.Formatter().parse(value) if name is not None]
        except ValueError as exc:
            raise ValueError(
                f"not a valid template ({exc}); write a literal brace as {{{{"
            ) from None
        allowed = ", ".join(f"{{{name}}}" for name in TITLE_FIELDS)
        for name in names:
            if name not in TITLE_FIELDS:
                raise ValueError(f"unknown placeholder {{{name}}}; use {allowed}")
        return value

    def title_for(self, rep: Rep, attendee_email: str) -> str:
        """The default title for a booking with this rep and visitor (200 characters at most)."""
        text = self.title.format(
            rep_name=rep.name, rep_email=rep.email or "", attendee_email=attendee_email
        )
        return text.strip()[:200] or "Meeting"

"""The request bodies of the hub's own API (/v1): the events the hub itself owns.

Every model forbids unknown fields and bounds every string, so a bad request
is refused with each bad field named, and nothing the database cannot hold
(NUL bytes, naive times, NaN) gets as far as the store. Each body carries an
`id` chosen by the sender: the dedupe key, so a retried POST is stored once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)

__all__ = [
    "Accepted",
    "BadField",
    "Email",
    "EventTime",
    "Ident",
    "IntakeModel",
    "Language",
    "Refused",
    "SmallMap",
    "Text",
    "Url",
    "WebhookAccepted",
]

Ident = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f]+$")]
"""An id: 1-200 characters, no control characters."""

Text = Annotated[str, StringConstraints(max_length=5000, pattern=r"^[^\x00]*$")]
"""Free text: up to 5,000 characters, no NUL."""

Url = Annotated[
    str, StringConstraints(min_length=1, max_length=2000, pattern=r"^https?://[^ \x00-\x1f\x7f]+$")
]
"""An http(s) URL."""

Email = Annotated[
    str,
    StringConstraints(min_length=3, max_length=320, pattern=r"^[^@ \x00-\x1f]+@[^@ \x00-\x1f]+$"),
]
"""An email address (one @, no spaces)."""

Language = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(-[A-Za-z]{2})?$")]
"""A language code: en, fr, de, ja, pt-BR."""

FIRST_YEAR, LAST_YEAR = 1970, 9998


def _in_store_range(value: datetime) -> datetime:
    """Refuse a year the store cannot hold as UTC (year 1 at +05:00 overflows), then normalise."""
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"expected a time in the years {FIRST_YEAR} to {LAST_YEAR}")
    return value.astimezone(UTC)


def _text_time(value: object) -> object:
    """A time arrives as ISO 8601 text: a number (`0`, epoch seconds) is refused, not converted."""
    if isinstance(value, int | float):
        raise ValueError("expected an ISO 8601 time with a time zone, as a string")
    return value


EventTime = Annotated[
    AwareDatetime,
    BeforeValidator(_text_time),
    AfterValidator(_in_store_range),
    Field(
        strict=False,
        json_schema_extra={
            "pattern": r"^(19[7-9][0-9]|[2-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])-"
        },
    ),
]
"""A timezone-aware time in the years 1970 to 9998, as UTC (the pattern tells clients)."""


Key = Annotated[str, StringConstraints(min_length=1, max_length=200)]
"""A name in a map (form field, survey question)."""

SmallMap = Annotated[dict[Key, Text], Field(max_length=100)]
"""Up to 100 named text values (form fields, survey answers)."""


class IntakeModel(BaseModel):
    """Base of the hub's own events: strict, with the sender's id and when it happened."""

    model_config = ConfigDict(extra="forbid", regex_engine="python-re", strict=True)

    id: Ident = Field(description="The sender's id for this event: same id = same event.")
    occurred_at: EventTime | None = Field(
        default=None, description="When it happened, with a time zone (ISO 8601)."
    )

    def subject(self) -> tuple[str, str]:
        """What the event is about, for `handoff explain` (type, id)."""
        raise NotImplementedError

    def related(self) -> list[tuple[str, str]]:
        """Other subjects whose earlier events must be decided first (type, id). Default: none."""
        return []

    def to_payload(self) -> dict[str, Any]:
        """The stored payload: the fields as JSON, plus the subject and the related subjects."""
        kind, ident = self.subject()
        data = self.model_dump(mode="json")
        data["subject"] = {"type": kind, "id": ident}
        related = [{"type": k, "id": i} for k, i in self.related() if (k, i) != (kind, ident)]
        if related:
            data["related"] = related
        return data


class Accepted(BaseModel):
    """The answer to an accepted event: it is stored (durably) before this is sent."""

    event_id: int = Field(description="The hub's id of the stored event.")
    type: str = Field(description="The stored event type.")
    duplicate: bool = Field(description="True when this id was received before (stored once).")


class BadField(BaseModel):
    """One field of a refused request and what is wrong with it."""

    field: str = Field(description="Dotted path of the field, e.g. 'email' or 'fields.name'.")
    problem: str = Field(description="What is wrong with it.")


class Refused(BaseModel):
    """Why a request was refused; `fields` names each bad field of an invalid body."""

    error: str = Field(description="What went wrong.")
    fields: list[BadField] = Field(default_factory=list, description="Each bad field.")


class WebhookAccepted(BaseModel):
    """The answer to an accepted webhook delivery."""

    events: list[Accepted] = Field(description="The events the connector read from it.")

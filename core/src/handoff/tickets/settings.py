"""The tickets flow's table in handoff.toml, validated when the config is loaded.

    [tickets]   which tickets are sales requests, why they escalate, who takes them,
                and the daily follow-up (Z1-Z6): handoff.tickets.config

Without a `[tickets]` table (or with an empty one) the flow is off.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from handoff.tickets.config import TicketsConfig

__all__ = ["TicketsSettings"]


class TicketsSettings(BaseModel):
    """The `[tickets]` table."""

    model_config = ConfigDict(extra="forbid")

    tickets: TicketsConfig | None = Field(
        default=None,
        description="Support tickets passed to sales (Z1-Z6); none: the flow is off.",
    )

    @field_validator("tickets", mode="before")
    @classmethod
    def _empty_is_off(cls, value: Any) -> Any:
        """An empty table means the flow is off, as a missing one does."""
        return None if value == {} else value

"""The AI flow's table in handoff.toml, validated when the config is loaded.

    [ai]   the AI rep's rules of engagement (Q6): handoff.ai.config

Without an `[ai]` table the flow is off (its routes answer 409).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from handoff.ai.config import AiConfig

__all__ = ["AiSettings"]


class AiSettings(BaseModel):
    """The `[ai]` table."""

    model_config = ConfigDict(extra="forbid")

    ai: AiConfig | None = Field(
        default=None,
        description="The AI rep's rules of engagement (Q6); none: the AI flow is off.",
    )

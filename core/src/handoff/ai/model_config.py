"""The `[ai.model]` table: which connector's model drafts the AI rep's replies (issue 12).

    [ai.model]
    connector = "openai"          # a [connectors.NAME] implementing handoff_generate_reply
    timeout_seconds = 20          # the longest a visitor waits for the model, retries included
    # instructions = "Keep replies under 80 words, in a friendly tone."

Without it, no model is configured: the built-in responder answers (docs/ai.md).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["DEFAULT_UNAVAILABLE_REPLY", "ModelConfig"]

DEFAULT_UNAVAILABLE_REPLY = (
    "I can't answer that right now, but one of our team can: shall I connect you with someone?"
)


class ModelConfig(BaseModel):
    """Which model backend drafts replies, and how long a visitor waits for it."""

    model_config = ConfigDict(extra="forbid")

    connector: str = Field(
        min_length=1,
        max_length=100,
        description="The connector whose model drafts replies: the name of an enabled "
        "[connectors.NAME] table implementing handoff_generate_reply ('openai', 'anthropic').",
    )
    timeout_seconds: float = Field(
        default=20.0,
        gt=0,
        le=300,
        description="The longest one reply may take, the connector's retries included; past "
        "it the model counts as unavailable and the visitor is offered a human.",
    )
    instructions: str = Field(
        default="",
        max_length=4000,
        description="Words added to the model's instructions: tone, length, what to stress. "
        "The rules of engagement are added by the hub and enforced whatever this says.",
    )
    max_tokens: int | None = Field(
        default=None, ge=1, le=64_000, description="Most tokens per reply; none: the connector's."
    )
    temperature: float | None = Field(
        default=None, ge=0.0, le=2.0, description="Sampling temperature; none: the connector's."
    )
    max_turns: int = Field(
        default=20,
        ge=1,
        le=200,
        description="How many of the latest turns the model is shown (older ones are left out).",
    )
    max_passages: int = Field(
        default=5, ge=0, le=50, description="How many retrieved passages the model is shown."
    )
    unavailable_reply: str = Field(
        default=DEFAULT_UNAVAILABLE_REPLY,
        min_length=1,
        max_length=2000,
        description="Sent when the model cannot answer (its API failing after retries, or too "
        "slow): the offer of a human. It goes through the rules of engagement like any reply.",
    )

    @field_validator("connector")
    @classmethod
    def _is_a_name(cls, value: str) -> str:
        """A connector's name as handoff.toml writes it: [connectors.NAME]."""
        if not value.replace("-", "").replace("_", "").isalnum():
            raise ValueError(f"expected a connector name like 'openai', got {value!r}")
        return value

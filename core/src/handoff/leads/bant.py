"""Soft-BANT (D3): Budget, Authority, Need, Timeline; enough of them met -> Qualified and passed.

    [leads.bant]
    qualify_at = 2                     # criteria met (of 4) to qualify
    below = { "0" = "Unqualified", "1" = "Progressing" }   # fewer: this status (absent: stays)
    intro_subject = "Introducing {owner_name}"
    intro_text = "Hi {first_name}, {owner_name} will help you from here."

A qualified lead is passed to sales: its owner becomes the account's owner
when the CRM account has one (else it keeps its owner), an introduction
email job is written, the CRM gets the new status, owner and BANT, and the
D6 follow-up timer starts. `evaluate` is pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["CRITERIA", "BantConfig", "BantOutcome", "evaluate"]

CRITERIA = ("budget", "authority", "need", "timeline")
"""The four Soft-BANT criteria, in order."""


class BantConfig(BaseModel):
    """The `[leads.bant]` table (D3)."""

    model_config = ConfigDict(extra="forbid")

    qualify_at: int = Field(default=2, ge=1, le=4, description="Criteria met (of 4) to qualify.")
    below: dict[str, str] = Field(
        default_factory=lambda: {"0": "Unqualified", "1": "Progressing"},
        description="Criteria met (a count below qualify_at) -> the status it gives; a count "
        "not listed leaves the status as it is (qualify further).",
    )
    intro_subject: str = Field(
        default="Introducing {owner_name}",
        description="Subject of the introduction email ({first_name}, {owner_name}, {company}).",
    )
    intro_text: str = Field(
        default="Hi {first_name},\n\n{owner_name} will be your contact from here on and will "
        "be in touch shortly.\n",
        description="Text of the introduction email (same placeholders).",
    )

    @field_validator("below")
    @classmethod
    def _counts(cls, value: dict[str, str]) -> dict[str, str]:
        for key in value:
            if key not in ("0", "1", "2", "3"):
                raise ValueError(f"'{key}': expected a count of criteria met, 0 to 3")
        return value


@dataclass(frozen=True)
class BantOutcome:
    """What the answers say: how many criteria are met, and where the lead goes."""

    answers: dict[str, Any]
    met: tuple[str, ...]
    qualified: bool
    status: str | None
    """The status the answers give (None: it stays as it is)."""
    why: str


def evaluate(config: BantConfig, answers: Mapping[str, Any], qualified_status: str) -> BantOutcome:
    """Count the criteria met (true) of the answers; qualified at `qualify_at`."""
    kept = {k: answers.get(k) for k in CRITERIA if answers.get(k) is not None}
    met = tuple(k for k in CRITERIA if kept.get(k) is True)
    shown = ", ".join(met) or "none"
    if len(met) >= config.qualify_at:
        return BantOutcome(
            kept,
            met,
            True,
            qualified_status,
            f"Soft-BANT: {len(met)} of 4 met ({shown}), {config.qualify_at} qualify: "
            f"{qualified_status}, passed to sales",
        )
    status = config.below.get(str(len(met)))
    then = f"'{status}'" if status else "the status stays (qualify further)"
    return BantOutcome(
        kept,
        met,
        False,
        status,
        f"Soft-BANT: {len(met)} of 4 met ({shown}), {config.qualify_at} qualify: {then}",
    )

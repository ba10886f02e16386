"""The accounts flow's tables in handoff.toml, validated when the config is loaded.

    [accounts]  the pool, the tier table, the weekly re-rank, the Account 360
                (P1-P3, Q14): handoff.accounts.config
    [cases]     cases from signals and by hand, the hand-off (P4-P6):
                handoff.accounts.cases_config

Without an `[accounts]` table the ranking is off; without `[cases]` no case opens.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from handoff.accounts.cases_config import CasesConfig
from handoff.accounts.config import AccountsConfig

__all__ = ["AccountsSettings"]


class AccountsSettings(BaseModel):
    """The `[accounts]` and `[cases]` tables."""

    model_config = ConfigDict(extra="forbid")

    accounts: AccountsConfig | None = Field(
        default=None, description="Pooled accounts (P1-P3, Q14); none: ranking is off."
    )
    cases: CasesConfig | None = Field(
        default=None, description="Cases from signals and by hand (P4-P6); none: no case opens."
    )

    @field_validator("accounts", "cases", mode="before")
    @classmethod
    def _empty_is_off(cls, value: Any) -> Any:
        """An empty table means off, as a missing one does."""
        return None if value == {} else value

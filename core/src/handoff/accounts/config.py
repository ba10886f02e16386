"""The `[accounts]` table (P1-P3, Q14).

Who is pooled (P1), the tier table (P2), the weekly re-rank (P3),
and the Account 360 signals (Q14).

Every name (the Pooled Sales User, Tier 1, the CRM fields) is a value here,
never code; the GitLab table ships as the playbook
(`handoff/accounts/playbooks/gitlab.toml`).
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from handoff.rules.conditions import Condition, parse_condition
from handoff_sdk.entities import AccountCriterion

__all__ = [
    "Account360",
    "AccountsConfig",
    "PoolConfig",
    "RerankConfig",
    "TierRule",
]

_ANY = re.compile(r"^any ([1-9][0-9]*)$")


class TierRule(BaseModel):
    """One row of the tier table: a tier, its criteria, and how many of them must hold (P2).

    Rows are tested in order and the first that holds gives the tier, so
    Tier 1's rows come before Tier 3's (an account meeting both is Tier 1)
    and the `otherwise` row comes last.
    """

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=100, description="Name of the row in explanations.")
    tier: str = Field(min_length=1, max_length=100, description="The rank it gives, e.g. 'Tier 1'.")
    combination: str = Field(
        description="'any N' (at least N criteria hold), 'both' (the two criteria hold), 'all', "
        "or 'otherwise' (no criteria: the tier of an account no row above matched)."
    )
    criteria: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Conditions of the rules engine, e.g. { field = 'carr', at_least = 2964 } "
        "('at_least' is >=, 'below' is <; a missing value meets no criterion; text ignores case).",
    )

    _conditions: list[Condition] = PrivateAttr(default_factory=list)

    @field_validator("combination")
    @classmethod
    def _combination(cls, value: str) -> str:
        text = " ".join(value.strip().lower().split())
        if text in ("both", "all", "otherwise") or _ANY.match(text):
            return text
        raise ValueError(f"expected 'any N', 'both', 'all' or 'otherwise', got {value!r}")

    @model_validator(mode="after")
    def _check(self) -> TierRule:
        self._conditions = [
            parse_condition(c, f"criteria[{i}]") for i, c in enumerate(self.criteria)
        ]
        count = len(self.criteria)
        if self.combination == "otherwise" and count:
            raise ValueError("an 'otherwise' row has no criteria")
        if self.combination != "otherwise" and not count:
            raise ValueError(f"a {self.combination!r} row needs criteria")
        if self.combination == "both" and count != 2:
            raise ValueError(f"'both' needs exactly two criteria, got {count}")
        if self.needed() > count:
            raise ValueError(f"{self.combination!r} needs more criteria than the {count} given")
        return self

    def needed(self) -> int:
        """How many criteria must hold (0 for 'otherwise')."""
        if self.combination == "otherwise":
            return 0
        if self.combination in ("both", "all"):
            return len(self.criteria)
        match = _ANY.match(self.combination)
        return int(match.group(1)) if match else 0

    def conditions(self) -> list[Condition]:
        """The parsed criteria, in order."""
        return self._conditions


class PoolConfig(BaseModel):
    """Which accounts are pooled (P1): criteria on CRM fields, and the owner."""

    model_config = ConfigDict(extra="forbid")

    owner_email: str = Field(
        min_length=3,
        description="Email of the CRM user who owns the pooled accounts (the 'Pooled Sales "
        "User'); its CRM id is looked up by this email.",
    )
    criteria: list[AccountCriterion] = Field(
        default_factory=list,
        description="Every one must hold, e.g. { field = 'segment', op = 'eq', value = 'SMB' }, "
        "{ field = 'carr', op = 'lt', value = 1000 } (3000 where the pool is wider). They are "
        "sent to the CRM as its query and checked again on each account.",
    )


class RerankConfig(BaseModel):
    """When and how the weekly re-rank runs (P3)."""

    model_config = ConfigDict(extra="forbid")

    schedule: str = Field(
        default="0 5 * * mon",
        description="Cron schedule of the re-rank ('0 5 * * mon': Mondays at 05:00).",
    )
    timezone: str = Field(default="UTC", description="IANA time zone of the schedule.")
    write_batch: int = Field(
        default=2000,
        ge=200,
        le=10_000,
        multiple_of=200,
        description="Account updates per write job; a multiple of the CRM's 200 per call, so "
        "every call but the last is full.",
    )


class Account360(BaseModel):
    """Where each account's signals go in the CRM, daily (Q14)."""

    model_config = ConfigDict(extra="forbid")

    fields: dict[str, str] = Field(
        default_factory=dict,
        description="Signal name -> CRM field API name, e.g. { page_views_30d = "
        "'Page_Views_30d__c', intent_score = 'Intent_Score__c' }.",
    )
    schedule: str = Field(default="0 4 * * *", description="Cron schedule of the daily write.")
    timezone: str = Field(default="UTC", description="IANA time zone of the schedule.")
    window_days: int = Field(
        default=30,
        ge=1,
        le=365,
        description="Counted signals (page_views...) sum over this many days.",
    )


class AccountsConfig(BaseModel):
    """The `[accounts]` table (P1-P3, Q14)."""

    model_config = ConfigDict(extra="forbid")

    crm: str = Field(default="salesforce", description="The connector holding the accounts.")
    pool: PoolConfig = Field(description="Which accounts are pooled (P1).")
    tiers: list[TierRule] = Field(
        min_length=1, description="The tier table (P2), tested in order; the last row 'otherwise'."
    )
    history_field: str | None = Field(
        default="Account_Rank_Notes_History__c",
        description="CRM field every rank change is appended to (the 'Account Rank Notes "
        "History'); '' keeps the history in the hub only.",
    )
    history_max_chars: int = Field(
        default=32_000,
        ge=200,
        description="Oldest lines of the CRM history field are dropped past this.",
    )
    rerank: RerankConfig = Field(
        default_factory=RerankConfig, description="The weekly re-rank (P3)."
    )
    account_360: Account360 | None = Field(
        default=None, description="The daily Account 360 write of signals (Q14); none: off."
    )
    landing_page: str = Field(
        default="https://about.gitlab.com/sales/self-service/",
        description="The self-service landing page a pooled customer is pointed to (P4).",
    )
    mode: Literal["write", "shadow"] = Field(
        default="write",
        description="'shadow' decides and records ranks without writing them to the CRM.",
    )

    @field_validator("history_field")
    @classmethod
    def _history_field(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    @model_validator(mode="after")
    def _table(self) -> AccountsConfig:
        ids = [r.id for r in self.tiers]
        for i, name in enumerate(ids):
            if name in ids[:i]:
                raise ValueError(f"tiers[{i}].id: {name!r} is used twice")
        for i, row in enumerate(self.tiers[:-1]):
            if row.combination == "otherwise":
                raise ValueError(
                    f"tiers[{i}]: the 'otherwise' row must be the last (rows after it never apply)"
                )
        if self.tiers[-1].combination != "otherwise":
            raise ValueError(
                f"tiers[{len(self.tiers) - 1}]: the last row must be 'otherwise', so every "
                "account gets a tier"
            )
        return self

    def tier_names(self) -> list[str]:
        """Every tier the table can give, in table order, each once."""
        return list(dict.fromkeys(r.tier for r in self.tiers))

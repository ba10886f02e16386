"""The auto rank of a pooled account (P2): the tier table applied, criterion by criterion.

Pure: the account's facts and the table in, the tier and why out. Rows are
tested in order, the first that holds wins (Tier 1's rows before Tier 3's,
`otherwise` last). A criterion is a condition of the rules engine, so a
missing value meets none (not even a "less than") and text ignores case.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from handoff.accounts.config import TierRule
from handoff.rules.conditions import Condition
from handoff_sdk.entities import Account

__all__ = ["CriterionCheck", "Ranking", "RowCheck", "account_facts", "rank"]


def account_facts(account: Account) -> dict[str, Any]:
    """What the criteria read.

    The account's canonical fields ('carr', 'industry', ...) and
    `fields.<API name>` for the CRM's others.
    """
    return account.model_dump(mode="json", exclude={"ids"}, exclude_none=True)


@dataclass(frozen=True)
class CriterionCheck:
    """One criterion of a row against the account."""

    criterion: dict[str, Any]
    matched: bool
    why: str

    def to_json(self) -> dict[str, Any]:
        """As stored in the decision's explanation."""
        return {"met": self.matched, "why": self.why}


@dataclass(frozen=True)
class RowCheck:
    """One row of the table: how many criteria held, and whether that was enough."""

    id: str
    tier: str
    combination: str
    needed: int
    criteria: tuple[CriterionCheck, ...]

    @property
    def met(self) -> int:
        """How many criteria held."""
        return sum(1 for c in self.criteria if c.matched)

    @property
    def matched(self) -> bool:
        """Whether the row gives its tier."""
        return self.met >= self.needed

    def to_json(self) -> dict[str, Any]:
        """As stored in the decision's explanation."""
        return {
            "row": self.id,
            "tier": self.tier,
            "combination": self.combination,
            "needed": self.needed,
            "met": self.met,
            "matched": self.matched,
            "criteria": [c.to_json() for c in self.criteria],
        }

    def summary(self) -> str:
        """One line: the row, and how many of its criteria held."""
        if self.combination == "otherwise":
            return f"{self.id}: {self.tier} otherwise"
        verdict = "gives" if self.matched else "not"
        held = f"{self.met} of {len(self.criteria)} met"
        return f"{self.id} ({self.combination}): {held}, {verdict} {self.tier}"


@dataclass(frozen=True)
class Ranking:
    """The tier an account gets, the row that gave it, and every row tested up to it."""

    tier: str
    row: str
    rows: tuple[RowCheck, ...]

    def explanation(self) -> dict[str, Any]:
        """Criterion by criterion, row by row, for `handoff explain`."""
        return {
            "tier": self.tier,
            "row": self.row,
            "rows": [r.to_json() for r in self.rows],
            "summary": [r.summary() for r in self.rows],
        }


@dataclass(frozen=True)
class _Row:
    id: str
    tier: str
    combination: str
    needed: int
    criteria: tuple[tuple[dict[str, Any], Condition], ...]


_COMPILED: dict[int, tuple[Sequence[TierRule], tuple[_Row, ...]]] = {}


def _compiled(tiers: Sequence[TierRule]) -> tuple[_Row, ...]:
    """The table's rows with their parsed criteria, read once per table (not per account)."""
    found = _COMPILED.get(id(tiers))
    if found is None or found[0] is not tiers:
        rows = tuple(
            _Row(
                r.id,
                r.tier,
                r.combination,
                r.needed(),
                tuple(zip(r.criteria, r.conditions(), strict=True)),
            )
            for r in tiers
        )
        found = (tiers, rows)
        _COMPILED[id(tiers)] = found
    return found[1]


def rank(facts: Mapping[str, Any], tiers: Sequence[TierRule]) -> Ranking:
    """The first row of the table that holds for the account (P2)."""
    checks: list[RowCheck] = []
    for row in _compiled(tiers):
        criteria = tuple(
            CriterionCheck(raw, *condition.check(facts)) for raw, condition in row.criteria
        )
        check = RowCheck(row.id, row.tier, row.combination, row.needed, criteria)
        checks.append(check)
        if check.matched:
            return Ranking(row.tier, row.id, tuple(checks))
    # The table's last row is 'otherwise' (checked at load), so this is not reached.
    raise ValueError("the tier table has no 'otherwise' row")

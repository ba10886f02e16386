"""The auto rank of a pooled account (P2): the tier table applied, criterion by criterion.

Pure: the account's facts and the table in, the tier and why out. Rows are
tested in order, the first that holds wins (Tier 1's rows before Tier 3's,
`otherwise` last). A criterion is a condition of the rules engine, so a
missing value meets none (not even a "less than") and text ignores case.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from handoff.accounts.config import TierRule
from handoff.rules.conditions import MISSING, Condition, lookup, matches
from handoff_sdk.entities import Account

__all__ = [
    "CriterionCheck",
    "Ranking",
    "RowCheck",
    "account_facts",
    "explain_stored",
    "rank",
    "table_id",
    "table_json",
]


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
        return sum(c.matched for c in self.criteria)

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


class Ranking:
    """The tier an account gets, the row that gave it, and every row tested up to it.

    The verdicts are taken without the reasons in words (`rank` runs over
    the whole pool); `rows` and `explanation` word them when read.
    """

    __slots__ = ("_rows", "_table", "facts", "row", "tested", "tier")

    def __init__(
        self, tier: str, row: str, facts: Mapping[str, Any], table: tuple[_Row, ...], tested: int
    ) -> None:
        self.tier = tier
        self.row = row
        self.facts = facts
        self.tested = tested  # how many rows were tested: the last gave the tier
        self._table = table
        self._rows: tuple[RowCheck, ...] | None = None

    @property
    def rows(self) -> tuple[RowCheck, ...]:
        """Each row tested, criterion by criterion, with why."""
        if self._rows is None:
            self._rows = tuple(row.worded(self.facts) for row in self._table[: self.tested])
        return self._rows

    def deciding_row(self) -> RowCheck:
        """The row that gave the tier, criterion by criterion (the rows above it unworded)."""
        if self._rows is not None:
            return self._rows[-1]
        return self._table[self.tested - 1].worded(self.facts)

    def explanation(self) -> dict[str, Any]:
        """Criterion by criterion, row by row, for `handoff explain`."""
        return {
            "tier": self.tier,
            "row": self.row,
            "rows": [r.to_json() for r in self.rows],
            "summary": [r.summary() for r in self.rows],
        }

    def stored(self, table: str) -> dict[str, Any]:
        """The explanation as a re-rank stores it: the facts read and the table's name.

        `explain_stored` words it again criterion by criterion, from the
        table stored once under that name (`table_id`): a tenth of the
        full explanation's size, for every account a run changes.
        """
        paths = _paths_of(self._table)
        facts = {}
        for path in paths:
            value = lookup(self.facts, path)
            if value is not MISSING:
                facts[path] = value
        return {"tier": self.tier, "row": self.row, "facts": facts, "table": table}


_WORDED_LIMIT = 10_000
"""Verdicts in words kept per criterion: one per value it has read (P3 words 100,000 accounts)."""


@dataclass(frozen=True)
class _Row:
    id: str
    tier: str
    combination: str
    needed: int
    criteria: tuple[tuple[dict[str, Any], Condition], ...]
    paths: tuple[str | None, ...]
    """The one field each criterion reads (None: several, or none)."""
    worded_by_value: tuple[dict[tuple[type, str], tuple[bool, str]], ...]
    """Per criterion, its verdict and why by the value read: a criterion is a function of it."""

    def worded(self, facts: Mapping[str, Any]) -> RowCheck:
        """The row against the facts, criterion by criterion, with why.

        A criterion that reads one field words the same value the same way,
        so its words are kept by that value (its type and repr: 0.0 and -0.0
        are worded apart), up to `_WORDED_LIMIT` values.
        """
        checks = []
        for (raw, condition), path, known in zip(
            self.criteria, self.paths, self.worded_by_value, strict=True
        ):
            if path is None:
                checks.append(CriterionCheck(raw, *condition.check(facts)))
                continue
            value = lookup(facts, path)
            key = (type(value), repr(value))
            found = known.get(key)
            if found is None:
                found = condition.check(facts)
                if len(known) < _WORDED_LIMIT:
                    known[key] = found
            checks.append(CriterionCheck(raw, *found))
        return RowCheck(self.id, self.tier, self.combination, self.needed, tuple(checks))


_COMPILED: dict[int, tuple[Sequence[TierRule], tuple[_Row, ...]]] = {}
_PATHS: dict[int, tuple[tuple[_Row, ...], tuple[str, ...]]] = {}


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
                tuple(_one_field(raw) for raw in r.criteria),
                tuple({} for _raw in r.criteria),
            )
            for r in tiers
        )
        found = (tiers, rows)
        _COMPILED[id(tiers)] = found
    return found[1]


def _fields_of(raw: Any) -> list[str]:
    """The field paths a criterion (a condition's TOML table, maybe nested) reads."""
    if not isinstance(raw, Mapping):
        return []
    found = [raw["field"]] if isinstance(raw.get("field"), str) else []
    for key in ("all", "any"):
        if isinstance(raw.get(key), list):
            found += [path for item in raw[key] for path in _fields_of(item)]
    if "not" in raw:
        found += _fields_of(raw["not"])
    return found


def _one_field(raw: Any) -> str | None:
    """The field a criterion reads when it reads one (and is not negated or combined)."""
    if not isinstance(raw, Mapping) or any(key in raw for key in ("all", "any", "not")):
        return None
    paths = _fields_of(raw)
    return paths[0] if len(paths) == 1 else None


def _paths_of(table: tuple[_Row, ...]) -> tuple[str, ...]:
    found = _PATHS.get(id(table))
    if found is None or found[0] is not table:
        paths = tuple(
            dict.fromkeys(
                path for row in table for raw, _c in row.criteria for path in _fields_of(raw)
            )
        )
        found = (table, paths)
        _PATHS[id(table)] = found
    return found[1]


def rank(facts: Mapping[str, Any], tiers: Sequence[TierRule]) -> Ranking:
    """The first row of the table that holds for the account (P2)."""
    table = _compiled(tiers)
    for tested, row in enumerate(table, start=1):
        met = 0
        for _raw, condition in row.criteria:
            if matches(condition, facts):
                met += 1
        if met >= row.needed:
            return Ranking(row.tier, row.id, facts, table, tested)
    # The table's last row is 'otherwise' (checked at load), so this is not reached.
    raise ValueError("the tier table has no 'otherwise' row")


def table_json(tiers: Sequence[TierRule]) -> list[dict[str, Any]]:
    """The tier table as stored once for the explanations that name it (`table_id`)."""
    return [t.model_dump(mode="json") for t in tiers]


def table_id(tiers: Sequence[TierRule]) -> str:
    """The name of a tier table by its content: 'tiers-' and 16 hex digits of its SHA-256."""
    text = json.dumps(table_json(tiers), sort_keys=True, separators=(",", ":"))
    return "tiers-" + hashlib.sha256(text.encode()).hexdigest()[:16]


def _unflatten(facts: Mapping[str, Any]) -> dict[str, Any]:
    """{'fields.X': 1, 'carr': 2} as {'fields': {'X': 1}, 'carr': 2}: what `lookup` reads."""
    out: dict[str, Any] = {}
    for path, value in facts.items():
        *parents, last = path.split(".")
        here = out
        for part in parents:
            here = here.setdefault(part, {})
        here[last] = value
    return out


def explain_stored(stored: Mapping[str, Any], tiers: Sequence[TierRule]) -> dict[str, Any]:
    """A re-rank's stored explanation (`Ranking.stored`) criterion by criterion again.

    `tiers` is the table it names. The ranking is taken again on the facts
    the run read; a tier that differs from the stored one would mean the
    table is not the one named, and is said so rather than shown as true.
    """
    facts = stored.get("facts")
    ranking = rank(_unflatten(facts if isinstance(facts, Mapping) else {}), tiers)
    full = ranking.explanation()
    full["facts"] = facts
    full["table"] = stored.get("table")
    if ranking.tier != stored.get("tier") or ranking.row != stored.get("row"):
        full["warning"] = (
            f"stored as {stored.get('tier')} ({stored.get('row')}), but the table "
            f"{stored.get('table')} gives {ranking.tier} ({ranking.row}) on these facts"
        )
    return full

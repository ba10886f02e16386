"""Ordered rules, first match wins: the shape of every flow's rule table.

A rule is an id, the business rule ids it carries out, and a condition
(`when`, none: always). A flow's rule model subclasses `Rule` and adds what
a match does (chat: a target and fallbacks; leads: an assignment). The
evaluation keeps every rule above the match and why it did not apply: the
first half of a decision's explanation.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from handoff.rules.conditions import Condition, parse_condition

__all__ = ["Rule", "RuleCheck", "check_rule", "first_match"]


class _Unbound(Mapping[str, Sequence[Any]]):
    """Named lists not known yet: every name passes; `Rule.bind_lists` checks them."""

    def __getitem__(self, key: str) -> Sequence[Any]:
        return ()

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0

    def __contains__(self, key: object) -> bool:
        return True


class Rule(BaseModel):
    """One rule: when it applies (a condition) and which business rules it carries out."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    named_lists: ClassVar[bool] = False
    """True when the table holding the rules defines named lists for `in_list`."""

    id: str = Field(min_length=1, description="Name of the rule, shown in explanations.")
    rule_ids: list[str] = Field(default_factory=list, description="Business rule ids (Q3b, D2).")
    description: str | None = Field(default=None, description="What the rule is for.")
    when: Any = Field(default=None, description="Condition; none: always matches.")

    _condition: Condition | None = PrivateAttr(default=None)

    @field_validator("when")
    @classmethod
    def _shape(cls, value: Any) -> Any:
        """Refuse a malformed condition at load, naming the part at fault."""
        if value is not None:
            parse_condition(value, lists=_Unbound() if cls.named_lists else None)
        return value

    @model_validator(mode="after")
    def _parse(self) -> Rule:
        if self.when is not None:
            self._condition = parse_condition(
                self.when, lists=_Unbound() if self.named_lists else None
            )
        return self

    def bind_lists(self, lists: Mapping[str, Sequence[Any]]) -> None:
        """Resolve `in_list` names against the table's lists (ValueError naming the unknown)."""
        if self.when is not None:
            self._condition = parse_condition(self.when, lists=lists)

    def condition(self) -> Condition | None:
        """The parsed condition (None: always matches)."""
        return self._condition


@dataclass(frozen=True)
class RuleCheck:
    """How one rule came out against a context, and why."""

    rule: str
    rule_ids: tuple[str, ...]
    matched: bool
    why: str

    def to_json(self) -> dict[str, Any]:
        """The check as stored in an explanation."""
        return {
            "rule": self.rule,
            "rule_ids": list(self.rule_ids),
            "matched": self.matched,
            "why": self.why,
        }


R = TypeVar("R", bound=Rule)


def check_rule(rule: Rule, context: Mapping[str, Any]) -> RuleCheck:
    """One rule against a context."""
    condition = rule.condition()
    matched, why = (True, "no condition: always") if condition is None else condition.check(context)
    return RuleCheck(rule.id, tuple(rule.rule_ids), matched, why)


def first_match(rules: Sequence[R], context: Mapping[str, Any]) -> tuple[R | None, list[RuleCheck]]:
    """The first rule whose condition matches, and the checks up to it (first match wins)."""
    checks: list[RuleCheck] = []
    for rule in rules:
        check = check_rule(rule, context)
        checks.append(check)
        if check.matched:
            return rule, checks
    return None, checks

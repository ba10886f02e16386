"""Ordered rules, first match wins, with why every rule above did not apply (Q3, D2)."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from pydantic import BaseModel, Field, ValidationError, model_validator

from handoff.rules import Rule, first_match


class ListedRule(Rule):
    named_lists: ClassVar[bool] = True


class Table(BaseModel):
    lists: dict[str, list[str]] = Field(default_factory=dict)
    rules: list[ListedRule] = Field(default_factory=list)

    @model_validator(mode="after")
    def _bind(self) -> Table:
        for i, rule in enumerate(self.rules):
            try:
                rule.bind_lists(self.lists)
            except ValueError as exc:
                raise ValueError(f"rules[{i}].{exc}") from None
        return self


def test_first_match_wins_and_the_rules_above_say_why_not() -> None:
    rules = [
        Rule(id="emea", rule_ids=["D2"], when={"field": "geo", "equals": "EMEA"}),
        Rule(id="apac", rule_ids=["D2"], when={"field": "geo", "equals": "APAC"}),
        Rule(id="rest", rule_ids=["D2"]),
    ]
    rule, checks = first_match(rules, {"geo": "APAC"})
    assert rule is not None
    assert rule.id == "apac"
    assert [c.to_json() for c in checks] == [
        {"rule": "emea", "rule_ids": ["D2"], "matched": False, "why": "geo is 'APAC', not 'EMEA'"},
        {"rule": "apac", "rule_ids": ["D2"], "matched": True, "why": "geo is 'APAC'"},
    ]
    assert first_match(rules[:2], {})[0] is None


def test_named_lists_are_bound_by_the_table_that_defines_them() -> None:
    when: dict[str, Any] = {"field": "account.domain", "in_list": "fortune_500"}
    table = Table(lists={"fortune_500": ["walmart.com"]}, rules=[ListedRule(id="f500", when=when)])
    rule, _ = first_match(table.rules, {"account": {"domain": "WALMART.com"}})
    assert rule is not None
    assert rule.id == "f500"
    with pytest.raises(ValidationError, match=r"rules\[0\]\.when\.in_list: no list named"):
        Table(lists={}, rules=[ListedRule(id="f500", when=when)])


def test_a_rule_without_lists_refuses_in_list_at_load() -> None:
    with pytest.raises(ValidationError, match="no named lists are defined"):
        Rule(id="x", when={"field": "a", "in_list": "f500"})

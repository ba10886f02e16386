"""The shared condition language (handoff.rules): every operator, its reasons, its errors.

Chat routing (Q3) and lead assignment (D2) evaluate the same conditions.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from handoff.rules import OPERATORS, parse_condition
from handoff.rules.conditions import matches

LEAD = {
    "lead": {"title": "VP of Engineering", "country": "DE"},
    "account": {"employees": 4200, "carr": "1,200", "domain": "Walmart.com", "name": None},
}


@pytest.mark.parametrize(
    ("raw", "expected", "why"),
    [
        ({"field": "lead.country", "equals": "de"}, True, "lead.country is 'de'"),
        ({"field": "lead.country", "in": ["FR", "DE"]}, True, "one of"),
        ({"field": "account.employees", "at_least": 2000}, True, "at least 2000"),
        ({"field": "account.employees", "at_least": 5000}, False, "not at least 5000"),
        ({"field": "account.carr", "below": 1500}, True, "below 1500"),
        ({"field": "account.carr", "below": 1000}, False, "not below 1000"),
        ({"field": "lead.title", "contains": ["director", "vp"]}, True, "containing 'vp'"),
        ({"field": "lead.title", "contains": "student"}, False, "containing none"),
        ({"field": "account.name", "exists": False}, True, "absent"),
        ({"field": "account.missing", "at_least": 1}, False, "missing, not at least 1"),
        ({"field": "lead.title", "at_least": 1}, False, "not at least 1"),
    ],
)
def test_each_operator_matches_and_says_why(raw: dict[str, Any], expected: bool, why: str) -> None:
    matched, reason = parse_condition(raw).check(LEAD)
    assert matched is expected
    assert why in reason


def test_in_list_reads_a_named_list_without_regard_to_case() -> None:
    lists = {"fortune_500": ["walmart.com", "apple.com"]}
    condition = parse_condition({"field": "account.domain", "in_list": "fortune_500"}, lists=lists)
    assert condition.check(LEAD) == (True, "account.domain is 'Walmart.com', in list 'fortune_500'")
    assert condition.check({"account": {"domain": "acme.test"}})[0] is False


@pytest.mark.parametrize(
    ("raw", "lists", "message"),
    [
        ({"field": "a", "in_list": "f500"}, None, "when.in_list: no named lists are defined"),
        ({"field": "a", "in_list": "f500"}, {"brands": []}, "no list named 'f500' (lists: brands)"),
        ({"field": "a", "at_least": "ten"}, None, "when.at_least: expected a number"),
        ({"field": "a", "below": True}, None, "when.below: expected a number"),
        ({"field": "a", "contains": []}, None, "when.contains: expected a text or a list"),
        ({"field": "a", "like": "x"}, None, "unknown operator 'like'"),
        ({"any": [{"field": "a", "at_least": 1, "below": 2}]}, None, "when.any[0]: one of"),
    ],
)
def test_errors_name_the_part_at_fault(
    raw: dict[str, Any], lists: dict[str, list[str]] | None, message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_condition(raw, lists=lists)


def test_every_operator_is_named_in_the_error_for_a_bad_one() -> None:
    with pytest.raises(ValueError, match="unknown operator") as caught:
        parse_condition({"field": "a", "like": 1})
    assert all(op in str(caught.value) for op in OPERATORS)


def test_above_is_strictly_more_than_for_amounts_like_over_1000() -> None:
    """Z3/Z5: "more than $1,000" holds at 1,000.01 and not at 1,000."""
    condition = parse_condition({"field": "deal.amount", "above": 1000})
    assert condition.check({"deal": {"amount": 1000}}) == (
        False,
        "deal.amount is 1000, not above 1000",
    )
    assert condition.check({"deal": {"amount": "1,200"}})[0] is True
    assert condition.check({"deal": {}})[0] is False


VALUES: list[Any] = [None, "", "SaaS", " saas ", "vp sales", "1,200", "x", 0, 25, 24.99, 2964, True]
SHAPES: list[dict[str, Any]] = [
    {"field": "v", "equals": "saas"},
    {"field": "v", "equals": 25},
    {"field": "v", "in": ["SaaS", 25, True]},
    {"field": "v", "exists": True},
    {"field": "v", "exists": False},
    {"field": "v", "at_least": 25},
    {"field": "v", "below": 25},
    {"field": "v", "above": 1199},
    {"field": "v", "contains": ["VP", "aa"]},
    {"field": "a.v", "at_least": 0},
    {"not": {"field": "v", "below": 25}},
    {"all": [{"field": "v", "exists": True}, {"field": "v", "below": 3000}]},
    {"any": [{"field": "v", "equals": "x"}, {"field": "v", "at_least": 2964}]},
]


@pytest.mark.parametrize("raw", SHAPES, ids=str)
def test_matches_gives_checks_verdict_for_every_operator_and_value(raw: dict[str, Any]) -> None:
    """P2 ranks the pool with `matches` (no reasons in words) and words only what is shown:
    both must agree on every value, a missing or None one included."""
    condition = parse_condition(raw)
    for value in VALUES:
        for context in ({"v": value, "a": {"v": value}}, {}, {"a": None}):
            assert matches(condition, context) is condition.check(context)[0], (value, context)

"""SOQL built from visitor input cannot be broken out of (Q1 lookups by email and domain)."""

from __future__ import annotations

from handoff_salesforce.soql import (
    account_match_query,
    contact_by_email_query,
    escape,
    lead_by_email_query,
    like_pattern,
    quote,
)
from hypothesis import given
from hypothesis import strategies as st

_UNESCAPE = {
    "\\": "\\",
    "'": "'",
    '"': '"',
    "n": "\n",
    "N": "\n",
    "r": "\r",
    "R": "\r",
    "t": "\t",
    "T": "\t",
    "b": "\b",
    "B": "\b",
    "f": "\f",
    "F": "\f",
}


def read_literal(text: str, start: int, *, like: bool = False) -> tuple[str, int]:
    """Parse the SOQL string literal at text[start] the way Salesforce does.

    Returns (value, index after the closing quote). Raises on an escape SOQL
    does not define, as Salesforce does.
    """
    assert text[start] == "'"
    out: list[str] = []
    i = start + 1
    while True:
        ch = text[i]
        if ch == "'":
            return "".join(out), i + 1
        if ch == "\\":
            nxt = text[i + 1]
            if like and nxt in "%_":
                out.append(nxt)
            elif nxt in _UNESCAPE:
                out.append(_UNESCAPE[nxt])
            else:
                raise ValueError(f"invalid escape \\{nxt}")
            i += 2
            continue
        out.append(ch)
        i += 1


def test_a_quote_in_an_email_stays_inside_the_literal() -> None:
    assert quote("o'brien@x.example") == "'o\\'brien@x.example'"
    soql = contact_by_email_query("o'brien@x.example")
    start = soql.index("Email = ") + len("Email = ")
    value, end = read_literal(soql, start)
    assert value == "o'brien@x.example"
    assert soql[end:] == " ORDER BY LastModifiedDate DESC LIMIT 1"


def test_an_injection_attempt_is_just_an_odd_email() -> None:
    attack = "x@y.example' OR Email != '"
    soql = lead_by_email_query(attack)
    start = soql.index("Email = ") + len("Email = ")
    value, end = read_literal(soql, start)
    assert value == attack
    assert soql[end:].startswith(" AND IsConverted = false")
    assert " OR " not in soql[:start] + soql[end:], "no OR outside the literal"


def test_a_trailing_backslash_cannot_escape_the_closing_quote() -> None:
    assert escape("evil\\") == "evil\\\\"
    value, end = read_literal(quote("evil\\"), 0)
    assert value == "evil\\"
    assert end == len(quote("evil\\"))


def test_like_wildcards_in_a_domain_match_only_themselves() -> None:
    pattern = like_pattern("a_b%c.example")
    assert pattern == "'%a\\_b\\%c.example%'"
    value, _ = read_literal(pattern, 0, like=True)
    assert value == "%a_b%c.example%"


def test_account_query_ors_the_domains_and_keeps_the_oldest_first() -> None:
    soql = account_match_query(["acme.example", "acme.test"], ["Sector__c"])
    assert "Website LIKE '%acme.example%' OR Website LIKE '%acme.test%'" in soql
    assert soql.startswith("SELECT Id, Name, Website,")
    assert ", Sector__c FROM Account" in soql
    assert soql.endswith("ORDER BY CreatedDate ASC, Id ASC")


def test_account_query_with_a_domain_field_is_an_exact_in() -> None:
    soql = account_match_query(["acme.example", "o'x.example"], [], "Domain__c")
    assert "WHERE Domain__c IN ('acme.example', 'o\\'x.example')" in soql


@given(st.text())
def test_any_value_round_trips_through_a_literal(value: str) -> None:
    literal = quote(value)
    parsed, end = read_literal(literal, 0)
    assert parsed == value
    assert end == len(literal)


@given(st.text())
def test_any_value_round_trips_through_a_like_pattern(value: str) -> None:
    pattern = like_pattern(value)
    parsed, end = read_literal(pattern, 0, like=True)
    assert parsed == f"%{value}%"
    assert end == len(pattern)

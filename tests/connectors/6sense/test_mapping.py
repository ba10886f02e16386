"""Q1: 6sense Company Identification bodies -> canonical Firmographics (pure mapping)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from handoff_6sense.mapping import (
    headline_score,
    is_match,
    normalise_domain,
    product_insights,
    segment_names,
    to_firmographics,
)

BODY: dict[str, Any] = {
    "company": {
        "company_match": "Match",
        "additional_comment": "Company name or domain match was found",
        "companyId": "6s-4242",
        "domain": "Woodgrove.Example",
        "name": "Woodgrove Bank",
        "region": "Northern America",
        "country": "United States",
        "country_iso_code": "us",
        "state": "New York",
        "state_code": "NY",
        "city": "New York",
        "industry": "Financial Services",
        "industry_v2": [{"industry": "Financial Services", "subindustry": "Banking"}],
        "employee_range": "10,000+",
        "employee_count": 15000,
        "revenue_range": "$1B - $5B",
        "annual_revenue": 2500000000,
        "is_blacklisted": False,
        "is_6qa": True,
        "sic": "",
        "naics": "5221",
    },
    "scores": [
        {
            "product": "core_banking",
            "product_display_name": "Core Banking",
            "is_6qa": True,
            "intent_score": 77,
            "buying_stage": "Purchase",
            "profile_score": 90,
            "profile_fit": "Strong",
        },
        {
            "product": "analytics",
            "product_display_name": "Analytics Suite",
            "is_6qa": False,
            "intent_score": 20,
            "buying_stage": "Awareness",
            "profile_score": 40,
            "profile_fit": "Weak",
        },
    ],
    "segments": {
        "ids": [11, 12],
        "names": ["Named Accounts", "High Intent"],
        "list": [{"id": 11, "name": "Named Accounts"}, {"id": 12, "name": "High Intent"}],
    },
    "confidence": "Very High",
}


def body(**company: Any) -> dict[str, Any]:
    """BODY with some company fields replaced."""
    data = copy.deepcopy(BODY)
    data["company"].update(company)
    return data


def test_q1_a_match_maps_every_firmographic_field() -> None:
    firm = to_firmographics(BODY)
    assert firm is not None
    assert firm.source == "6sense"
    assert firm.company_id == "6s-4242"
    assert firm.company_name == "Woodgrove Bank"
    assert firm.domain == "woodgrove.example"
    assert firm.industry == "Financial Services"
    assert firm.employee_count == 15000
    assert firm.employee_range == "10,000+"
    assert firm.annual_revenue == 2_500_000_000.0
    assert firm.revenue_range == "$1B - $5B"
    assert (firm.country, firm.country_code, firm.region) == (
        "United States",
        "US",
        "Northern America",
    )
    assert (firm.state, firm.city) == ("New York", "New York")
    assert firm.segments == ["Named Accounts", "High Intent"]
    assert firm.confidence == "Very High"
    # The first product line gives the headline intent, stage and fit.
    assert (firm.buying_stage, firm.intent_score, firm.profile_fit) == ("Purchase", 77.0, "Strong")
    assert firm.product_insights == {
        "core_banking": {
            "product_display_name": "Core Banking",
            "buying_stage": "Purchase",
            "intent_score": 77.0,
            "profile_fit": "Strong",
            "profile_score": 90.0,
            "is_6qa": True,
        },
        "analytics": {
            "product_display_name": "Analytics Suite",
            "buying_stage": "Awareness",
            "intent_score": 20.0,
            "profile_fit": "Weak",
            "profile_score": 40.0,
            "is_6qa": False,
        },
    }


def test_q1_numbers_sent_as_strings_are_read() -> None:
    """6sense sends employee_count and annual_revenue as strings in live answers."""
    firm = to_firmographics(body(employee_count="22000", annual_revenue="7,449,000,000"))
    assert firm is not None
    assert firm.employee_count == 22000
    assert firm.annual_revenue == 7_449_000_000.0


@pytest.mark.parametrize("blank", ["", "   ", None, "n/a", True])
def test_q1_blank_or_junk_numbers_are_unknown(blank: Any) -> None:
    firm = to_firmographics(body(employee_count=blank, annual_revenue=blank))
    assert firm is not None
    assert firm.employee_count is None
    assert firm.annual_revenue is None


def test_q1_empty_strings_are_unknown_not_values() -> None:
    firm = to_firmographics(body(state="", city=" ", revenue_range="", country_iso_code=""))
    assert firm is not None
    assert (firm.state, firm.city, firm.revenue_range, firm.country_code) == (
        None,
        None,
        None,
        None,
    )


def test_q1_industry_falls_back_to_industry_v2() -> None:
    firm = to_firmographics(
        body(industry="", industry_v2=[{"industry": ""}, {"industry": "Banking & Finance"}])
    )
    assert firm is not None
    assert firm.industry == "Banking & Finance"


def test_q1_segments_from_list_when_names_missing_each_once() -> None:
    segments = {
        "ids": [1, 2, 3],
        "list": [{"id": 1, "name": "A"}, {"id": 2, "name": "B"}, {"id": 3, "name": "A"}],
    }
    assert segment_names(segments) == ["A", "B"]
    assert segment_names({"names": ["X", "", "X", "Y"]}) == ["X", "Y"]
    assert segment_names(None) == []
    assert segment_names({"names": "not a list"}) == []


def test_q1_headline_score_follows_the_configured_product() -> None:
    """The playbook can say which product line's intent drives routing."""
    by_key = to_firmographics(BODY, product="analytics")
    by_display_name = to_firmographics(BODY, product="analytics SUITE")
    for firm in (by_key, by_display_name):
        assert firm is not None
        assert (firm.buying_stage, firm.intent_score, firm.profile_fit) == (
            "Awareness",
            20.0,
            "Weak",
        )


def test_q1_configured_product_missing_gives_no_headline_but_keeps_insights() -> None:
    firm = to_firmographics(BODY, product="not_a_product")
    assert firm is not None
    assert (firm.buying_stage, firm.intent_score, firm.profile_fit) == (None, None, None)
    assert set(firm.product_insights) == {"core_banking", "analytics"}


def test_q1_no_scores_means_no_intent() -> None:
    data = copy.deepcopy(BODY)
    data["scores"] = []
    firm = to_firmographics(data)
    assert firm is not None
    assert firm.buying_stage is None
    assert firm.intent_score is None
    assert firm.product_insights == {}


def test_q1_product_insights_keyed_by_display_name_when_product_missing() -> None:
    insights = product_insights([{"product_display_name": "Suite", "intent_score": "55"}])
    assert insights["Suite"]["intent_score"] == 55.0
    assert headline_score([], None) is None


NO_MATCH_BODIES: dict[str, Any] = {
    "No Match": body(company_match="No Match", name="", domain=""),
    "No Match with leftovers": body(company_match="No Match"),
    "Non-actionable Match (ISP)": body(
        company_match="Non-actionable Match", name="Example Broadband", domain="isp.example"
    ),
    "lower-case verdict": body(company_match="non-actionable match"),
    "empty object": {},
    "no body": None,
    "a list": [],
    "company empty": {"company": {}, "scores": [], "segments": {}},
    "company null": {"company": None},
    "nameless match": body(name="", domain=" "),
}


@pytest.mark.parametrize("case", list(NO_MATCH_BODIES))
def test_q1_each_no_match_shape_maps_to_none(case: str) -> None:
    assert not is_match(NO_MATCH_BODIES[case])
    assert to_firmographics(NO_MATCH_BODIES[case]) is None


def test_q1_a_body_without_company_match_counts_by_content() -> None:
    data = copy.deepcopy(BODY)
    del data["company"]["company_match"]
    firm = to_firmographics(data)
    assert firm is not None
    assert firm.company_name == "Woodgrove Bank"


def test_q1_a_domain_alone_is_enough_to_match() -> None:
    firm = to_firmographics(body(name=""))
    assert firm is not None
    assert firm.company_name is None
    assert firm.domain == "woodgrove.example"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Example.COM", "example.com"),
        ("https://www.example.com/about", "example.com"),
        ("www.example.co.uk.", "example.co.uk"),
        ("", None),
        (None, None),
    ],
)
def test_q1_domains_are_normalised_for_crm_matching(raw: Any, expected: str | None) -> None:
    assert normalise_domain(raw) == expected

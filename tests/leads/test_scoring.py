"""The leads flow's pure rules: scoring (D4), sources (D1), Soft-BANT (D3), assignment config
(D2), unsubscribe tokens (D7), and the GitLab playbook that ships them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from handoff.config import ConfigFileError, validate_table
from handoff.leads.bant import BantConfig, evaluate
from handoff.leads.mail import BadTokenError, read_token, unsubscribe_token
from handoff.leads.playbooks import load_playbook
from handoff.leads.scoring import ScoringConfig, add_behaviour, rescore_demographic
from handoff.leads.settings import LeadsSettings
from handoff.leads.sources import LeadSource, match_source

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
SCORING = ScoringConfig.model_validate(
    {
        "behaviour": [
            {"kind": "page_view", "points": 1, "cap": 3},
            {"kind": "content_engaged", "points": 8, "half_life_days": 10},
        ],
        "demographic": [
            {"id": "vp", "when": {"field": "lead.title", "contains": ["VP"]}, "points": 5},
            {
                "id": "big",
                "when": {"field": "account.employee_count", "at_least": 1000},
                "points": 3,
            },
        ],
    }
)


def test_d4_points_per_kind_are_capped_and_unknown_kinds_score_nothing() -> None:
    detail: dict[str, object] = {}
    for n in range(5):
        change = add_behaviour(SCORING, detail, "page_view", T0 + timedelta(minutes=n))
        detail = change.detail
    assert change.score == 3
    assert change.delta == 0  # the fifth view is over the cap
    assert "capped at 3" in change.why
    nothing = add_behaviour(SCORING, detail, "tweet", T0)
    assert (nothing.score, nothing.delta) == (3, 0)


def test_d4_optional_decay_halves_a_kind_over_its_half_life() -> None:
    first = add_behaviour(SCORING, {}, "content_engaged", T0)
    later = add_behaviour(SCORING, first.detail, "content_engaged", T0 + timedelta(days=10))
    assert later.detail["behaviour"]["content_engaged"]["points"] == pytest.approx(12)  # 4 + 8


def test_d4_demographic_points_replace_the_previous_ones_and_say_which_matched() -> None:
    context = {"lead": {"title": "VP Sales"}, "account": {"employee_count": 5000}}
    change = rescore_demographic(SCORING, {}, context)
    assert change.score == 8
    assert [m["rule"] for m in change.detail["demographic"]["matched"]] == ["vp", "big"]
    demoted = rescore_demographic(SCORING, change.detail, {"lead": {"title": "Engineer"}})
    assert (demoted.score, demoted.delta) == (0, -8)


def test_d1_forms_match_by_id_then_the_longest_page_path() -> None:
    sources = [
        LeadSource(id="sales", forms=["contact-sales"]),
        LeadSource(id="webcast", pages=["/webcast/"]),
        LeadSource(id="webcast-emea", pages=["/webcast/emea/"], lead_source="Webcast EMEA"),
    ]
    assert match_source(sources, "form", {"form_id": "contact-sales"}).source == "sales"
    deep = match_source(
        sources, "form", {"form_id": "x", "page_url": "https://corp.example/webcast/emea/q3"}
    )
    assert (deep.source, deep.lead_source) == ("webcast-emea", "Webcast EMEA")
    other = match_source(sources, "form", {"form_id": "whitepaper"})
    assert (other.handling, other.config) == ("lead", None)
    assert "goes to BDR qualification" in other.why


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            {"sources": [{"id": "a", "forms": ["f"]}, {"id": "b", "forms": ["F"]}]},
            "leads.sources[1].forms: 'f' is already in [0]",
        ),
        (
            {"sources": [{"id": "p", "mailboxes": ["press@x.example"], "handling": "forward"}]},
            "forward_to: required",
        ),
        (
            {"assignment": {"rules": [{"id": "r", "assign": "team:nobody"}]}},
            "assignment.rules[0].assign: no team 'nobody'",
        ),
        (
            {"assignment": {"rules": [{"id": "r", "assign": "somewhere"}]}},
            "expected team:NAME, rep:ID",
        ),
        (
            {
                "assignment": {
                    "rules": [
                        {
                            "id": "r",
                            "assign": "account_owner",
                            "when": {"field": "lead.domain", "in_list": "f500"},
                        }
                    ]
                }
            },
            "f500",
        ),
        ({"bant": {"below": {"1": "Maybe"}}}, "bant.below.1: 'Maybe' is not a status"),
        ({"writeback": {"crm_fields": {"colour": "Colour__c"}}}, "'colour' is not a lead value"),
    ],
)
def test_d1_d2_d3_bad_tables_are_refused_at_load_naming_the_field(
    table: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigFileError, match=re.escape(message)):
        validate_table(LeadsSettings, {"leads": table})


def test_d3_two_of_four_qualify_fewer_give_the_configured_status() -> None:
    config = BantConfig()
    assert evaluate(config, {"budget": True, "need": True}, "Qualified").qualified
    one = evaluate(config, {"budget": True, "authority": False}, "Qualified")
    assert (one.qualified, one.status, one.met) == (False, "Progressing", ("budget",))
    assert evaluate(config, {}, "Qualified").status == "Unqualified"
    assert evaluate(BantConfig(below={}), {"need": True}, "Qualified").status is None


def test_d7_unsubscribe_tokens_name_the_address_and_cannot_be_forged() -> None:
    token = unsubscribe_token("s3cret", "Kim@Acme.example")
    assert read_token("s3cret", token) == "kim@acme.example"
    with pytest.raises(BadTokenError):
        read_token("other", token)
    forged = unsubscribe_token("s3cret", "kim@acme.example").split(".")[0] + ".AAAA"
    with pytest.raises(BadTokenError):
        read_token("s3cret", forged)
    with pytest.raises(BadTokenError):
        read_token("s3cret", "!!!")


def test_the_gitlab_playbook_carries_d1_to_d8() -> None:
    playbook = load_playbook()
    assert playbook.status.nurture_after_days == 21
    assert playbook.scoring.threshold == 20
    assert playbook.bant.qualify_at == 2
    handling = {s.id: s.handling for s in playbook.sources}
    assert handling["press"] == "forward"
    assert handling["newsletter"] == "subscription"
    assert [r.assign for r in playbook.assignment.rules][-2:] == ["claim:bdr-apac", "team:bdr-na"]
    assert 1 <= playbook.follow_up.remind_after_days <= 7
    assert playbook.subscriptions.temporary_days == 30
    assert any(s.buy_now for s in playbook.sources)
    assert {"Accepted", "Recycle", "Qualifying"} <= set(playbook.status.statuses())

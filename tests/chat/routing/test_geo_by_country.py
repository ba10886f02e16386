"""Q3e: the geo pool of a visitor with no known geo, from their country (`routing.geo_by_country`).

"Round robin pools based on the account or visitor's geography": `geo_from`
(account.geo, visitor.geo) first; when neither is known, the first country
of `country_from` that `geo_by_country` lists gives the geo.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from handoff.chat.flow import CHAT
from handoff.chat.playbooks import load_playbook, playbook_path
from handoff.chat.routing.availability import AvailabilitySnapshot
from handoff.chat.routing.config import ISO_COUNTRY_CODES, RoutingConfig, load_routing
from handoff.chat.routing.engine import RoutingDecision, normalize_context, route
from handoff.config import load_config
from handoff.errors import ConfigFileError
from handoff.rules import MemoryRotation
from handoff_sdk.entities import RepStatus

# Tuesday 02:00 UTC: 11:00 in Tokyo, 13:00 in Sydney, 21:00 (Monday) in New York.
NOW = datetime(2026, 1, 6, 2, 0, tzinfo=UTC)


def table(**extra: Any) -> dict[str, Any]:
    """A [routing] table: one pool per geo, a catch-all geo_pool rule, the map under test."""
    base: dict[str, Any] = {
        "reps": [
            {"id": "amy", "name": "Amy", "teams": ["sdr-amer"]},
            {"id": "eve", "name": "Eve", "teams": ["sdr-emea"]},
            {"id": "kai", "name": "Kai", "teams": ["sdr-apac"]},
        ],
        "teams": [
            {"name": "sdr-amer", "geo": "AMER"},
            {"name": "sdr-emea", "geo": "EMEA"},
            {"name": "sdr-apac", "geo": "APAC"},
        ],
        "rules": [{"id": "everyone-else", "rule_ids": ["Q3e"], "target": "geo_pool"}],
        "geo_by_country": {"US": "AMER", "DE": "EMEA", "JP": "APAC"},
    }
    return {**base, **extra}


CONFIG = load_routing(table())
EVERYONE = AvailabilitySnapshot(
    now=NOW, statuses=dict.fromkeys(["amy", "eve", "kai"], RepStatus.ONLINE)
)


def decide(context: dict[str, Any], config: RoutingConfig = CONFIG) -> RoutingDecision:
    return route(context, config, EVERYONE, MemoryRotation())


def test_q3e_country_gives_the_geo_when_no_geo_is_known() -> None:
    decision = decide({"visitor": {"id": "v1", "country": "jp"}})  # any case
    assert (decision.rep_id, decision.target) == ("kai", "geo_pool")
    assert decision.explanation["geo"] == "APAC"
    assert decision.explanation["geo_source"] == "visitor.country JP"
    assert decision.explanation["targets"][0]["why"] == "round robin over sdr-apac (geo APAC)"
    assert "   geo APAC (from visitor.country JP), language en" in decision.lines()
    assert decision.explanation["notes"] == []


def test_q3e_firmographics_country_code_of_an_identified_visitor() -> None:
    """What Q1 leaves in the context of a visitor 6sense knows but the CRM does not."""
    ctx = {
        "visitor": {"id": "v2", "region": "Eastern Asia"},
        "firmographics": {"company_name": "Tailspin", "country": "Japan", "country_code": "JP"},
    }
    decision = decide(ctx)
    assert (decision.rep_id, decision.explanation["geo_source"]) == (
        "kai",
        "firmographics.country_code JP",
    )


def test_q3e_account_geo_wins_over_any_country() -> None:
    ctx = {
        "visitor": {"id": "v3", "country": "JP"},
        "account": {"name": "Acme", "geo": "EMEA", "country": "US"},
    }
    decision = decide(ctx)
    assert (decision.rep_id, decision.explanation["geo"]) == ("eve", "EMEA")
    assert decision.explanation["geo_source"] == "account.geo"
    # visitor.geo too: geo_from is read before any country
    decision = decide({"visitor": {"id": "v4", "geo": "AMER", "country": "JP"}})
    assert (decision.rep_id, decision.explanation["geo_source"]) == ("amy", "visitor.geo")


def test_q3e_account_country_comes_before_the_visitors() -> None:
    ctx = {"visitor": {"id": "v5", "country": "JP"}, "account": {"name": "Acme", "country": "DE"}}
    decision = decide(ctx)
    assert (decision.rep_id, decision.explanation["geo_source"]) == ("eve", "account.country DE")


def test_q3e_a_given_geo_is_kept_and_said_so() -> None:
    decision = decide({"geo": "AMER", "visitor": {"id": "v6", "country": "JP"}})
    assert (decision.rep_id, decision.explanation["geo_source"]) == ("amy", "given")
    assert "   geo AMER (given), language en" in decision.lines()


def test_q3e_unknown_country_is_noted_and_leaves_geo_none() -> None:
    decision = decide({"visitor": {"id": "v7", "country": "BR"}})
    assert decision.rep_id is None
    assert decision.explanation["geo"] is None
    assert decision.explanation["geo_source"] is None
    assert decision.explanation["notes"][0] == (
        "geo: visitor.country 'BR' is not in routing.geo_by_country"
    )
    assert decision.explanation["targets"][0]["why"] == "no team for geo None"
    assert "   note: geo: visitor.country 'BR' is not in routing.geo_by_country" in (
        decision.lines()
    )


def test_q3e_full_country_names_are_not_matched_but_a_later_code_is() -> None:
    """Salesforce's BillingCountry is free text ("Japan"): codes only, said in the note."""
    ctx = {
        "visitor": {"id": "v8"},
        "account": {"name": "Tailspin", "country": "Japan"},
        "firmographics": {"country_code": "JP"},
    }
    decision = decide(ctx)
    assert (decision.rep_id, decision.explanation["geo_source"]) == (
        "kai",
        "firmographics.country_code JP",
    )
    assert decision.explanation["notes"] == [
        "geo: account.country 'Japan' is not an ISO 3166-1 alpha-2 code "
        "(routing.geo_by_country maps codes only)"
    ]


def test_q3e_blank_values_are_absent() -> None:
    ctx = {
        "visitor": {"id": "v9", "geo": " ", "country": ""},
        "firmographics": {"country_code": "de"},
    }
    decision = decide(ctx)
    assert (decision.rep_id, decision.explanation["geo_source"]) == (
        "eve",
        "firmographics.country_code DE",
    )
    assert decision.explanation["notes"] == []


def test_q3e_without_a_map_nothing_changes() -> None:
    config = load_routing(table(geo_by_country={}))
    decision = decide({"visitor": {"id": "v10", "country": "JP"}}, config)
    assert (decision.rep_id, decision.explanation["geo"]) == (None, None)
    assert decision.explanation["notes"] == [
        "rule everyone-else: nobody available; the chat waits unrouted"
    ]


def test_q3e_country_from_is_configurable() -> None:
    config = load_routing(table(country_from=["person.country"]))
    assert normalize_context({"person": {"country": "us"}}, config)["geo"] == "AMER"
    assert normalize_context({"visitor": {"country": "us"}}, config)["geo"] is None


def test_q3e_map_values_take_the_teams_spelling() -> None:
    config = load_routing(table(geo_by_country={"JP": "apac"}))
    assert config.geo_by_country == {"JP": "APAC"}


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        (
            {"jp": "APAC"},
            "routing.geo_by_country.jp: expected an upper-case ISO 3166-1 alpha-2 country "
            "code such as 'JP' (did you mean 'JP'?)",
        ),
        ({"JPN": "APAC"}, "routing.geo_by_country.JPN: expected an upper-case ISO 3166-1"),
        ({"UK": "EMEA"}, "routing.geo_by_country.UK: expected an upper-case ISO 3166-1"),
        (
            {"JP": "APJ"},
            "routing.geo_by_country.JP: 'APJ' is not the geo of any team "
            "(routing.teams serve: AMER, APAC, EMEA)",
        ),
        ({"JP": 3}, "routing.geo_by_country.JP: Input should be a valid string"),
    ],
)
def test_q3e_bad_geo_by_country_names_the_field(mapping: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigFileError) as caught:
        load_routing(table(geo_by_country=mapping))
    assert str(caught.value).startswith(message)


def test_q3e_handoff_toml_overrides_the_included_map_country_by_country(tmp_path: Path) -> None:
    config_file = tmp_path / "handoff.toml"
    config_file.write_text(
        f'[routing]\ninclude = "{playbook_path("gitlab").as_posix()}"\n'
        '[routing.geo_by_country]\nIN = "EMEA"\n'
    )
    routing = CHAT.settings_of(load_config(config_file, required=True)).routing
    assert routing.geo_by_country["IN"] == "EMEA"
    assert routing.geo_by_country["JP"] == "APAC"  # the playbook's others stay


# --- The GitLab playbook ------------------------------------------------------------------

PLAYBOOK = load_playbook("gitlab")


def playbook_decide(context: dict[str, Any], **statuses: str) -> RoutingDecision:
    """A visitor who asked for a human, every human online unless named otherwise."""
    found = {r.id: RepStatus.ONLINE for r in PLAYBOOK.routing.reps if not r.is_ai}
    found.update({k.replace("_", "-"): RepStatus(v) for k, v in statuses.items()})
    page = context["visitor"].get("page_url", "https://about.example.test/")
    experience = PLAYBOOK.experiences.live_for_page(page, {})
    assert experience is not None
    ctx = {"request": {"human": True}, "experience": experience.model_dump(mode="json"), **context}
    return route(
        ctx, PLAYBOOK.routing, AvailabilitySnapshot(now=NOW, statuses=found), MemoryRotation()
    )


def test_q3e_playbook_routes_a_jp_visitor_without_account_to_the_apac_pool() -> None:
    """What Q1 leaves for a visitor 6sense places in Japan and the CRM does not know."""
    ctx = {
        "visitor": {
            "id": "v-jp",
            "page_url": "https://about.example.test/",
            "region": "Eastern Asia",
        },
        "account": None,
        "firmographics": {
            "company_name": "Tailspin Toys",
            "country": "Japan",
            "country_code": "JP",
        },
    }
    decision = playbook_decide(ctx)
    assert (decision.rule, decision.rule_ids, decision.target) == (
        "everyone-else",
        ["Q3e", "Q4"],
        "geo_pool",
    )
    assert decision.rep_id in {"sdr-haruto", "sdr-olivia"}
    assert decision.explanation["targets"][0]["why"] == "round robin over sdr-apac (geo APAC)"
    assert "   geo APAC (from firmographics.country_code JP), language en" in decision.lines()


def test_q3e_playbook_japanese_page_falls_back_to_the_apac_pool() -> None:
    """The demo's v-1004 path: Q3d's Japanese team has nobody free, so the APAC pool (Q3e)."""
    ctx = {
        "visitor": {"id": "v-ja", "page_url": "https://about.example.test/ja-jp/"},
        "firmographics": {"country_code": "JP"},
    }
    decision = playbook_decide(ctx, sdr_haruto="away")
    assert (decision.rule, decision.rep_id, decision.target) == (
        "non-english",
        "sdr-olivia",
        "geo_pool",
    )


def test_q3e_playbook_maps_every_inhabited_country_to_a_served_geo() -> None:
    mapping = PLAYBOOK.routing.geo_by_country
    assert set(mapping.values()) == {"AMER", "EMEA", "APAC"}
    # every assigned code but six uninhabited territories (plus XK, Kosovo)
    assert ISO_COUNTRY_CODES - set(mapping) == {"AQ", "BV", "GS", "HM", "TF", "UM"}
    assert len(ISO_COUNTRY_CODES) == 250
    # seed 004: EMEA, NA and APAC; "all other regions" go to NA, so Latin America is AMER
    expected = {
        "US": "AMER", "CA": "AMER", "MX": "AMER", "BR": "AMER", "AR": "AMER", "JM": "AMER",
        "GB": "EMEA", "DE": "EMEA", "FR": "EMEA", "AE": "EMEA", "IL": "EMEA", "ZA": "EMEA",
        "NG": "EMEA", "RU": "EMEA", "KZ": "EMEA", "XK": "EMEA",
        "JP": "APAC", "CN": "APAC", "IN": "APAC", "SG": "APAC", "AU": "APAC", "NZ": "APAC",
    }  # fmt: skip
    assert {code: mapping[code] for code in expected} == expected

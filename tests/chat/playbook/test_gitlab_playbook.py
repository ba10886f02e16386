"""The GitLab playbook (core/src/handoff/chat/playbooks/gitlab.toml) through the real validators.

One visitor per Q3 branch, and the fallbacks, routed with the shipped rules.
"""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from typing import Any

import pytest

from handoff.chat.flow import CHAT
from handoff.chat.playbooks import load_playbook, playbook_path
from handoff.chat.routing.availability import AvailabilitySnapshot
from handoff.chat.routing.config import RoutingConfig
from handoff.chat.routing.engine import RoutingDecision, route
from handoff.config import load_config
from handoff.rules import MemoryRotation
from handoff_sdk.entities import ExperienceMode, RepStatus

# Monday 16:00 UTC: 11:00 in New York, 08:00 in Los Angeles, 17:00 in Paris/Berlin, 01:00 in Tokyo.
NOW = datetime(2026, 1, 5, 16, 0, tzinfo=UTC)
PLAYBOOK = load_playbook("gitlab")


def snapshot(**statuses: str) -> AvailabilitySnapshot:
    """Every human online unless named (rep_id with '_' for '-') -> status."""
    found = {r.id: RepStatus.ONLINE for r in PLAYBOOK.routing.reps if not r.is_ai}
    found.update({k.replace("_", "-"): RepStatus(v) for k, v in statuses.items()})
    return AvailabilitySnapshot(now=NOW, statuses=found)


def experience(page: str) -> dict[str, Any]:
    """Q9: the live experience of a page, as the routing context carries it."""
    exp = PLAYBOOK.experiences.live_for_page(page, {})
    assert exp is not None
    return exp.model_dump(mode="json")


def decide(
    context: dict[str, Any],
    snap: AvailabilitySnapshot | None = None,
    config: RoutingConfig | None = None,
) -> RoutingDecision:
    """The visitor asked for a human (the AI-first experiences hand off, Q4)."""
    ctx = {"request": {"human": True}, **context}
    ctx.setdefault("experience", experience(ctx.get("visitor", {}).get("page_url", "/")))
    return route(ctx, config or PLAYBOOK.routing, snap or snapshot(), MemoryRotation())


def test_playbook_loads_through_the_validators_and_the_include() -> None:
    assert PLAYBOOK.routing.ai_rep == "ai-rep"
    assert [r.rule_ids[0] for r in PLAYBOOK.routing.rules] == ["Q3a", "Q3b", "Q3c", "Q3d", "Q3e"]
    assert {t.geo for t in PLAYBOOK.routing.teams if t.geo} == {"AMER", "EMEA", "APAC"}
    assert {t.language for t in PLAYBOOK.routing.teams if t.language} == {"fr", "de", "ja"}
    # Q8: every experience has its twin, AI and traditional.
    catalog = PLAYBOOK.experiences
    assert len(catalog.ai()) == 5  # EN site, EN pricing, FR, DE, JA
    assert all(e.twin is not None for e in catalog.experiences.values())


def test_playbook_is_usable_with_routing_include(tmp_path: Any) -> None:
    config_file = tmp_path / "handoff.toml"
    config_file.write_text(f'[routing]\ninclude = "{playbook_path("gitlab").as_posix()}"\n')
    routing = CHAT.settings_of(load_config(config_file, required=True)).routing
    assert routing is not None
    assert [r.id for r in routing.rules] == [r.id for r in PLAYBOOK.routing.rules]


def test_playbook_every_experience_table_is_valid_toml_with_known_keys() -> None:
    data = tomllib.loads(playbook_path("gitlab").read_text())
    assert set(data) == {"routing", "experiences"}


def test_q4_q9_experiences_follow_the_page_path_and_are_ai_first_today() -> None:
    assert experience("https://about.example.test/fr-fr/")["language"] == "fr"
    assert experience("https://about.example.test/de-de/pricing/")["id"] == "de-site-ai"
    assert experience("https://about.example.test/ja-jp/")["id"] == "ja-site-ai"
    pricing = experience("https://about.example.test/pricing/")
    assert pricing["id"] == "en-pricing-ai"
    assert pricing["mode"] == "ai_first"
    # Q4 (001): without a request for a human, the AI rep answers.
    decision = route(
        {"visitor": {"id": "v"}, "experience": pricing},
        PLAYBOOK.routing,
        snapshot(),
        MemoryRotation(),
    )
    assert decision.is_ai
    assert decision.mode is ExperienceMode.AI_FIRST


def test_q3a_actively_sequenced_goes_to_the_sequencing_rep() -> None:
    decision = decide(
        {
            "visitor": {"id": "v-a", "email": "kim@initech.example"},
            "person": {"type": "lead", "email": "kim@initech.example"},
            "sequence": {
                "active": True,
                "state": "active",
                "owner_email": "Jordan.Diaz@example.test",
            },
            "account": {"status": "Actively Working", "bdr_assigned_id": "005Hd0000000201AAA"},
        }
    )
    assert decision.rep_id == "sdr-jordan"
    assert decision.rule_ids == ["Q3a", "Q4"]


def test_q3a_fallback_sequencing_rep_offline_goes_to_geo_pool() -> None:
    decision = decide(
        {
            "visitor": {"id": "v-a2", "geo": "EMEA"},
            "person": {"type": "contact", "email": "x@initech.example"},
            "sequence": {"active": True, "owner_email": "jordan.diaz@example.test"},
        },
        snapshot(sdr_jordan="offline"),
    )
    assert decision.rep_id in {"sdr-camille", "sdr-lukas"}
    assert decision.explanation["counterfactual"]["rep"] == "sdr-jordan"


def test_q3b_us_pubsec_goes_to_bdr_assigned_else_pubsec_round_robin() -> None:
    account = {"sector": "US Public Sector", "bdr_assigned_id": "005Hd0000000202AAA", "geo": "AMER"}
    assert decide({"visitor": {"id": "v-b"}, "account": account}).rep_id == "pubsec-morgan"
    # No BDR Assigned: round robin over the PubSec team.
    no_bdr = {**account, "bdr_assigned_id": None}
    decision = decide({"visitor": {"id": "v-b2"}, "account": no_bdr})
    assert decision.rep_id == "pubsec-morgan"
    assert decision.target == "team:pubsec"
    # The BDR away: the PubSec team, and the counterfactual names the BDR.
    away = decide({"visitor": {"id": "v-b3"}, "account": account}, snapshot(pubsec_morgan="away"))
    assert away.rep_id == "pubsec-riley"
    assert away.rule_ids == ["Q3b", "Q4"]
    assert away.explanation["counterfactual"]["rep"] == "pubsec-morgan"


def test_q3c_actively_working_goes_to_bdr_else_geo_sdr_pool() -> None:
    account = {"status": "Actively Working", "bdr_assigned_id": "005Hd0000000203AAA", "geo": "EMEA"}
    assert decide({"visitor": {"id": "v-c"}, "account": account}).rep_id == "bdr-jonas"
    decision = decide(
        {"visitor": {"id": "v-c2"}, "account": account}, snapshot(bdr_jonas="offline")
    )
    assert decision.rule_ids == ["Q3c", "Q4"]
    assert decision.target == "geo_pool"
    assert decision.rep_id in {"sdr-camille", "sdr-lukas"}
    rules = [(r["rule"], r["matched"]) for r in decision.explanation["rules"]]
    assert rules == [
        ("actively-sequenced", False),
        ("us-pubsec", False),
        ("actively-working", True),
    ]


def test_q3d_non_english_experience_goes_to_the_language_team() -> None:
    page = "https://about.example.test/fr-fr/pricing/"
    decision = decide({"visitor": {"id": "v-d", "page_url": page, "geo": "AMER"}})
    assert decision.rule_ids == ["Q3d", "Q9", "Q4"]
    assert decision.rep_id in {"sdr-camille", "sdr-amelie"}
    # Q3d: the Japanese team is asleep at 01:00 in Tokyo -> the APAC pool is too -> waits.
    ja = decide({"visitor": {"id": "v-d2", "page_url": "https://x.example/ja-jp/", "geo": "APAC"}})
    assert ja.rep_id is None
    skipped = {s["rep"]: s["reason"] for s in ja.explanation["skipped"]}
    assert skipped["sdr-haruto"].startswith("outside working hours")


def test_q3d_fallback_language_team_unavailable_goes_to_geo_pool() -> None:
    page = "https://about.example.test/de-de/"
    decision = decide(
        {"visitor": {"id": "v-d3", "page_url": page}, "account": {"geo": "EMEA"}},
        snapshot(sdr_lukas="offline"),
    )
    assert decision.target == "geo_pool"
    assert decision.rep_id == "sdr-camille"


def test_q3e_everyone_else_goes_to_the_geo_pool_account_geo_first() -> None:
    emea = decide({"visitor": {"id": "v-e", "geo": "APAC"}, "account": {"geo": "EMEA"}})
    assert emea.rule_ids == ["Q3e", "Q4"]
    assert emea.rep_id in {"sdr-camille", "sdr-lukas"}
    # No geo known at all: the AMER pool (configured fallback).
    unknown = decide({"visitor": {"id": "v-e2"}})
    assert unknown.target == "team:sdr-amer"
    assert unknown.rep_id in {"sdr-taylor", "sdr-jordan"}


def test_q4_human_first_twin_falls_back_to_the_ai_rep_when_nobody_is_free() -> None:
    """After a rollback (Q8) the traditional twin is live: human first, AI after 30 s."""
    traditional = PLAYBOOK.experiences.experiences["en-site"].entity(True).model_dump(mode="json")
    ctx = {"visitor": {"id": "v-q4", "geo": "AMER"}, "experience": traditional}
    decision = decide(ctx)
    assert decision.mode is ExperienceMode.HUMAN_FIRST
    assert decision.ai_takeover_seconds == 30
    nobody = snapshot(sdr_taylor="offline", sdr_jordan="offline")
    assert decide(ctx, nobody).rep_id == "ai-rep"


@pytest.mark.parametrize("rep", [r for r in PLAYBOOK.routing.reps if not r.is_ai])
def test_every_human_rep_is_reachable_by_a_rule(rep: Any) -> None:
    named = {t.name for t in PLAYBOOK.routing.teams}
    assert rep.ids.get("salesforce") or set(rep.teams) & named

"""Q3a-Q3e and Q4: each rule, each fallback, both modes, language routing, fairness."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from helpers import MONDAY_NOON_UTC, playbook, snapshot  # type: ignore[import-not-found]

from handoff.chat.routing.availability import AvailabilitySnapshot
from handoff.chat.routing.config import load_routing
from handoff.chat.routing.engine import language_from_path, route
from handoff.errors import ConfigFileError
from handoff.rules import MemoryRotation, weighted_sequence
from handoff_sdk.entities import BusySlot, RepStatus

CONFIG = playbook()

SEQUENCED: dict[str, Any] = {
    "visitor": {"id": "v1", "email": "kim@acme.example", "geo": "EMEA"},
    "person": {"type": "lead", "email": "kim@acme.example"},
    "sequence": {"active": True, "owner_email": "SAM@example.test", "state": "active"},
}
PUBSEC: dict[str, Any] = {
    "visitor": {"id": "v2"},
    "account": {"name": "Agency", "sector": "US Public Sector", "bdr_assigned_id": "005PAT"},
}
WORKING: dict[str, Any] = {
    "visitor": {"id": "v3"},
    "account": {
        "name": "Acme",
        "status": "Actively Working",
        "bdr_assigned_id": "005BEA",
        "geo": "EMEA",
    },
}
FRENCH: dict[str, Any] = {
    "visitor": {"id": "v4", "page_url": "https://x.example.test/fr-fr/pricing"}
}
ANYONE: dict[str, Any] = {"visitor": {"id": "v5", "geo": "EMEA"}}


def decide(context: dict[str, Any], snap: AvailabilitySnapshot | None = None, rot: Any = None):  # type: ignore[no-untyped-def]
    return route(context, CONFIG, snap or snapshot(), rot or MemoryRotation())


def test_q3a_actively_sequenced_goes_to_the_sequencing_rep() -> None:
    decision = decide(SEQUENCED)
    assert (decision.rep_id, decision.rule, decision.rule_ids) == (
        "seq-sam",
        "actively-sequenced",
        ["Q3a", "Q4"],
    )
    assert decision.ai_takeover_seconds == 30


def test_q3a_fallback_sequencer_away_goes_to_the_geo_pool_with_counterfactual() -> None:
    decision = decide(SEQUENCED, snapshot(seq_sam="away"))
    assert decision.rep_id in {"sdr-eve", "sdr-emil"}
    assert decision.explanation["counterfactual"] == {
        "rep": "seq-sam",
        "reason": "away",
        "target": "field:sequence.owner_email",
    }
    assert {"rep": "seq-sam", "reason": "away", "target": "field:sequence.owner_email"} in (
        decision.explanation["skipped"]
    )


def test_q3a_not_sequenced_falls_through_with_the_reason() -> None:
    ctx = {**SEQUENCED, "sequence": {"active": False, "owner_email": "sam@example.test"}}
    decision = decide(ctx)
    first = decision.explanation["rules"][0]
    assert (first["rule"], first["matched"]) == ("actively-sequenced", False)
    assert first["why"] == "sequence.active is False, not True"
    assert decision.rule == "everyone-else"


def test_q3b_pubsec_goes_to_the_bdr_assigned() -> None:
    decision = decide(PUBSEC)
    assert (decision.rep_id, decision.rule_ids) == ("pub-pat", ["Q3b", "Q4"])
    reasons = [r["why"] for r in decision.explanation["rules"]]
    assert reasons[0] == "person is absent"


def test_q3b_no_bdr_assigned_round_robins_the_pubsec_team() -> None:
    ctx = {**PUBSEC, "account": {**PUBSEC["account"], "bdr_assigned_id": None}}
    rotation = MemoryRotation()
    picks = [decide(ctx, rot=rotation).rep_id for _ in range(4)]
    assert picks == ["pub-pat", "pub-quinn", "pub-pat", "pub-quinn"]
    targets = decide(ctx).explanation["targets"]
    assert targets[0]["why"] == "account.bdr_assigned_id is empty"


def test_q3b_unknown_bdr_id_falls_back_and_says_so() -> None:
    ctx = {**PUBSEC, "account": {**PUBSEC["account"], "bdr_assigned_id": "005NOBODY"}}
    decision = decide(ctx)
    assert decision.rep_id in {"pub-pat", "pub-quinn"}
    assert "not a rep in routing.reps" in decision.explanation["targets"][0]["why"]


def test_q3c_actively_working_goes_to_the_bdr() -> None:
    decision = decide(WORKING)
    assert (decision.rep_id, decision.rule_ids[0]) == ("bdr-bea", "Q3c")
    assert decision.explanation["counterfactual"] is None


def test_q3c_bdr_unavailable_goes_to_the_geo_pool_of_the_account() -> None:
    busy = snapshot()
    busy.busy["bdr-bea"] = [BusySlot(start=MONDAY_NOON_UTC, end=MONDAY_NOON_UTC.replace(hour=13))]
    decision = decide(WORKING, busy)
    assert decision.rep_id in {"sdr-eve", "sdr-emil"}
    cf = decision.explanation["counterfactual"]
    assert cf["rep"] == "bdr-bea"
    assert cf["reason"].startswith("busy (calendar) until 2026-01-05T13:00")


def test_q3d_french_page_goes_to_the_french_team() -> None:
    decision = decide(FRENCH)
    assert (decision.rep_id, decision.rule_ids[0]) == ("sdr-fleur", "Q3d")
    assert decision.explanation["language"] == "fr"


def test_q3d_german_experience_goes_to_the_german_speaker() -> None:
    ctx = {"visitor": {"id": "v6", "geo": "AMER"}, "experience": {"language": "de"}}
    assert decide(ctx).rep_id == "sdr-emil"


def test_q3d_language_team_offline_falls_back_to_the_geo_pool() -> None:
    ctx = {**FRENCH, "visitor": {**FRENCH["visitor"], "geo": "EMEA"}}
    decision = decide(ctx, snapshot(sdr_fleur="offline"))
    assert decision.rep_id in {"sdr-eve", "sdr-emil"}
    assert decision.explanation["counterfactual"]["rep"] == "sdr-fleur"


def test_q3d_language_without_a_team_falls_back() -> None:
    ctx = {"visitor": {"id": "v7", "geo": "AMER"}, "experience": {"language": "ja"}}
    decision = decide(ctx)
    assert decision.explanation["targets"][0]["why"] == "no team for language 'ja'"
    assert decision.rep_id in {"sdr-amy", "seq-sam"}


def test_q3e_geo_pool_of_the_account_before_the_visitor() -> None:
    ctx = {"visitor": {"id": "v8", "geo": "AMER"}, "account": {"name": "X", "geo": "EMEA"}}
    decision = decide(ctx)
    assert (decision.rule_ids[0], decision.explanation["geo"]) == ("Q3e", "EMEA")
    assert decision.rep_id in {"sdr-eve", "sdr-emil"}
    assert [r["matched"] for r in decision.explanation["rules"]] == [False] * 4 + [True]


def test_q3e_unknown_geo_uses_the_fallback_team() -> None:
    decision = decide({"visitor": {"id": "v9"}})
    assert decision.explanation["targets"][0]["why"] == "no team for geo None"
    assert decision.target == "team:sdr-amer"


def test_q3e_outside_working_hours_is_a_skip_reason() -> None:
    evening = snapshot()
    evening.now = MONDAY_NOON_UTC.replace(hour=19)  # 20:00 in Paris
    decision = decide(ANYONE, evening)
    assert decision.rep_id == "sdr-emil"
    reasons = {s["rep"]: s["reason"] for s in decision.explanation["skipped"]}
    if "sdr-eve" in reasons:
        assert reasons["sdr-eve"].startswith("outside working hours (mon-fri 09:00-18:00")


def test_q3_rep_going_offline_between_two_decisions() -> None:
    rotation = MemoryRotation()
    first = decide(ANYONE, snapshot(), rotation)
    went = first.rep_id
    assert went in {"sdr-eve", "sdr-emil"}
    after = snapshot(**{went.replace("-", "_"): "offline"})  # type: ignore[union-attr]
    for _ in range(3):
        again = decide(ANYONE, after, rotation)
        assert again.rep_id not in {went, None}
        assert again.rep_id in {"sdr-eve", "sdr-emil"}


def test_q4_human_first_nobody_available_gives_the_ai_now() -> None:
    none = snapshot(**dict.fromkeys(["bdr_bea", "sdr_eve", "sdr_emil"], "offline"))
    decision = decide(WORKING, none)
    assert (decision.rep_id, decision.is_ai, decision.ai_takeover_seconds) == ("ai", True, None)
    assert any("no human available" in n for n in decision.explanation["notes"])
    assert decision.explanation["counterfactual"]["rep"] == "bdr-bea"


def test_q4_human_first_takeover_seconds_from_the_experience() -> None:
    ctx = {**WORKING, "experience": {"mode": "human_first", "ai_takeover_seconds": 45}}
    assert decide(ctx).ai_takeover_seconds == 45


def test_q4_ai_first_answers_with_the_ai_and_moves_no_cursor() -> None:
    rotation = MemoryRotation()
    decision = decide({**ANYONE, "experience": {"mode": "ai_first"}}, rot=rotation)
    assert (decision.rep_id, decision.is_ai, decision.ai_takeover_seconds) == ("ai", True, None)
    assert rotation.positions == {}


def test_q4_ai_first_handoff_routes_a_human_without_the_ai_target() -> None:
    ctx = {**WORKING, "experience": {"mode": "ai_first"}, "request": {"human": True}}
    assert decide(ctx).rep_id == "bdr-bea"
    none = snapshot(**dict.fromkeys(["bdr_bea", "sdr_eve", "sdr_emil"], "offline"))
    waiting = decide(ctx, none)
    assert (waiting.rep_id, waiting.ai_takeover_seconds) == (None, None)
    assert any("unrouted" in n for n in waiting.explanation["notes"])


def test_q3_weighted_round_robin_is_fair_and_respects_daily_caps() -> None:
    assert weighted_sequence(CONFIG.team_members("sdr-amer")) == ("sdr-amy", "seq-sam", "sdr-amy")
    ctx = {"visitor": {"id": "v", "geo": "AMER"}}
    rotation = MemoryRotation()
    snap = snapshot()
    counts: Counter[str] = Counter()
    for _ in range(9):
        rep = decide(ctx, snap, rotation).rep_id
        assert rep is not None
        counts[rep] += 1
    assert counts == {"sdr-amy": 6, "seq-sam": 3}
    snap.routed_today["sdr-amy"] = 3  # daily_cap = 3
    capped = decide(ctx, snap, rotation)
    assert capped.rep_id == "seq-sam"
    skipped = {s["rep"]: s["reason"] for s in capped.explanation["skipped"]}
    assert skipped.get("sdr-amy", "capped (3/3 today)") == "capped (3/3 today)"


def test_q9_language_from_the_page_path() -> None:
    assert language_from_path("https://x.example.test/fr-fr/pricing") == "fr"
    assert language_from_path("https://x.example.test/ja-jp/") == "ja"
    assert language_from_path("https://x.example.test/pricing") is None
    assert language_from_path(None) is None


def test_q3_explain_lines_are_readable() -> None:
    decision = decide(WORKING, snapshot(bdr_bea="away"))
    text = "\n".join(decision.lines())
    assert "no    rule actively-sequenced (Q3a): person is absent" in text
    assert "MATCH rule actively-working (Q3c)" in text
    assert "skipped bdr-bea: away" in text
    assert "had bdr-bea been available (away)" in text


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            {"rules": [{"id": "r", "target": "boss"}]},
            "routing.rules[0].target: unknown target 'boss'",
        ),
        ({"rules": [{"id": "r", "target": "team:nope"}]}, "rules[0].target: no team named 'nope'"),
        (
            {"rules": [{"id": "r", "target": "ai"}]},
            "rules[0].target: 'ai' needs routing.ai_rep",
        ),
        (
            {"rules": [{"id": "r", "target": "geo_pool", "when": {"field": "a", "like": "x"}}]},
            "unknown operator 'like'",
        ),
        (
            {"rules": [{"id": "r", "target": "geo_pool", "when": {"all": []}}]},
            "when.all: expected a non-empty list",
        ),
        ({"reps": [{"id": "a", "name": "A", "timezone": "Nowhere/X"}]}, "unknown IANA time zone"),
        (
            {"reps": [{"id": "a", "name": "A", "colour": "red"}]},
            "routing.reps[0].colour: unknown key",
        ),
        (
            {"teams": [{"name": "t", "members": ["ghost"]}]},
            "teams[0].members: no rep with id 'ghost'",
        ),
    ],
)
def test_q3_config_errors_name_the_field(table: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigFileError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_routing(table)


def test_q3_include_merges_another_file(tmp_path: Any) -> None:
    (tmp_path / "more.toml").write_text(
        '[routing]\n[[routing.reps]]\nid = "x"\nname = "X"\nteams = ["t"]\n'
        '[[routing.teams]]\nname = "t"\n'
    )
    config = load_routing(
        {"include": "more.toml", "rules": [{"id": "r", "target": "team:t"}]},
        tmp_path / "handoff.toml",
    )
    snap = AvailabilitySnapshot(now=MONDAY_NOON_UTC, statuses={"x": RepStatus.ONLINE})
    assert route({}, config, snap, MemoryRotation()).rep_id == "x"
    with pytest.raises(ConfigFileError, match=r"routing\.include: .*missing\.toml cannot be read"):
        load_routing({"include": "missing.toml"}, tmp_path / "handoff.toml")


AI_IN_THE_TEAM = load_routing(
    {
        "ai_rep": "ai",
        "reps": [
            {"id": "ai", "name": "Assistant", "is_ai": True},
            {"id": "hana", "name": "Hana"},
        ],
        "teams": [{"name": "desk", "members": ["ai", "hana"]}],
        "rules": [{"id": "all", "target": "team:desk", "fallbacks": ["ai"]}],
    }
)


def test_q4_ai_first_a_visitor_who_asked_for_a_human_never_gets_the_ai_rep() -> None:
    """Found by mutation testing: with the AI rep in the team and as a fallback, a mutant
    that let it through after the visitor asked for a human survived the suite."""
    asked = {
        "visitor": {"id": "v9"},
        "experience": {"mode": "ai_first"},
        "request": {"human": True},
    }
    hana_in = AvailabilitySnapshot(now=MONDAY_NOON_UTC, statuses={"hana": RepStatus.ONLINE})
    hana_out = AvailabilitySnapshot(now=MONDAY_NOON_UTC, statuses={"hana": RepStatus.AWAY})
    for n in range(4):  # every turn of the rotation: the AI is never the pick
        assert (
            route(asked, AI_IN_THE_TEAM, hana_in, MemoryRotation({"rr:desk": n})).rep_id == "hana"
        )
    waiting = route(asked, AI_IN_THE_TEAM, hana_out, MemoryRotation())
    assert (waiting.rep_id, waiting.is_ai) == (None, False)
    targets = waiting.explanation["targets"]
    assert targets[-1]["target"] == "ai"
    assert "the visitor asked for a human" in targets[-1]["why"]
    not_asked = {**asked, "request": {"human": False}}
    assert route(not_asked, AI_IN_THE_TEAM, hana_in, MemoryRotation()).rep_id == "ai"
    human_first = {"visitor": {"id": "v9"}}
    assert route(human_first, AI_IN_THE_TEAM, hana_out, MemoryRotation()).rep_id == "ai"

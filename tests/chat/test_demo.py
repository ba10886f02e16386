"""`make demo`: visitors posted to the hub, identified (Q1) and their chats routed (Q3, Q4, Q9).

The demo runs the GitLab playbook on a frozen Tuesday 15:00 UTC; the routing
outcomes below follow from its rules, the presence the demo sets and each
rep's working hours at that instant.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from handoff.chat.demo import DEMO_NOW, DEMO_PRESENCE, demo_visitors
from handoff.chat.playbooks import load_playbook
from handoff.demo import FrozenClock, run_demo
from handoff.errors import HandoffError
from handoff.runtime import decisions_about
from handoff.store import Decision, Store
from handoff_sdk.entities import RepStatus

CASSETTES = Path(__file__).resolve().parents[2] / "cassettes"

EXPECTED_ROUTES = {
    # conversation: (rep, rules, target)
    "c-v-1001": ("bdr-avery", ["Q3c", "Q4"], "field:account.bdr_assigned_id"),
    "c-v-1002": ("pubsec-morgan", ["Q3b", "Q4"], "field:account.bdr_assigned_id"),
    "c-v-1003": ("sdr-lukas", ["Q3d", "Q9", "Q4"], "language_team"),
    "c-v-1004": (None, ["Q3d", "Q9", "Q4"], None),
    "c-v-1005": ("sdr-taylor", ["Q3e", "Q4"], "team:sdr-amer"),
    "c-v-1006": ("sdr-taylor", ["Q3e", "Q4"], "geo_pool"),
}


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int], str]:
    """One run of the demo, shared by the tests below (it takes a few seconds)."""
    workdir = tmp_path_factory.mktemp("demo")
    lines: list[str] = []
    summary = run_demo(CASSETTES, workdir=workdir, echo=lines.append)["chat"]
    return workdir, summary, "\n".join(lines)


def test_q1_demo_runs_the_main_job_on_sqlite(demo_run: tuple[Path, dict[str, int], str]) -> None:
    workdir, summary, text = demo_run
    assert summary == {"visitors": 6, "enriched": 5, "matched": 4, "routed": 5, "unrouted": 1}
    first = text.splitlines()[0]
    assert "replaying recorded API conversations" in first
    assert "No credentials, no network" in first
    assert "(worker in the same process)" in text
    assert text.count("-> 202, stored as event") == 12
    assert "=> account Northwind Traders (Actively Working)" in text
    assert "=> account Contoso Public Sector Agency (US Public Sector)" in text
    assert "=> Tailspin Toys: not in the CRM yet" in text
    assert "6sense: no company for IP 198.51.100.55" in text
    assert "email domain adventure-works.example matches account Adventure Works" in text
    # 5 Q1 lookups + 1 miss on 6sense; token + 5 matches, then v-1006's chat: match + Contact
    assert "14 recorded HTTP exchanges replayed" in text
    # the decisions survive in the SQLite store, for `handoff explain`
    store = Store(f"sqlite:///{workdir / 'demo.sqlite3'}")
    with store.sessions() as session:
        _events, decisions = decisions_about(session, "visitor:v-1001")
        assert [d.rule_ids for d in decisions] == [["Q1"]]
        assert decisions[0].outcome["account_status"] == "Actively Working"
        _events, decisions = decisions_about(session, "conversation:c-v-1001")
        assert [d.kind for d in decisions] == ["routing"]
    store.dispose()


def test_q3_demo_routes_each_visitor_by_the_gitlab_playbook(
    demo_run: tuple[Path, dict[str, int], str],
) -> None:
    workdir, _summary, _text = demo_run
    store = Store(f"sqlite:///{workdir / 'demo.sqlite3'}")
    with store.sessions() as session:
        routed = session.scalars(
            select(Decision)
            .where(Decision.kind == "routing", Decision.subject_id.like("c-v-%"))
            .order_by(Decision.id)
        ).all()  # the chat part's; the AI part hands one conversation over too (Q5)
    store.dispose()
    got = {d.subject_id: (d.outcome["rep"], d.rule_ids, d.outcome["target"]) for d in routed}
    assert got == EXPECTED_ROUTES
    # Q4: every live experience is an AI twin (AI-first); each visitor asked for a human
    assert {d.outcome["mode"] for d in routed} == {"ai_first"}
    assert all(d.outcome["ai"] is False for d in routed)
    assert [d.decided_at.replace(tzinfo=UTC) for d in routed] == [DEMO_NOW] * 6


def test_q3_demo_prints_each_decision_with_its_explanation(
    demo_run: tuple[Path, dict[str, int], str],
) -> None:
    _workdir, _summary, text = demo_run
    blocks = {b.split("\n", 1)[0].split()[0]: b for b in text.split("\nvisitor ")[1:]}
    assert list(blocks) == [f"v-100{i}" for i in range(1, 7)]
    # Q1 first, then the routing; the chat's context reuses the stored identification
    v1001 = blocks["v-1001"]
    assert v1001.index("Q1 identify (decision 1)") < v1001.index("Q3/Q4 route c-v-1001")
    assert "from the visitor's Q1 identification (decision 1): account Northwind" in v1001
    # the matched rule, and each rule above it with why it did not match
    assert "no    rule actively-sequenced (Q3a): person is absent" in v1001
    assert "no    rule us-pubsec (Q3b): account.sector is missing" in v1001
    assert "MATCH rule actively-working (Q3c): account.status is 'Actively Working'" in v1001
    assert "-> Avery Stone (BDR, AMER) (bdr-avery)" in v1001
    # Q3d/Q9: language from the experience; the Japanese rep is asleep, nobody else speaks it.
    # Q3e: no account, so the geo comes from the country 6sense gives (JP): the APAC pool is
    # tried, but at midnight in Tokyo with its other member away nobody there is free either.
    v1004 = blocks["v-1004"]
    assert "geo APAC (from firmographics.country_code JP), language ja" in v1004
    assert "skipped sdr-haruto: outside working hours (mon-fri 09:00-18:00 Asia/Tokyo)" in v1004
    assert "target geo_pool: nobody - round robin over sdr-apac (geo APAC): nobody" in v1004
    assert "skipped sdr-olivia: away" in v1004
    assert "had sdr-haruto been available" in v1004
    assert "-> nobody (unrouted)" in v1004
    assert "the chat waits unrouted" in v1004
    # Q3e: the AMER pool's round robin skips the rep before their hours: the counterfactual
    v1006 = blocks["v-1006"]
    assert "salesforce: ana@adventure-works.example is a contact" in v1006
    assert "6sense: no company (no IP to look up)" in v1006
    assert "skipped sdr-jordan: outside working hours" in v1006
    assert "had sdr-jordan been available" in v1006
    assert "MATCH rule everyone-else (Q3e)" in v1006


def test_demo_presence_names_only_the_playbooks_human_reps() -> None:
    playbook = load_playbook("gitlab")
    humans = {r.id for r in playbook.routing.reps if not r.is_ai}
    assert set(DEMO_PRESENCE) == humans
    assert DEMO_PRESENCE["pubsec-riley"] is RepStatus.OFFLINE


async def test_frozen_clock_keeps_now_and_really_waits() -> None:
    clock = FrozenClock(datetime(2026, 1, 6, 15, 0, tzinfo=UTC))
    start = clock.monotonic()
    await clock.sleep(0.02)
    assert clock.monotonic() - start >= 0.02
    assert clock.now() == datetime(2026, 1, 6, 15, 0, tzinfo=UTC)
    assert DEMO_NOW.weekday() == 1  # a Tuesday: working hours apply


def test_demo_visitors_are_valid_entities() -> None:
    visitors = demo_visitors()
    assert [v.id for v in visitors] == [f"v-100{i}" for i in range(1, 7)]


def test_demo_without_cassettes_says_where_to_run_it(tmp_path: Path) -> None:
    with pytest.raises(HandoffError, match="run `make demo` from the repository root"):
        run_demo(tmp_path / "nowhere", workdir=tmp_path, echo=lambda line: None)

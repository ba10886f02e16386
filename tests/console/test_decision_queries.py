"""The Decisions and Misroutes pages read through indexes; what they show stays the same.

- A decision's page lists the Q19 flags of that decision only (read on the
  decision's subject, not by a scan of every event's key).
- A rep's own decisions (`rep_owned`) are looked up per subject type: a
  decision given to the rep about `lead:x` does not make `visitor:x` theirs.
- A bare id is looked up under each subject type and source (an index
  search each), finding what it found when it scanned every row.
- The Misroutes queue reads the flagged decisions in one query, missing ones
  said as missing.
"""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from console_kit import sign_in  # type: ignore[import-not-found]
from fastapi import FastAPI
from ops_kit import ROUTING, routed  # type: ignore[import-not-found]

from handoff.chat.conversations import flag_misrouted, list_misroutes
from handoff.config import HubConfig
from handoff.console.decisions import rep_owned
from handoff.console.users import UserInfo
from handoff.runtime import DecisionSpec, record_decision, record_events
from handoff.runtime.explain import explain_ref
from handoff.server import create_app
from handoff.store import EventRecord, Store
from handoff_sdk import FakeClock
from handoff_sdk.entities import Event


@pytest.fixture
async def app(store: Store, clock: FakeClock) -> AsyncIterator[FastAPI]:
    """The hub's app with two reps in [routing]."""
    built = create_app(store, config=HubConfig(routing=ROUTING), clock=clock)
    yield built
    await built.state.intake.aclose()


def text_of(answer: httpx.Response) -> str:
    """The page's main part as text: no tags, unescaped."""
    return html.unescape(re.sub(r"<[^>]+>", "", answer.text.split("<main", 1)[-1]))


def decide(store: Store, clock: FakeClock, subject: str, outcome: dict[str, object]) -> int:
    """A decision about `subject` ('type:id') with `outcome`."""
    kind, _, ident = subject.partition(":")
    with store.transaction() as session:
        return record_decision(
            session,
            DecisionSpec(
                kind="test",
                subject_type=kind,
                subject_id=ident,
                outcome=outcome,
                explanation={},
                rule_ids=(),
            ),
            now=clock.now(),
        )


def flag(store: Store, clock: FakeClock, decision: int, rep: str, reason: str) -> None:
    """A Q19 flag, as the console and the API store it."""
    with store.transaction() as session:
        assert flag_misrouted(session, decision, rep, reason, now=clock.now()) is not None


async def test_q19_a_decisions_page_lists_its_own_flags_only(
    store: Store,
    clock: FakeClock,
    console_client: httpx.AsyncClient,
    console_user: Callable[..., UserInfo],
) -> None:
    first = routed(store, clock, "c-1", "ana")
    again = routed(store, clock, "c-1", "bo")  # the same conversation, routed again
    other = routed(store, clock, "c-2", "ana")
    for n in range(9):  # ids past 10: 'misroute:1:' is not a prefix of 'misroute:13:'
        routed(store, clock, f"c-fill-{n}", "bo")
    tenth = routed(store, clock, "c-10", "ana")
    flag(store, clock, first, "ana", "first reason")
    flag(store, clock, first, "bo", "second reason")
    flag(store, clock, again, "bo", "the rerouting was wrong too")
    flag(store, clock, other, "ana", "another conversation")
    flag(store, clock, tenth, "ana", "a longer id")
    console_user("olga", "ops")
    await sign_in(console_client, "olga")
    page = text_of(await console_client.get(f"/console/decisions/{first}"))
    assert f"misroute:{first}:ana" in page
    assert f"misroute:{first}:bo" in page
    assert "misroute:" not in page.replace(f"misroute:{first}:", "")
    with store.sessions() as session:
        keys = [e["dedupe_key"] for e in explain_ref(session, f"decision:{tenth}")["events"]]
        assert keys == [f"misroute:{tenth}:ana"]
        # A decision id that was never stored: no flag, no error.
        assert explain_ref(session, "decision:99999")["events"] == []


def test_a_reps_own_work_is_matched_by_subject_type_and_id(store: Store, clock: FakeClock) -> None:
    scored = decide(store, clock, "lead:x", {"score": 40})
    decide(store, clock, "lead:x", {"owner": {"rep": "ana"}})  # the lead given to ana
    seen = decide(store, clock, "visitor:x", {"account": "Acme"})  # same id, another type
    decide(store, clock, "ticket:y", {"rep": "bo"})
    asked = decide(store, clock, "ticket:y", {"priority": "p2"})
    with store.sessions() as session:
        report = explain_ref(session, "x")["decisions"] + explain_ref(session, "y")["decisions"]
        shown = [d for d in report if d["id"] in (scored, seen, asked)]
        assert rep_owned(session, "ana", shown) == {scored}
        assert rep_owned(session, "bo", shown) == {asked}


def test_the_misroutes_queue_reads_every_flagged_decision(store: Store, clock: FakeClock) -> None:
    decisions = [routed(store, clock, f"c-{n}", "ana") for n in range(3)]
    for n, decision in enumerate(decisions):
        flag(store, clock, decision, "ana", f"reason {n}")
    flag(store, clock, decisions[0], "bo", "bo too")
    with store.transaction() as session:
        from handoff.store import Decision  # noqa: PLC0415 - the row removed under the flag

        session.delete(session.get(Decision, decisions[1]))
    with store.sessions() as session:
        queue = list_misroutes(session)
        only = list_misroutes(session, decision_ids=[decisions[2]])
    assert [(f["rep"], f["reason"]) for f in queue] == [
        ("ana", "reason 0"),
        ("ana", "reason 1"),
        ("ana", "reason 2"),
        ("bo", "bo too"),
    ]
    assert [f["decision"]["id"] for f in queue] == [*decisions, decisions[0]]
    assert queue[1]["decision"] == {"id": decisions[1], "missing": True}
    assert queue[0]["decision"]["subject"] == "conversation:c-0"
    assert [f["reason"] for f in only] == ["reason 2"]


async def test_a_bare_id_finds_it_under_every_subject_type_and_source(
    store: Store,
    clock: FakeClock,
    console_client: httpx.AsyncClient,
    console_user: Callable[..., UserInfo],
) -> None:
    lead = decide(store, clock, "lead:k-7", {"score": 1})
    ticket = decide(store, clock, "ticket:k-7", {"priority": "p1"})
    decide(store, clock, "ticket:k-70", {"priority": "p2"})  # another id: not found
    with store.transaction() as session:
        record_events(
            session,
            [
                Event(
                    type="hub.page_view",
                    source="hub",
                    dedupe_key="hub.page_view:k-7",  # what the API stores for a sender's id
                    payload={"visitor_id": "v"},
                ),
                Event(type="crm.update", source="crm", dedupe_key="k-7", payload={}),
                Event(
                    type="crm.update",
                    source="crm",
                    dedupe_key="u-1",
                    payload={"subject": {"type": "account", "id": "k-7"}},
                ),
                Event(type="crm.update", source="crm", dedupe_key="u-2", payload={}),
            ],
            now=clock.now(),
        )
        untyped = EventRecord(
            source="crm",
            dedupe_key="u-3",
            type="crm.update",
            received_at=clock.now(),
            payload={},
            subject_id="k-7",  # an id without its type, as an older row may hold one
        )
        session.add(untyped)
    with store.sessions() as session:
        report = explain_ref(session, "k-7")
    assert [d["id"] for d in report["decisions"]] == [lead, ticket]
    assert [e["dedupe_key"] for e in report["events"]] == [
        "hub.page_view:k-7",
        "k-7",
        "u-1",
        "u-3",
    ]
    console_user("olga", "ops")
    await sign_in(console_client, "olga")
    page = text_of(await console_client.get("/console/decisions?id=k-7"))
    assert f"Decision {lead}" in page
    assert f"Decision {ticket}" in page

"""The Rep Performance Dashboard over HTTP (Q15): figures that match the seeded activity,
a rep sees only their own, a range that cannot be read is refused naming the field.

The activity is seeded through the public API (page views, engagements, chat requests,
conversation events, rep status) and the hub's own conversation events, as in production;
the page must show exactly what `rep_metrics` (GET /v1/metrics/reps) computes from it.
"""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from console_kit import sign_in  # type: ignore[import-not-found]
from fastapi import FastAPI
from keyed import key_headers  # type: ignore[import-not-found]

from handoff.chat.conversations import record_conversation_event
from handoff.config import HubConfig
from handoff.console.users import UserInfo
from handoff.runtime import DecisionSpec, record_decision
from handoff.server import create_app
from handoff.store import Store
from handoff_sdk import FakeClock

ROUTING = {
    "reps": [
        {"id": "ana", "name": "Ana", "teams": ["emea"], "timezone": "Europe/Paris"},
        {"id": "bo", "name": "Bo", "teams": ["emea"]},
        {"id": "cy", "name": "Cy", "teams": ["emea"]},
    ],
    "teams": [{"name": "emea", "members": ["ana", "bo", "cy"]}],
}


@pytest.fixture
async def app(store: Store, clock: FakeClock) -> AsyncIterator[FastAPI]:
    """The hub's app with three reps in [routing]."""
    built = create_app(store, config=HubConfig(routing=ROUTING), clock=clock)
    yield built
    await built.state.intake.aclose()


def identify(store: Store, clock: FakeClock, visitor: str, rep: str) -> None:
    """A Q1 identify decision: the visitor's account is Actively Working, assigned to `rep`."""
    with store.transaction() as session:
        record_decision(
            session,
            DecisionSpec(
                kind="identify",
                subject_type="visitor",
                subject_id=visitor,
                outcome={
                    "account": f"Account of {visitor}",
                    "account_ids": {"sf": visitor},
                    "account_status": "Actively Working",
                    "bdr_assigned_id": rep,
                },
                explanation={"steps": []},
                rule_ids=("Q1",),
            ),
            now=clock.now(),
        )


async def seed_activity(app: FastAPI, store: Store, clock: FakeClock) -> None:
    """Monday 2026-01-05 from 09:00 UTC; at the end the clock reads 12:00 UTC.

    - ana: 2 pounce sessions (v-a seen at 09:00 and 09:50), 1 pounce the visitor
      answered; waited 3 (c1 joined, c2 timed out, c4 ended unanswered); 1 meeting;
      online 09:00-10:30 UTC.
    - bo: 1 pounce session (v-b); waited 2 (c2 joined after ana, c3 handed to the AI);
      online 09:00-09:15 UTC.
    - cy: nothing at all.
    """
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://hub.test",
        headers=key_headers(store),
    ) as api:

        async def ok(method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
            answer = await api.request(method, path, json=body)
            assert answer.status_code < 300, (path, answer.text)
            found: dict[str, Any] = answer.json()
            return found

        await ok("PUT", "/v1/reps/ana/status", {"status": "online"})
        await ok("PUT", "/v1/reps/bo/status", {"status": "online"})
        identify(store, clock, "v-a", "ana")
        identify(store, clock, "v-b", "bo")
        await ok(
            "POST", "/v1/page-views", {"id": "pv1", "visitor_id": "v-a", "url": "https://s.test/"}
        )
        await ok(
            "POST", "/v1/page-views", {"id": "pv2", "visitor_id": "v-b", "url": "https://s.test/"}
        )
        engaged = await ok("POST", "/v1/live-visitors/v-a/engage", {"rep": "ana", "id": "p1"})
        await ok(
            "POST",
            "/v1/conversation-events",
            {
                "id": "m1",
                "conversation_id": engaged["conversation_id"],
                "kind": "message",
                "text": "hi",
            },
        )
        # c1: ana joins, a meeting is booked.
        await ok(
            "POST", "/v1/chat-requests", {"id": "r1", "conversation_id": "c1", "visitor_id": "v1"}
        )
        with store.transaction() as session:
            record_conversation_event(session, "c1", "routed", rep_id="ana", now=clock.now())
        clock.advance(5)
        await ok(
            "POST",
            "/v1/conversation-events",
            {"id": "e1", "conversation_id": "c1", "kind": "rep_joined", "rep_id": "ana"},
        )
        with store.transaction() as session:
            record_conversation_event(
                session, "c1", "meeting_booked", rep_id="ana", now=clock.now()
            )
        # c2: ana times out, bo joins.
        with store.transaction() as session:
            record_conversation_event(session, "c2", "routed", rep_id="ana", now=clock.now())
            clock.advance(30)
            record_conversation_event(session, "c2", "timed_out", rep_id="ana", now=clock.now())
            record_conversation_event(session, "c2", "routed", rep_id="bo", now=clock.now())
        clock.advance(5)
        await ok(
            "POST",
            "/v1/conversation-events",
            {"id": "e2", "conversation_id": "c2", "kind": "rep_joined", "rep_id": "bo"},
        )
        # c3: routed to bo, handed to the AI; c4: routed to ana, the visitor leaves.
        with store.transaction() as session:
            record_conversation_event(session, "c3", "routed", rep_id="bo", now=clock.now())
            record_conversation_event(session, "c4", "routed", rep_id="ana", now=clock.now())
        await ok(
            "POST",
            "/v1/conversation-events",
            {"id": "e3", "conversation_id": "c3", "kind": "ai_took_over"},
        )
        await ok(
            "POST",
            "/v1/conversation-events",
            {"id": "e4", "conversation_id": "c4", "kind": "ended"},
        )
        clock.advance(15 * 60 - 40)  # 09:15
        await ok("PUT", "/v1/reps/bo/status", {"status": "offline"})
        clock.advance(35 * 60)  # 09:50: v-a is back, a second session
        await ok(
            "POST", "/v1/page-views", {"id": "pv3", "visitor_id": "v-a", "url": "https://s.test/"}
        )
        clock.advance(40 * 60)  # 10:30
        await ok("PUT", "/v1/reps/ana/status", {"status": "away"})
        clock.advance(90 * 60)  # 12:00


ROW = re.compile(r'<tr id="rep-(?P<rep>[\w-]+)">(?P<cells>.*?)</tr>', re.S)
CELL = re.compile(r'data-label="(?P<label>[^"]+)">(?P<text>.*?)</t[dh]>', re.S)


def figures(page: str) -> dict[str, dict[str, str]]:
    """The per-rep table: rep id -> column label -> the cell's text."""
    found = {}
    for row in ROW.finditer(page):
        found[row["rep"]] = {
            c["label"]: html.unescape(re.sub(r"<[^>]+>", "", c["text"])).strip()
            for c in CELL.finditer(row["cells"])
        }
    return found


def numbers(row: dict[str, str]) -> tuple[str, ...]:
    columns = (
        "Routed for pouncing",
        "Pounces",
        "Successful pounces",
        "Waited",
        "Waited, with a conversation",
        "Waited, none",
        "Meetings booked",
        "Available",
    )
    return tuple(row[c] for c in columns)


async def test_q15_dashboard_shows_each_rep_and_the_team_exactly_as_seeded(
    app: FastAPI,
    store: Store,
    clock: FakeClock,
    console_client: httpx.AsyncClient,
    console_user: Callable[..., UserInfo],
) -> None:
    """Q15: every metric per rep and the team totals, for ops; the same as GET /v1/metrics/reps."""
    await seed_activity(app, store, clock)
    console_user("olga", "ops")
    await sign_in(console_client, "olga")
    page = await console_client.get("/console/performance", params={"range": "today"})
    assert page.status_code == 200, page.text
    rows = figures(page.text)
    assert set(rows) == {"ana", "bo", "cy", "team"}
    assert numbers(rows["ana"]) == ("2", "1", "1", "3", "1", "2", "1", "1 h 30 min")
    assert numbers(rows["bo"]) == ("1", "0", "0", "2", "1", "1", "0", "15 min")
    assert numbers(rows["cy"]) == ("0", "0", "0", "0", "0", "0", "0", "0 min")
    assert numbers(rows["team"]) == ("3", "1", "1", "5", "2", "3", "1", "1 h 45 min")
    assert rows["ana"]["Most available"] == "09:00"  # UTC for ops by default
    # The summary is the team's; both charts are there, each with its data table.
    text = page.text
    assert 'data-metric="waited_without_conversation">3<' in text
    assert text.count('role="img"') == 2
    assert 'id="availability-table"' in text
    assert 'id="waited-table"' in text
    assert '<tr><th scope="row">09:00</th><td>60 min (100 %)</td><td>15 min (25 %)</td>' in text
    # The figures are rep_metrics': the API says the same for the same period.
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://hub.test",
        headers=key_headers(store),
    ) as api:
        report = (await api.get("/v1/metrics/reps", params={"since": "2026-01-05"})).json()
    by_rep = {r["rep_id"]: r for r in report["reps"]}
    assert by_rep["ana"]["waited_without_conversation"] == 2
    assert by_rep["bo"]["available_seconds"] == 15 * 60
    # A range before any of it: all zero (the range is what is computed).
    before = await console_client.get(
        "/console/performance", params={"since": "2026-01-04", "until": "2026-01-05T08:00:00Z"}
    )
    assert before.status_code == 200
    assert numbers(figures(before.text)["team"]) == ("0",) * 7 + ("0 min",)
    # One rep, chosen by ops.
    only_bo = await console_client.get("/console/performance", params={"range": "24h", "rep": "bo"})
    assert set(figures(only_bo.text)) == {"bo"}


async def test_q15_a_rep_sees_only_their_own_figures(
    app: FastAPI,
    store: Store,
    clock: FakeClock,
    console_client: httpx.AsyncClient,
    console_user: Callable[..., UserInfo],
) -> None:
    """Q15: a rep user's dashboard holds their figures only (no other rep, no team), in their
    own time zone; asking for another rep is a 403 without that rep's figures."""
    await seed_activity(app, store, clock)
    console_user("ana", "rep", rep="ana")
    await sign_in(console_client, "ana")
    page = await console_client.get("/console/performance")
    assert page.status_code == 200, page.text
    rows = figures(page.text)
    assert set(rows) == {"ana"}
    assert numbers(rows["ana"]) == ("2", "1", "1", "3", "1", "2", "1", "1 h 30 min")
    assert rows["ana"]["Most available"] == "10:00"  # ana's own zone: Paris, UTC+1
    assert "(Europe/Paris)" in page.text
    for other in ('id="rep-bo"', 'data-rep="bo"', "Bo (bo)", 'id="rep-team"', "Team"):
        assert other not in page.text, other
    for params in ({"rep": "bo"}, {"rep": "bo", "range": "30d"}, {"rep": "cy", "since": "1d"}):
        refused = await console_client.get("/console/performance", params=params)
        assert refused.status_code == 403, params
        assert "ana" in refused.text
        assert "rep-bo" not in refused.text
    assert (
        await console_client.get("/console/performance", params={"rep": "ana"})
    ).status_code == 200


@pytest.mark.parametrize(
    ("params", "field", "says"),
    [
        ({"since": "yesterday"}, "since", "neither ISO 8601"),
        ({"since": "2026-01-05", "until": "soon"}, "until", "neither ISO 8601"),
        (
            {"since": "2026-01-05T10:00Z", "until": "2026-01-05T09:00Z"},
            "until",
            "must be after since",
        ),
        ({"since": "2027-01-01"}, "since", "must be before now"),
        ({"until": "2026-01-05"}, "since", "give a start with the end"),
        ({"since": "120d"}, "since", "at most 92 days"),
        ({"range": "forever"}, "range", "is not one of today, yesterday, 24h, 7d, 30d"),
        ({"range": "7d", "timezone": "Mars/Base"}, "timezone", "not an IANA time zone"),
        ({"since": "x" * 65}, "since", "at most 64 characters"),
        ({"range": "7d", "rep": "zed"}, "rep", "no rep 'zed' in [routing]"),
    ],
)
async def test_q15_a_range_that_cannot_be_read_is_refused_naming_the_field(
    console_client: httpx.AsyncClient,
    console_user: Callable[..., UserInfo],
    params: dict[str, str],
    field: str,
    says: str,
) -> None:
    """Q15: a bad since/until/range/timezone/rep is the form again, 400, the field named."""
    console_user("olga", "ops")
    await sign_in(console_client, "olga")
    answer = await console_client.get("/console/performance", params=params)
    assert answer.status_code == 400, answer.text
    text = html.unescape(answer.text)
    assert f"<li>{field}: " in text, text
    assert says in text
    if field != "range":  # a preset is a link; the others are the form's fields, marked
        assert f'id="{field}-error"' in text
        assert 'aria-invalid="true"' in text
        assert re.search(rf'id="{field}"[^>]*aria-describedby="[^"]*{field}-error"', text)
    assert 'id="rep-figures"' not in text  # no figures for a range not understood

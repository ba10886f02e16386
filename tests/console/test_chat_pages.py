"""The chat flow's console pages over HTTP: live visitors and Engage (Q2, Q10), presence (Q3).

Rules: Q2 (a rep sees which of their accounts are on the site, with intent
and signals), Q10 (a BDR engages a visitor of their Actively Working
account), Q3 (presence and working hours, as routing reads them).
"""

from __future__ import annotations

import html
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from console_kit import sign_in  # type: ignore[import-not-found]
from fastapi import FastAPI
from keyed import key_headers  # type: ignore[import-not-found]
from sqlalchemy import select

from handoff.config import HubConfig
from handoff.console.users import UserInfo
from handoff.runtime import DecisionSpec, record_decision
from handoff.server import create_app
from handoff.store import Audit, EventRecord, Store
from handoff_sdk import FakeClock

ROUTING = {
    "reps": [
        {
            "id": "ana",
            "name": "Ana",
            "teams": ["emea"],
            "timezone": "Europe/Paris",
            "working_hours": {"mon-fri": "09:00-17:30"},
        },
        {"id": "bo", "name": "Bo", "teams": ["emea"]},
    ],
    "teams": [{"name": "emea", "members": ["ana", "bo"]}],
}


def identify(store: Store, clock: FakeClock, visitor: str, **outcome: Any) -> int:
    """A Q1 identify decision, as handoff.chat.identify stores it, with 6sense intent."""
    with store.transaction() as session:
        return record_decision(
            session,
            DecisionSpec(
                kind="identify",
                subject_type="visitor",
                subject_id=visitor,
                outcome={"account": f"Account of {visitor}", "account_ids": {"sf": visitor}}
                | outcome,
                explanation={
                    "steps": [],
                    "firmographics": {
                        "buying_stage": "Decision",
                        "intent_score": 82,
                        "segments": ["Enterprise DevOps"],
                    },
                },
                rule_ids=("Q1",),
            ),
            now=clock.now(),
        )


@pytest.fixture
async def app(store: Store, clock: FakeClock) -> AsyncIterator[FastAPI]:
    """The hub's app with two reps in [routing]; live parts re-rendered every 0.1 s."""
    built = create_app(store, config=HubConfig(routing=ROUTING), clock=clock)
    built.state.console.live_interval = 0.1
    yield built
    await built.state.intake.aclose()


async def page_view(app: FastAPI, store: Store, visitor: str, view: str) -> None:
    """A page view through the API, as the website's tag posts it."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://hub.test",
        headers=key_headers(store, "ingest"),
    ) as api:
        answer = await api.post(
            "/v1/page-views",
            json={"id": view, "visitor_id": visitor, "url": "https://site.test/pricing"},
        )
        assert answer.status_code == 202, answer.text


async def test_q10_q2_a_rep_sees_and_engages_only_their_own_live_visitors(
    app: FastAPI,
    store: Store,
    clock: FakeClock,
    console_client: httpx.AsyncClient,
    console_user: Callable[..., UserInfo],
) -> None:
    identify(store, clock, "v-mine", account_status="Actively Working", bdr_assigned_id="ana")
    identify(store, clock, "v-other", account_status="Actively Working", bdr_assigned_id="bo")
    for visitor in ("v-mine", "v-other"):
        await page_view(app, store, visitor, f"pv-{visitor}")
    console_user("ana", "rep", rep="ana")
    console_user("olga", "ops")
    csrf = await sign_in(console_client, "ana")
    page = await console_client.get("/console/live")
    assert page.status_code == 200
    assert "Account of v-mine" in page.text
    assert "Decision" in page.text  # intent: buying stage
    assert "Enterprise DevOps" in page.text  # signals: 6sense segments
    assert "v-other" not in page.text
    # Another rep's visitors: refused, by the page, its stream and Engage alike.
    for path in ("/console/live?rep=bo", "/console/live/stream?rep=bo"):
        refused = await console_client.get(path)
        assert refused.status_code == 403, path
        assert "v-other" not in refused.text
    stolen = await console_client.post(
        "/console/live/v-mine/engage", data={"csrf_token": csrf, "rep": "bo"}
    )
    assert stolen.status_code == 403
    not_mine = await console_client.post(
        "/console/live/v-other/engage",
        headers={"X-CSRF-Token": csrf, "HX-Request": "true"},
        data={"engagement": "e1"},
    )
    assert not_mine.status_code == 403
    assert "not from an Actively Working account assigned to 'ana'" in html.unescape(not_mine.text)
    engaged = await console_client.post(
        "/console/live/v-mine/engage",
        headers={"X-CSRF-Token": csrf, "HX-Request": "true"},
        data={"engagement": "v-mine@1"},
    )
    assert engaged.status_code == 200, engaged.text
    assert "pounce:v-mine@1" in engaged.text
    again = await console_client.post(
        "/console/live/v-mine/engage",
        headers={"X-CSRF-Token": csrf, "HX-Request": "true"},
        data={"engagement": "v-mine@1"},
    )
    assert "already started" in again.text
    with store.sessions() as session:
        [stored] = session.scalars(
            select(EventRecord).where(EventRecord.type == "hub.proactive_engagement")
        ).all()
    assert stored.payload["rep_id"] == "ana"
    assert stored.payload["visitor_id"] == "v-mine"
    # Ops read any rep's visitors but do not engage (the rep role does).
    console_client.cookies.clear()
    ops_csrf = await sign_in(console_client, "olga")
    theirs = await console_client.get("/console/live?rep=bo")
    assert "Account of v-other" in theirs.text
    assert "Engage" not in theirs.text.split("<main")[1]
    assert (
        await console_client.post(
            "/console/live/v-other/engage", headers={"X-CSRF-Token": ops_csrf}
        )
    ).status_code == 403
    assert (await console_client.get("/console/live?minutes=7")).status_code == 400


async def test_q3_a_rep_sets_their_presence_and_ops_see_everyones_with_working_hours(
    store: Store,
    console_client: httpx.AsyncClient,
    console_user: Callable[..., UserInfo],
) -> None:
    console_user("ana", "rep", rep="ana")
    console_user("olga", "ops")
    console_user("ghost", "rep", rep="nobody")
    csrf = await sign_in(console_client, "ana")
    page = await console_client.get("/console/reps")
    assert "Your status" in page.text
    assert "Every rep" not in page.text  # a rep sees their own only
    away = await console_client.post(
        "/console/reps/status",
        headers={"X-CSRF-Token": csrf, "HX-Request": "true"},
        data={"status": "away"},
    )
    assert away.status_code == 200, away.text
    assert "Your status is now away" in away.text
    other = await console_client.post(
        "/console/reps/status",
        headers={"X-CSRF-Token": csrf},
        data={"status": "online", "rep": "bo"},
    )
    assert other.status_code == 403
    bad = await console_client.post(
        "/console/reps/status", headers={"X-CSRF-Token": csrf}, data={"status": "asleep"}
    )
    assert bad.status_code == 400
    assert "status: expected one of online, away, offline" in bad.text
    with store.sessions() as session:
        audits = [
            (a.actor, a.subject_id, a.details["status"])
            for a in session.scalars(select(Audit).where(Audit.action == "rep.status"))
        ]
    assert audits == [("console:ana", "ana", "away")]
    console_client.cookies.clear()
    await sign_in(console_client, "olga")
    table = await console_client.get("/console/reps")
    assert "Every rep" in table.text
    row = table.text.split('id="rep-ana"')[1].split("</tr>")[0]
    assert "away" in row
    assert "mon-fri 09:00-17:30" in row or "09:00-17:30" in row
    assert "Europe/Paris" in row
    assert "offline" in table.text.split('id="rep-bo"')[1].split("</tr>")[0]
    console_client.cookies.clear()
    await sign_in(console_client, "ghost")
    assert "is not a rep in" in (await console_client.get("/console/reps")).text

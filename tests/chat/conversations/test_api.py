"""The conversation API: Q15 metrics from conversation events, rep status, Q19 flags, Q10 pounce."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
from click.testing import CliRunner
from sqlalchemy import select

from handoff.chat.conversations import list_misroutes, record_conversation_event, rep_metrics
from handoff.cli import cli
from handoff.runtime import DecisionSpec, record_decision, record_events
from handoff.runtime.explain import explain_ref
from handoff.store import Audit, EventRecord, Store
from handoff_sdk import FakeClock
from handoff_sdk.entities import Event


def identify(store: Store, clock: FakeClock, visitor: str, **outcome: Any) -> int:
    """A Q1 identify decision, as handoff.chat.identify stores it (plus the rep fields)."""
    with store.transaction() as session:
        return record_decision(
            session,
            DecisionSpec(
                kind="identify",
                subject_type="visitor",
                subject_id=visitor,
                outcome={"account": "Acme", "account_ids": {"salesforce": "001A"}, **outcome},
                explanation={
                    "steps": [],
                    "firmographics": {"buying_stage": "Decision", "intent_score": 82},
                },
                rule_ids=("Q1",),
            ),
            now=clock.now(),
        )


async def post(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> httpx.Response:
    return await client.post(path, json=body)


async def test_q15_metrics_from_conversation_events(
    client: httpx.AsyncClient, store: Store, clock: FakeClock
) -> None:
    """Q15: waited with/without a conversation, routed via events the intake and hub store."""
    start = clock.now()
    # c1: requested, routed to ana, ana joins, meeting booked, ended.
    assert (
        await post(
            client,
            "/v1/chat-requests",
            {"id": "r1", "conversation_id": "c1", "visitor_id": "v1"},
        )
    ).status_code == 202
    with store.transaction() as session:
        record_conversation_event(session, "c1", "routed", rep_id="ana", now=clock.now())
    clock.advance(10)
    joined = await post(
        client,
        "/v1/conversation-events",
        {"id": "e1", "conversation_id": "c1", "kind": "rep_joined", "rep_id": "ana"},
    )
    assert joined.status_code == 202
    with store.transaction() as session:
        record_conversation_event(session, "c1", "meeting_booked", rep_id="ana", now=clock.now())
    await post(
        client, "/v1/conversation-events", {"id": "e2", "conversation_id": "c1", "kind": "ended"}
    )
    # c2: routed to ana, she times out, routed to bo, bo joins.
    await post(
        client, "/v1/chat-requests", {"id": "r2", "conversation_id": "c2", "visitor_id": "v2"}
    )
    with store.transaction() as session:
        record_conversation_event(session, "c2", "routed", rep_id="ana", now=clock.now())
        clock.advance(30)
        record_conversation_event(session, "c2", "timed_out", rep_id="ana", now=clock.now())
        record_conversation_event(session, "c2", "routed", rep_id="bo", now=clock.now())
    clock.advance(5)
    await post(
        client,
        "/v1/conversation-events",
        {"id": "e3", "conversation_id": "c2", "kind": "rep_joined", "rep_id": "bo"},
    )
    # c3: routed to bo, handed to the AI; bo never joins.
    with store.transaction() as session:
        record_conversation_event(session, "c3", "routed", rep_id="bo", now=clock.now())
    await post(
        client,
        "/v1/conversation-events",
        {"id": "e4", "conversation_id": "c3", "kind": "ai_took_over"},
    )
    with store.sessions() as session:
        found = {m.rep_id: m for m in rep_metrics(session, start, clock.now() + timedelta(hours=1))}
    assert (found["ana"].waited_sessions, found["ana"].waited_with_conversation) == (2, 1)
    assert found["ana"].waited_without_conversation == 1
    assert found["ana"].meetings_booked == 1
    assert (found["bo"].waited_sessions, found["bo"].waited_with_conversation) == (2, 1)
    assert found["bo"].waited_without_conversation == 1
    # Outside the period: nothing.
    with store.sessions() as session:
        assert rep_metrics(session, start - timedelta(days=2), start - timedelta(days=1)) == []
    answer = await client.get("/v1/metrics/reps", params={"since": start.isoformat()})
    assert answer.status_code == 200, answer.text
    reps = {r["rep_id"]: r for r in answer.json()["reps"]}
    assert reps["bo"]["waited_with_conversation"] == 1
    assert reps["ana"]["meetings_booked"] == 1


async def test_q15_availability_from_rep_status_history(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    """Q15: total availability and availability through the day, from PUT /v1/reps/ID/status."""
    start = clock.now()  # 2026-01-05 09:00 UTC
    assert (await client.put("/v1/reps/ana/status", json={"status": "online"})).status_code == 200
    clock.advance(90 * 60)  # online 09:00-10:30
    assert (await client.put("/v1/reps/ana/status", json={"status": "away"})).status_code == 200
    clock.advance(30 * 60)  # away 10:30-11:00
    await client.put("/v1/reps/ana/status", json={"status": "online"})
    clock.advance(15 * 60)  # online 11:00-11:15, then offline
    await client.put("/v1/reps/ana/status", json={"status": "offline"})
    clock.advance(3600)
    answer = await client.get(
        "/v1/metrics/reps",
        params={"since": start.isoformat(), "timezone": "Europe/Paris"},
    )
    assert answer.status_code == 200, answer.text
    [ana] = answer.json()["reps"]
    assert ana["available_seconds"] == 105 * 60
    # Paris is UTC+1 in January: 10:00-11:00 full, 11:00-11:30, 12:00-12:15.
    assert ana["available_by_hour"]["10"] == 3600
    assert ana["available_by_hour"]["11"] == 1800
    assert ana["available_by_hour"]["12"] == 900
    assert ana["available_by_hour"]["09"] == 0


async def test_rep_status_api_refuses_bad_input_naming_the_field(
    client: httpx.AsyncClient, store: Store
) -> None:
    """Q3 availability: PUT /v1/reps/ID/status validates; a set status is audited."""
    bad = await client.put("/v1/reps/ana/status", json={"status": "asleep"})
    assert bad.status_code == 422
    assert bad.json()["fields"][0]["field"] == "status"
    extra = await client.put("/v1/reps/ana/status", json={"status": "online", "mood": "ok"})
    assert extra.status_code == 422
    assert extra.json()["fields"][0]["field"] == "mood"
    ok = await client.put("/v1/reps/ana/status", json={"status": "away"})
    assert ok.json()["status"] == "away"
    with store.sessions() as session:
        [row] = session.scalars(select(Audit).where(Audit.subject_id == "ana")).all()
    assert row.details["status"] == "away"


async def test_metrics_api_refuses_bad_input(client: httpx.AsyncClient) -> None:
    """Q15: a missing or unreadable `since`, or an unknown zone, is a 422 naming the field."""
    missing = await client.get("/v1/metrics/reps")
    assert missing.status_code == 422
    assert missing.json()["fields"][0]["field"] == "query.since"
    bad = await client.get("/v1/metrics/reps", params={"since": "yesterday"})
    assert bad.status_code == 422
    zone = await client.get(
        "/v1/metrics/reps", params={"since": "2026-01-01T00:00:00Z", "timezone": "Mars/Base"}
    )
    assert zone.status_code == 422
    assert zone.json()["fields"][0]["field"] == "timezone"


async def test_q19_misrouted_flag_stored_against_the_decision(
    client: httpx.AsyncClient, store: Store, clock: FakeClock
) -> None:
    """Q19: a rep flags a routing decision; ops list it with the decision's explanation."""
    with store.transaction() as session:
        decision = record_decision(
            session,
            DecisionSpec(
                kind="routing",
                subject_type="conversation",
                subject_id="c9",
                outcome={"rep_id": "ana"},
                explanation={"matched": "Q3e geo pool AMER"},
                rule_ids=("Q3e",),
            ),
            now=clock.now(),
        )
        decision_id = decision
    missing = await post(client, "/v1/decisions/999/misrouted", {"rep": "ana", "reason": "x"})
    assert missing.status_code == 404
    empty = await post(client, f"/v1/decisions/{decision_id}/misrouted", {"rep": "ana"})
    assert empty.status_code == 422
    assert empty.json()["fields"][0]["field"] == "reason"
    flagged = await post(
        client,
        f"/v1/decisions/{decision_id}/misrouted",
        {"rep": "ana", "reason": "Visitor is from an EMEA account"},
    )
    assert flagged.status_code == 201, flagged.text
    assert flagged.json()["duplicate"] is False
    again = await post(
        client, f"/v1/decisions/{decision_id}/misrouted", {"rep": "ana", "reason": "again"}
    )
    assert again.json()["duplicate"] is True
    assert again.json()["flag_id"] == flagged.json()["flag_id"]
    with store.sessions() as session:
        [flag] = list_misroutes(session)
        assert flag["reason"] == "Visitor is from an EMEA account"
        assert flag["decision"]["explanation"] == {"matched": "Q3e geo pool AMER"}
        # The flag is an event about the decision's subject: `explain conversation:c9` shows it.
        report = explain_ref(session, "conversation:c9")
        # ... and so does `explain decision:ID`, the decision the flag questions.
        by_decision = explain_ref(session, f"decision:{decision_id}")
    assert [e["type"] for e in report["events"]] == ["hub.misroute_flag"]
    assert [d["id"] for d in report["decisions"]] == [decision_id]
    assert [e["type"] for e in by_decision["events"]] == ["hub.misroute_flag"]


def test_q19_misroutes_list_cli(tmp_path: Any, isolated_home: Any, clock: FakeClock) -> None:
    """Q19: `handoff misroutes list` prints each flag with the decision's explanation."""
    from handoff.chat.conversations import flag_misrouted  # noqa: PLC0415
    from handoff.store import upgrade  # noqa: PLC0415

    url = f"sqlite:///{tmp_path / 'm.db'}"
    db = Store(url)
    upgrade(db)
    with db.transaction() as session:
        decision = record_decision(
            session,
            DecisionSpec(
                kind="routing",
                subject_type="conversation",
                subject_id="c1",
                outcome={"rep_id": "bo"},
                explanation={"matched": "Q3c BDR Assigned"},
                rule_ids=("Q3c",),
            ),
            now=clock.now(),
        )
        flag_misrouted(session, decision, "bo", "wrong language", now=clock.now())
    db.dispose()
    runner = CliRunner()
    text = runner.invoke(cli, ["misroutes", "list", "--database", url])
    assert text.exit_code == 0, text.output
    assert "by bo" in text.output
    assert "wrong language" in text.output
    assert "because  matched: Q3c BDR Assigned" in text.output
    as_json = runner.invoke(cli, ["misroutes", "list", "--database", url, "--json"])
    [flag] = json.loads(as_json.output)
    assert flag["decision"]["rule_ids"] == ["Q3c"]
    assert flag["decision"]["outcome"] == {"rep_id": "bo"}


def test_q15_metrics_cli(tmp_path: Any, isolated_home: Any, clock: FakeClock) -> None:
    """Q15: `handoff metrics reps --since ... [--json]`; a bad --since names the option."""
    from handoff.store import upgrade  # noqa: PLC0415

    url = f"sqlite:///{tmp_path / 'q.db'}"
    db = Store(url)
    upgrade(db)
    with db.transaction() as session:
        record_conversation_event(session, "c1", "routed", rep_id="ana", now=clock.now())
        record_conversation_event(session, "c1", "rep_joined", rep_id="ana", now=clock.now())
    db.dispose()
    runner = CliRunner()
    since = (clock.now() - timedelta(hours=1)).isoformat()
    result = runner.invoke(
        cli, ["metrics", "reps", "--since", since, "--until", "2099-01-01", "--database", url]
    )
    assert result.exit_code == 0, result.output
    assert "waited: 1 session(s), 1 with a conversation, 0 without" in result.output
    as_json = runner.invoke(
        cli,
        ["metrics", "reps", "--since", since, "--until", "2099-01-01", "--json", "--database", url],
    )
    assert '"waited_with_conversation": 1' in as_json.output
    bad = runner.invoke(cli, ["metrics", "reps", "--since", "someday", "--database", url])
    assert bad.exit_code != 0
    assert "--since" in str(bad.exception) or "--since" in bad.output


async def test_q10_live_visitors_and_engage(
    client: httpx.AsyncClient, store: Store, clock: FakeClock
) -> None:
    """Q10/Q2: a BDR sees live visitors of their Actively Working accounts, and pounces."""
    identify(store, clock, "v-mine", account_status="Actively Working", bdr_assigned_id="ana")
    identify(store, clock, "v-other", account_status="Actively Working", bdr_assigned_id="bo")
    identify(store, clock, "v-cold", account_status="Prospect", bdr_assigned_id="ana")
    identify(store, clock, "v-owner", account_status="actively working", owner_id="ana")
    for visitor in ("v-mine", "v-other", "v-cold", "v-owner", "v-unknown"):
        answer = await post(
            client,
            "/v1/page-views",
            {"id": f"pv-{visitor}", "visitor_id": visitor, "url": "https://site.test/pricing"},
        )
        assert answer.status_code == 202
    live = await client.get("/v1/live-visitors", params={"rep": "ana"})
    assert live.status_code == 200, live.text
    visitors = {v["visitor_id"]: v for v in live.json()["visitors"]}
    assert set(visitors) == {"v-mine", "v-owner"}
    assert visitors["v-mine"]["intent"] == {"buying_stage": "Decision", "intent_score": 82}
    assert visitors["v-mine"]["last_page"] == "https://site.test/pricing"
    # 20 minutes later they are no longer live (default window 15 minutes).
    clock.advance(20 * 60)
    assert (await client.get("/v1/live-visitors", params={"rep": "ana"})).json()["visitors"] == []
    wider = await client.get("/v1/live-visitors", params={"rep": "ana", "minutes": 30})
    assert len(wider.json()["visitors"]) == 2
    refused = await post(client, "/v1/live-visitors/v-other/engage", {"rep": "ana"})
    assert refused.status_code == 403
    assert (
        await post(client, "/v1/live-visitors/v-cold/engage", {"rep": "ana"})
    ).status_code == 403
    engaged = await post(client, "/v1/live-visitors/v-mine/engage", {"rep": "ana", "id": "p1"})
    assert engaged.status_code == 201, engaged.text
    conversation = engaged.json()["conversation_id"]
    again = await post(client, "/v1/live-visitors/v-mine/engage", {"rep": "ana", "id": "p1"})
    assert again.json() == {**engaged.json(), "duplicate": True}
    # The visitor answers: a successful pounce conversation (Q15).
    await post(
        client,
        "/v1/conversation-events",
        {"id": "m1", "conversation_id": conversation, "kind": "message", "text": "hi"},
    )
    await post(client, "/v1/live-visitors/v-owner/engage", {"rep": "ana", "id": "p2"})
    with store.sessions() as session:
        [ana, bo] = rep_metrics(
            session, clock.now() - timedelta(hours=1), clock.now() + timedelta(hours=1)
        )
        kinds = [e.type for e in session.scalars(select(EventRecord).order_by(EventRecord.id))]
    assert kinds.count("hub.proactive_engagement") == 2
    assert (ana.rep_id, ana.pounces, ana.successful_pounce_conversations) == ("ana", 2, 1)
    assert ana.sessions_routed_for_pouncing == 2  # v-mine and v-owner
    assert (bo.rep_id, bo.sessions_routed_for_pouncing, bo.pounces) == ("bo", 1, 0)


async def test_q15_pounce_sessions_split_by_30_minute_gaps(store: Store, clock: FakeClock) -> None:
    """Q15: sessions routed for pouncing count a visitor's visits separated by 30+ minutes."""
    identify(store, clock, "v1", account_status="Actively Working", bdr_assigned_id="ana")
    start = clock.now()
    with store.transaction() as session:
        for minute in (0, 10, 25, 70, 75, 200):
            record_events(
                session,
                [
                    Event(
                        type="hub.page_view",
                        source="hub",
                        dedupe_key=f"pv{minute}",
                        occurred_at=start + timedelta(minutes=minute),
                        payload={"visitor_id": "v1", "url": "https://site.test/"},
                    )
                ],
                now=start + timedelta(minutes=minute),
            )
    with store.sessions() as session:
        [ana] = rep_metrics(session, start, start + timedelta(hours=5))
    assert ana.sessions_routed_for_pouncing == 3


async def test_q10_account_from_the_store_when_the_decision_lacks_the_rep(
    client: httpx.AsyncClient, store: Store, clock: FakeClock
) -> None:
    """Q10: an identify decision without bdr_assigned_id uses the stored account entity."""
    from handoff.runtime import upsert_entity  # noqa: PLC0415

    identify(store, clock, "v1", account_status="Actively Working")
    with store.transaction() as session:
        upsert_entity(
            session,
            "account",
            "001A",
            {"name": "Acme", "bdr_assigned_id": "cy", "status": "Actively Working"},
            now=clock.now(),
        )
    await post(
        client, "/v1/page-views", {"id": "pv", "visitor_id": "v1", "url": "https://site.test/"}
    )
    live = await client.get("/v1/live-visitors", params={"rep": "cy"})
    assert [v["visitor_id"] for v in live.json()["visitors"]] == ["v1"]


async def test_q15_long_online_span_counts_every_hour(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    """Q15: a rep online for ten days is available ten hours at each hour of the day;
    an `until` in the future is read as now (and answers quickly)."""
    start = clock.now()
    await client.put("/v1/reps/ana/status", json={"status": "online"})
    clock.advance(10 * 86400)
    answer = await client.get(
        "/v1/metrics/reps",
        params={"since": start.isoformat(), "until": "6732-04-17T01:20:30+14:12"},
    )
    assert answer.status_code == 200, answer.text
    [ana] = answer.json()["reps"]
    assert ana["available_seconds"] == 10 * 86400
    assert set(ana["available_by_hour"].values()) == {10 * 3600}
    assert answer.json()["until"] == clock.now().isoformat().replace("+00:00", "Z")

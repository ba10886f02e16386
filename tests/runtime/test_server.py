"""The HTTP intake: stored before the 2xx, duplicates once, bad input named, webhooks verified."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from handoff.hub import Hub
from handoff.runtime import DecisionSpec, EventHandler, JobSpec, Worker, record_decision
from handoff.runtime.explain import explain_ref, render_text
from handoff.server import create_app
from handoff.store import EventRecord, Job, JobState, Store
from handoff_sdk import Connector, FakeClock, WebhookScheme, hookimpl, sign_webhook, verify_webhook
from handoff_sdk.entities import Event, Notification, WebhookRequest

from .conftest import RecordingConnector, make_hub

SECRET = "whsec-synthetic"


class SignedConnector(Connector):
    """Receives Zendesk-style signed webhooks: one event per ticket in the body."""

    name = "signed"

    @hookimpl
    async def handoff_parse_webhook(self, request: WebhookRequest) -> list[Event]:
        verify_webhook(
            WebhookScheme.ZENDESK,
            secret=SECRET,
            headers=request.headers,
            body=request.body,
            clock=self.clock,
            connector=self.name,
        )
        data = json.loads(request.body)
        return [
            Event(
                type="signed.ticket.updated",
                source="signed",
                dedupe_key=str(item["id"]),
                payload={"subject": {"type": "ticket", "id": str(item["ticket"])}},
            )
            for item in data["events"]
        ]


@pytest.fixture
async def webhook_hub(clock: FakeClock, recorder: type[RecordingConnector]) -> AsyncIterator[Hub]:
    async with make_hub(clock, {"signed": SignedConnector, "recorder": recorder}) as built:
        yield built


@pytest.fixture
async def app(store: Store, clock: FakeClock, webhook_hub: Hub) -> AsyncIterator[FastAPI]:
    built = create_app(store, hub=webhook_hub, clock=clock)
    yield built
    await built.state.intake.aclose()


def count(store: Store, model: Any) -> int:
    with store.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


PAGE_VIEW = {
    "id": "pv-1",
    "visitor_id": "v-1",
    "url": "https://www.example.test/pricing",
    "ip": "203.0.113.7",
    "occurred_at": "2026-01-05T09:00:00Z",
}


async def test_an_event_is_stored_before_the_202(client: httpx.AsyncClient, store: Store) -> None:
    response = await client.post("/v1/page-views", json=PAGE_VIEW)
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["type"] == "hub.page_view"
    assert body["duplicate"] is False
    with store.sessions() as s:
        event = s.get(EventRecord, body["event_id"])
        assert event is not None
        assert (event.source, event.dedupe_key) == ("hub", "hub.page_view:pv-1")
        assert (event.subject_type, event.subject_id) == ("visitor", "v-1")
        assert event.payload["ip"] == "203.0.113.7"
        # ... and the job that will process it, in the same commit.
        [job] = s.scalars(select(Job)).all()
        assert (job.kind, job.event_id, job.state) == ("event", event.id, JobState.QUEUED)


async def test_a_duplicate_is_stored_once_and_processed_once(
    client: httpx.AsyncClient, store: Store, clock: FakeClock
) -> None:
    first = (await client.post("/v1/page-views", json=PAGE_VIEW)).json()
    again = await client.post("/v1/page-views", json=PAGE_VIEW)
    assert again.status_code == 202
    assert again.json() == {**first, "duplicate": True}
    assert count(store, EventRecord) == 1
    assert count(store, Job) == 1

    seen: list[int] = []

    class Counting(EventHandler):
        def decide(
            self, session: Session, event: EventRecord, context: dict[str, Any], now: datetime
        ) -> None:
            seen.append(event.id)

    worker = Worker(store, clock=clock, events=Counting())
    await worker.run_once()
    await client.post("/v1/page-views", json=PAGE_VIEW)
    await worker.run_once()
    assert seen == [first["event_id"]]


async def test_bad_input_names_each_bad_field_and_stores_nothing(
    client: httpx.AsyncClient, store: Store
) -> None:
    response = await client.post(
        "/v1/form-submissions",
        json={"id": "", "form_id": "f", "email": "not-an-email", "colour": "red"},
    )
    assert response.status_code == 422
    problems = {p["field"]: p["problem"] for p in response.json()["fields"]}
    assert set(problems) == {"id", "email", "colour"}
    assert "Extra inputs" in problems["colour"]
    assert count(store, EventRecord) == 0
    naive = await client.post(
        "/v1/page-views", json={**PAGE_VIEW, "occurred_at": "2026-01-05T09:00"}
    )
    assert naive.status_code == 422
    assert naive.json()["fields"][0]["field"] == "occurred_at"
    # Found by the fuzz test: year 1 at +05:01 cannot be held as UTC.
    for bad_time in ("0001-01-01T00:00:34+05:01", "1969-12-31T23:59:59Z", "9999-12-31T23:00-05:00"):
        early = await client.post("/v1/page-views", json={**PAGE_VIEW, "occurred_at": bad_time})
        assert early.status_code == 422, bad_time
        assert early.json()["fields"][0]["field"] == "occurred_at"
        assert "1970" in early.json()["fields"][0]["problem"]
    assert (await client.post("/v1/page-views", content=b"{not json")).status_code == 422
    assert count(store, EventRecord) == 0


async def test_every_hub_event_kind_is_accepted(client: httpx.AsyncClient, store: Store) -> None:
    bodies = {
        "chat-requests": {"id": "c1", "conversation_id": "conv-1", "visitor_id": "v-1"},
        "conversation-events": {"id": "e1", "conversation_id": "conv-1", "kind": "rep_joined"},
        "form-submissions": {"id": "f1", "form_id": "demo", "email": "Ada@Example.test"},
        "survey-responses": {"id": "s1", "survey_id": "nps", "email": "a@example.test", "score": 9},
        "hand-raises": {"id": "h1", "email": "a@example.test", "product": "api"},
    }
    for path, body in bodies.items():
        response = await client.post(f"/v1/{path}", json=body)
        assert response.status_code == 202, (path, response.text)
    with store.sessions() as s:
        subjects = {e.type: (e.subject_type, e.subject_id) for e in s.scalars(select(EventRecord))}
    assert subjects["hub.form_submission"] == ("lead", "ada@example.test")
    assert subjects["hub.conversation_event"] == ("conversation", "conv-1")


def signed(body: bytes, clock: FakeClock, secret: str = SECRET) -> dict[str, str]:
    return sign_webhook(WebhookScheme.ZENDESK, secret=secret, body=body, timestamp=clock.now())


async def test_a_signed_webhook_is_parsed_by_its_connector_and_stored(
    client: httpx.AsyncClient, store: Store, clock: FakeClock
) -> None:
    body = json.dumps({"events": [{"id": 1, "ticket": 10}, {"id": 2, "ticket": 11}]}).encode()
    response = await client.post("/webhooks/signed", content=body, headers=signed(body, clock))
    assert response.status_code == 202, response.text
    assert [e["duplicate"] for e in response.json()["events"]] == [False, False]
    again = await client.post("/webhooks/signed", content=body, headers=signed(body, clock))
    assert [e["duplicate"] for e in again.json()["events"]] == [True, True]
    assert count(store, EventRecord) == 2


async def test_a_bad_signature_is_401_and_nothing_is_stored(
    client: httpx.AsyncClient, store: Store, clock: FakeClock
) -> None:
    body = json.dumps({"events": [{"id": 1, "ticket": 10}]}).encode()
    forged = await client.post(
        "/webhooks/signed", content=body, headers=signed(body, clock, secret="wrong")
    )
    assert forged.status_code == 401
    assert "does not match" in forged.json()["error"]
    assert SECRET not in forged.text
    unsigned = await client.post("/webhooks/signed", content=body)
    assert unsigned.status_code == 401
    stale_headers = signed(body, clock)
    clock.advance(3600)
    stale = await client.post("/webhooks/signed", content=body, headers=stale_headers)
    assert stale.status_code == 401
    assert count(store, EventRecord) == 0


async def test_webhooks_for_unknown_connectors_are_404(client: httpx.AsyncClient) -> None:
    assert (await client.post("/webhooks/nobody", content=b"{}")).status_code == 404
    # The recorder is enabled but does not receive webhooks.
    assert (await client.post("/webhooks/recorder", content=b"{}")).status_code == 404


async def test_health_and_metrics(client: httpx.AsyncClient) -> None:
    assert (await client.get("/health")).json() == {
        "status": "ok",
        "database": {"dialect": "sqlite", "writable": True, "problem": None},
        "worker": None,
        "problems": [],
    }
    await client.post("/v1/page-views", json=PAGE_VIEW)
    await client.post("/v1/page-views", json=PAGE_VIEW)
    await client.post("/v1/page-views", json={"id": 1})
    metrics = (await client.get("/metrics")).text
    assert 'handoff_events_received_total{outcome="new",source="hub"} 1.0' in metrics
    assert 'handoff_events_received_total{outcome="duplicate",source="hub"} 1.0' in metrics
    assert 'handoff_requests_rejected_total{reason="invalid"} 1.0' in metrics
    assert 'handoff_jobs{state="queued"} 1.0' in metrics


async def test_the_openapi_document_lists_the_versioned_paths(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    paths = set(document["paths"])
    assert {
        "/v1/page-views",
        "/v1/chat-requests",
        "/v1/conversation-events",
        "/v1/form-submissions",
        "/v1/survey-responses",
        "/v1/hand-raises",
        "/webhooks/{connector}",
        "/health",
        "/health/live",
        "/metrics",
    } <= paths
    # The outage answer and readiness's 503 are declared, so clients can rely on them.
    for path in ("/v1/page-views", "/webhooks/{connector}"):
        assert "503" in document["paths"][path]["post"]["responses"]
    health = document["paths"]["/health"]["get"]["responses"]
    assert health["503"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Health"
    }


async def test_explain_shows_the_event_the_decision_why_and_its_jobs(
    client: httpx.AsyncClient, store: Store, clock: FakeClock, hub: Hub
) -> None:
    class Router(EventHandler):
        def decide(
            self, session: Session, event: EventRecord, context: dict[str, Any], now: datetime
        ) -> None:
            record_decision(
                session,
                DecisionSpec(
                    kind="routing",
                    subject_type=event.subject_type or "",
                    subject_id=event.subject_id or "",
                    event_id=event.id,
                    outcome={"rep": "rep-7"},
                    explanation={"rule": "account owner is online", "owner": "rep-7"},
                    rule_ids=("Q3",),
                ),
                now=now,
                jobs=[
                    JobSpec.call(
                        "recorder",
                        "handoff_send_notification",
                        f"route:{event.id}",
                        notification=Notification(text="new chat for rep-7"),
                    )
                ],
            )

    body = {"id": "c1", "conversation_id": "conv-9", "visitor_id": "v-1"}
    event_id = (await client.post("/v1/chat-requests", json=body)).json()["event_id"]
    worker = Worker(store, hub=hub, clock=clock, events=Router())
    await worker.run_once()  # the event: decision + notification job
    await worker.run_once()  # the notification
    with store.sessions() as s:
        report = explain_ref(s, "conversation:conv-9")
        assert explain_ref(s, f"event:{event_id}")["decisions"] == report["decisions"]
    [decision] = report["decisions"]
    assert decision["rule_ids"] == ["Q3"]
    assert decision["explanation"]["rule"] == "account owner is online"
    assert decision["jobs"][0]["state"] == "done"
    text = render_text(report)
    assert "routing about conversation:conv-9  [Q3]" in text
    assert "because  rule: account owner is online" in text
    assert "recorder.handoff_send_notification done after 1 attempt(s)" in text


@pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
def test_with_worker_the_server_processes_what_it_receives(
    store: Store, clock: FakeClock, admin_headers: dict[str, str]
) -> None:
    from fastapi.testclient import TestClient  # noqa: PLC0415

    seen: list[str] = []

    class Recording(EventHandler):
        def decide(
            self, session: Session, event: EventRecord, context: dict[str, Any], now: datetime
        ) -> None:
            seen.append(event.dedupe_key)

    app = create_app(store, clock=clock, with_worker=True, events=Recording())
    with TestClient(app, headers=admin_headers) as client:
        assert client.post("/v1/page-views", json=PAGE_VIEW).status_code == 202
        for _ in range(500):  # the worker shares the server's loop; each request lets it run
            if seen:
                break
            client.get("/health")
    assert seen == ["hub.page_view:pv-1"]
    with store.sessions() as s:
        assert s.scalars(select(EventRecord)).one().processed_at is not None

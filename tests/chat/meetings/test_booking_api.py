"""Q12 booking over the API: POST /v1/meetings stores the booking; the worker books it.

The app runs with REPS in [routing], the fake Zoom and calendar of
conftest.py enabled, and the chat flow's job runners.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from keyed import admin_for  # type: ignore[import-not-found]
from schemathesis.specs.openapi.checks import positive_data_acceptance
from sqlalchemy import func, select

from handoff.config import HubConfig, load_config
from handoff.errors import ConfigFileError
from handoff.flows import FlowSet
from handoff.hub import Hub
from handoff.runtime import Worker, decisions_about, jobs_of
from handoff.server import create_app
from handoff.store import Decision, Job, Store
from handoff_sdk import Connector, FakeClock

from .conftest import FakeCalendar, FakeZoom, hub_config, make_hub, reset_fakes

BOTH: dict[str, type[Connector]] = {"zoom": FakeZoom, "google-calendar": FakeCalendar}
START = "2026-01-06T15:00:00+01:00"


@pytest.fixture(autouse=True)
def fakes() -> Iterator[None]:
    reset_fakes()
    yield
    reset_fakes()


async def build(
    store: Store,
    clock: FakeClock,
    connectors: dict[str, type[Connector]],
    meetings: dict[str, Any] | None = None,
) -> tuple[FastAPI, Hub]:
    config = hub_config(connectors, meetings)
    hub = make_hub(clock, config, connectors)
    return create_app(store, config=config, hub=hub, clock=clock), hub


@pytest.fixture
async def hub(clock: FakeClock) -> AsyncIterator[Hub]:
    async with make_hub(clock, hub_config(BOTH), BOTH) as built:
        yield built


@pytest.fixture
async def app(store: Store, clock: FakeClock, hub: Hub) -> AsyncIterator[FastAPI]:
    built = create_app(store, config=hub_config(BOTH), hub=hub, clock=clock)
    yield built
    await built.state.intake.aclose()


async def call(app: FastAPI, body: dict[str, Any]) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://hub.test", headers=admin_for(app)
    ) as client:
        return await client.post("/v1/meetings", json=body)


def body(**changes: Any) -> dict[str, Any]:
    sent: dict[str, Any] = {
        "id": "bk-1",
        "rep_id": "ae-ana",
        "attendee_email": "sam@globex.example",
        "start": START,
        "duration_minutes": 45,
        "conversation_id": "c-9",
    }
    sent.update(changes)
    return {k: v for k, v in sent.items() if v is not None}


def count(store: Store, model: type[Decision] | type[Job]) -> int:
    with store.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


async def test_q12_post_stores_the_booking_decision_and_its_job(
    client: httpx.AsyncClient, store: Store
) -> None:
    answer = await client.post("/v1/meetings", json=body())

    assert answer.status_code == 202
    assert answer.json() == {
        "decision_id": answer.json()["decision_id"],
        "meeting_id": "bk-1",
        "duplicate": False,
    }
    with store.sessions() as session:
        _, [decision] = decisions_about(session, "meeting:bk-1")
        [job] = jobs_of(session, decision.id)
    assert decision.id == answer.json()["decision_id"]
    assert decision.rule_ids == ["Q12"]
    assert decision.outcome["rep_id"] == "ae-ana"
    assert decision.outcome["start"] == "2026-01-06T14:00:00+00:00"
    assert decision.outcome["end"] == "2026-01-06T14:45:00+00:00"
    assert decision.outcome["title"] == "Meeting with Ana Silva"
    assert (job.kind, job.idempotency_key, job.state) == ("meeting.book", "meeting:bk-1", "queued")
    assert job.payload["zoom_link"] == "https://acme.zoom.us/j/1112223334"
    assert job.payload["conversation_id"] == "c-9"


async def test_q12_the_same_id_twice_answers_the_same_decision_and_books_once(
    client: httpx.AsyncClient, store: Store, hub: Hub, clock: FakeClock
) -> None:
    first = await client.post("/v1/meetings", json=body())
    again = await client.post("/v1/meetings", json=body(title="Changed my mind"))

    assert again.status_code == 202
    assert again.json()["decision_id"] == first.json()["decision_id"]
    assert again.json()["duplicate"] is True
    assert count(store, Decision) == 1
    assert count(store, Job) == 1
    worker = Worker(
        store, hub=hub, clock=clock, handlers=FlowSet.of(store, clock, hub=hub).job_runners()
    )
    await worker.run_once()
    third = await client.post("/v1/meetings", json=body())
    await worker.run_once()
    assert third.json()["decision_id"] == first.json()["decision_id"]
    assert len(FakeCalendar.calls) == 1
    assert len(FakeZoom.calls) == 1


async def test_q12_end_instead_of_duration_and_the_default_duration(
    client: httpx.AsyncClient, store: Store
) -> None:
    with_end = body(id="bk-end", duration_minutes=None, end="2026-01-06T14:20:00Z")
    default = body(id="bk-default", duration_minutes=None, title="Intro call")
    assert (await client.post("/v1/meetings", json=with_end)).status_code == 202
    assert (await client.post("/v1/meetings", json=default)).status_code == 202

    with store.sessions() as session:
        _, [ended] = decisions_about(session, "meeting:bk-end")
        _, [defaulted] = decisions_about(session, "meeting:bk-default")
    assert ended.outcome["end"] == "2026-01-06T14:20:00+00:00"
    assert defaulted.outcome["end"] == "2026-01-06T14:30:00+00:00"
    assert defaulted.outcome["title"] == "Intro call"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"attendee_email": None}, "attendee_email"),
        ({"attendee_email": "not an email"}, "attendee_email"),
        ({"start": "2026-01-06T15:00:00"}, "start"),
        ({"duration_minutes": 5}, "duration_minutes"),
        ({"duration_minutes": 121}, "duration_minutes"),
        ({"end": "2026-01-06T15:30:00Z"}, "end"),
        ({"duration_minutes": None, "end": "2026-01-06T14:00:00+01:00"}, "end"),
        ({"duration_minutes": None, "end": "2026-01-06T18:00:00Z"}, "end"),
        ({"title": "two\nlines"}, "title"),
        ({"rep_id": ""}, "rep_id"),
        ({"id": None}, "id"),
        ({"colour": "blue"}, "colour"),
    ],
)
async def test_q12_bad_body_is_422_naming_the_field(
    client: httpx.AsyncClient, store: Store, changes: dict[str, Any], field: str
) -> None:
    answer = await client.post("/v1/meetings", json=body(**changes))

    assert answer.status_code == 422
    assert answer.json()["error"] == "invalid request"
    assert field in [f["field"] for f in answer.json()["fields"]]
    assert count(store, Decision) == 0


async def test_q12_start_in_the_past_is_422_on_start(
    client: httpx.AsyncClient, store: Store
) -> None:
    answer = await client.post("/v1/meetings", json=body(start="2026-01-05T08:00:00Z"))

    assert answer.status_code == 422
    assert answer.json()["fields"] == [
        {"field": "start", "problem": "expected a time in the future"}
    ]
    assert count(store, Job) == 0


async def test_q12_unknown_rep_is_404_and_the_ai_rep_422(
    client: httpx.AsyncClient, store: Store
) -> None:
    unknown = await client.post("/v1/meetings", json=body(rep_id="nobody"))
    ai = await client.post("/v1/meetings", json=body(rep_id="ai-rep"))

    assert unknown.status_code == 404
    assert unknown.json()["fields"][0]["field"] == "rep_id"
    assert ai.status_code == 422
    assert ai.json()["fields"] == [
        {"field": "rep_id", "problem": "the AI rep has no calendar to book"}
    ]
    assert count(store, Decision) == 0


async def test_q12_no_calendar_connector_is_409(store: Store, clock: FakeClock) -> None:
    only_zoom: dict[str, type[Connector]] = {"zoom": FakeZoom}
    app, hub = await build(store, clock, only_zoom)
    async with hub:
        answer = await call(app, body())

    assert answer.status_code == 409
    assert "calendar 'google-calendar' is not an enabled connector" in answer.json()["error"]
    assert count(store, Job) == 0


async def test_q12_rep_without_any_link_is_409(store: Store, clock: FakeClock) -> None:
    app, hub = await build(store, clock, BOTH, {"video": "personal"})
    async with hub:
        ben = await call(app, body(rep_id="ae-ben"))
        ana = await call(app, body(id="bk-2", rep_id="ae-ana"))

    assert ben.status_code == 409
    assert ben.json()["fields"][0]["field"] == "rep_id"
    assert "has no zoom_link" in ben.json()["error"]
    assert ana.status_code == 202


async def test_q12_no_routing_table_is_409(store: Store, clock: FakeClock) -> None:
    app = create_app(store, config=HubConfig(), clock=clock)

    answer = await call(app, body())

    assert answer.status_code == 409
    assert answer.json()["error"] == "no [routing] table in handoff.toml: no rep to book"
    assert count(store, Decision) == 0


def test_q12_invalid_meetings_table_is_refused_at_load_naming_the_field(tmp_path: Path) -> None:
    path = tmp_path / "handoff.toml"
    path.write_text('[[routing.reps]]\nid = "ae-ana"\nname = "Ana"\n[meetings]\nvideo = 1\n')
    with pytest.raises(ConfigFileError) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}: meetings.video: ")


async def test_q12_q15_booked_through_the_api_and_counted_in_rep_metrics(
    client: httpx.AsyncClient, store: Store, hub: Hub, clock: FakeClock
) -> None:
    assert (await client.post("/v1/meetings", json=body())).status_code == 202
    worker = Worker(
        store, hub=hub, clock=clock, handlers=FlowSet.of(store, clock, hub=hub).job_runners()
    )
    await worker.run_once()
    clock.advance(60)

    [(key, invite)] = FakeCalendar.calls
    assert key == "meeting:bk-1:calendar"
    assert invite.join_url == "https://acme.zoom.us/j/85000000001?pwd=Zk9"
    assert invite.end - invite.start == timedelta(minutes=45)
    report = await client.get("/v1/metrics/reps", params={"since": "2026-01-05T00:00:00Z"})
    [ana] = report.json()["reps"]
    assert (ana["rep_id"], ana["meetings_booked"]) == ("ae-ana", 1)


def _for_ana(case: schemathesis.Case[Any]) -> schemathesis.Case[Any]:
    if isinstance(case.body, dict) and isinstance(case.body.get("rep_id"), str):
        case.body["rep_id"] = "ae-ana"
    return case


def test_q12_fuzzed_bookings_never_fail_the_api(app: FastAPI, store: Store) -> None:
    """Generated bodies for a rep who exists: never a 5xx, every answer as documented.

    A schema-valid body may still be refused with a 422 here: a start in the
    past, or an end not 15-120 minutes after start, is something JSON Schema
    cannot say, so the positive-data check is left out (the shared fuzz test
    keeps it, and passes: there the rep does not exist, a 404).
    """
    api = schemathesis.openapi.from_asgi("/openapi.json", app)
    operation = api["/v1/meetings"]["POST"]
    admin = admin_for(app)

    @given(case=operation.as_strategy().map(_for_ana))
    @settings(
        max_examples=60,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def fuzz(case: schemathesis.Case[Any]) -> None:
        case.call_and_validate(headers=admin, excluded_checks=[positive_data_acceptance])

    fuzz()
    assert count(store, Decision) > 0  # some bookings got all the way to the store

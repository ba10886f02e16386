"""Q12 over the API: GET /v1/reps/{rep_id}/slots offers a rep's free meeting times.

Reps come from `[routing]`; busy times from fake calendar connectors
(`handoff_rep_busy`); "now" is the FakeClock, Monday 2026-01-05 09:00 UTC
(10:00 in Paris).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from keyed import admin_for  # type: ignore[import-not-found]

from handoff.config import ConnectorSettings, HubConfig, load_config
from handoff.errors import ConfigFileError
from handoff.hub import Hub
from handoff.plugins import Discovery
from handoff.server import create_app
from handoff.store import Store
from handoff_sdk import ApiError, Connector, FakeClock, hookimpl
from handoff_sdk.entities import BusySlot, Rep
from handoff_sdk.secrets import DictSecrets

ROUTING: dict[str, Any] = {
    "ai_rep": "ai-rep",
    "reps": [
        {
            "id": "r-ana",
            "name": "Ana",
            "email": "ana@example.test",
            "timezone": "Europe/Paris",
            "working_hours": {"mon-fri": "09:00-17:30"},
        },
        {"id": "r-ned", "name": "Ned", "timezone": "America/New_York"},
        {"id": "ai-rep", "name": "Assistant", "is_ai": True},
    ],
}


class FakeCalendar(Connector):
    """A calendar in memory: answers its `busy` times, raises `error` when one is set."""

    name = "fakecal"
    title = "Fake calendar"
    busy: ClassVar[list[BusySlot]] = []
    error: ClassVar[Exception | None] = None
    asked: ClassVar[list[tuple[Rep, datetime, datetime]]] = []

    @hookimpl
    async def handoff_rep_busy(self, rep: Rep, start: datetime, end: datetime) -> list[BusySlot]:
        type(self).asked.append((rep, start, end))
        error = type(self).error
        if error is not None:
            raise error
        return list(type(self).busy)


class OtherCalendar(FakeCalendar):
    """A second calendar, with busy times and failures of its own."""

    name = "othercal"
    busy: ClassVar[list[BusySlot]] = []
    error: ClassVar[Exception | None] = None
    asked: ClassVar[list[tuple[Rep, datetime, datetime]]] = []


def _reset() -> None:
    for cls in (FakeCalendar, OtherCalendar):
        cls.busy = []
        cls.error = None
        cls.asked = []


@pytest.fixture(autouse=True)
def calendars() -> Iterator[None]:
    """Both fake calendars emptied before and after each test."""
    _reset()
    yield
    _reset()


AppFactory = Callable[..., FastAPI]


@pytest.fixture
async def make_app(store: Store, clock: FakeClock) -> AsyncIterator[AppFactory]:
    """Apps over the test store: `make_app(calendars, routing=ROUTING)`."""
    built: list[tuple[FastAPI, Hub | None]] = []

    def make(
        classes: dict[str, type[Connector]] | None = None,
        routing: dict[str, Any] | None = ROUTING,
    ) -> FastAPI:
        hub = None
        if classes:
            hub = Hub(
                HubConfig(connectors={name: ConnectorSettings() for name in classes}),
                secrets=lambda name: DictSecrets(name, {}),
                discovery=Discovery(connectors=classes, packages=dict.fromkeys(classes, "test")),
                clock=clock,
            )
        app = create_app(store, config=HubConfig(routing=routing or {}), hub=hub, clock=clock)
        built.append((app, hub))
        return app

    yield make
    for app, hub in built:
        await app.state.intake.aclose()
        if hub is not None:
            await hub.aclose()


async def get(app: FastAPI, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://hub.test", headers=admin_for(app)
    ) as client:
        return await client.get(path)


def paris(day: int, hour: int, minute: int = 0) -> str:
    return f"2026-01-{day:02d}T{hour:02d}:{minute:02d}:00+01:00"


async def test_q12_slots_avoid_the_calendars_busy_times(make_app: AppFactory) -> None:
    """Q12: Ana (Paris, 09:00-17:30) at 10:00 her time, busy 11:00-12:00: the rest of today."""
    FakeCalendar.busy = [
        BusySlot(
            start=datetime(2026, 1, 5, 10, 0, tzinfo=UTC),
            end=datetime(2026, 1, 5, 11, 0, tzinfo=UTC),
        )
    ]
    response = await get(make_app({"fakecal": FakeCalendar}), "/v1/reps/r-ana/slots?days=1")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["rep_id"] == "r-ana"
    assert body["timezone"] == "Europe/Paris"
    assert body["duration_minutes"] == 30
    assert body["notes"] == []
    assert body["window_start"] == paris(5, 10)
    assert body["window_end"] == "2026-01-06T00:00:00+01:00"
    starts = [s["start"] for s in body["slots"]]
    # 15 minutes' notice: 10:30 is the first; 11:00 and 11:30 are busy; 17:00-17:30 the last.
    assert starts[:2] == [paris(5, 10, 30), paris(5, 12)]
    assert body["slots"][0]["end"] == paris(5, 11)
    assert starts[-1] == paris(5, 17)
    assert len(starts) == 12
    [(rep, start, end)] = FakeCalendar.asked
    assert (rep.id, rep.email) == ("r-ana", "ana@example.test")
    assert start == datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    assert end == datetime(2026, 1, 5, 23, 0, tzinfo=UTC)


async def test_q12_days_are_the_reps_local_days_and_duration_is_honoured(
    make_app: AppFactory,
) -> None:
    """Q12: days=5 from a Monday is Monday-Friday in Paris; 60-minute slots start on :00/:30."""
    app = make_app({"fakecal": FakeCalendar})
    response = await get(app, "/v1/reps/r-ana/slots?days=5&duration=60")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["duration_minutes"] == 60
    assert body["window_end"] == "2026-01-10T00:00:00+01:00"
    slots = body["slots"]
    assert {s["start"][:10] for s in slots} == {f"2026-01-{d:02d}" for d in range(5, 10)}
    assert slots[-1] == {"start": paris(9, 16, 30), "end": paris(9, 17, 30)}
    friday = [s["start"] for s in slots if s["start"].startswith("2026-01-09")]
    assert len(friday) == 16  # 09:00, 09:30, ... 16:30
    [(_rep, _start, end)] = FakeCalendar.asked
    assert end == datetime(2026, 1, 9, 23, 0, tzinfo=UTC)


async def test_q12_without_a_calendar_connector_working_hours_only_with_a_note(
    make_app: AppFactory,
) -> None:
    """Q12: no calendar enabled -> 200 from working hours, and the answer says so."""
    response = await get(make_app(), "/v1/reps/r-ana/slots?days=1")
    assert response.status_code == 200, response.text
    body = response.json()
    assert len(body["slots"]) == 14  # 10:30 ... 17:00, nothing busy
    assert body["notes"] == [
        "no calendar connector is enabled (handoff_rep_busy): the slots follow working hours "
        "only, not the rep's calendar"
    ]


async def test_q12_a_rep_without_working_hours_gets_weekday_office_hours(
    make_app: AppFactory,
) -> None:
    """Q12: Ned has no hours (always, for chat): meetings 09:00-17:00 New York, with a note."""
    response = await get(make_app({"fakecal": FakeCalendar}), "/v1/reps/r-ned/slots?days=1")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["timezone"] == "America/New_York"
    assert body["slots"][0]["start"] == "2026-01-05T09:00:00-05:00"
    assert body["slots"][-1]["end"] == "2026-01-05T17:00:00-05:00"
    assert body["notes"] == [
        "r-ned has no working hours configured: meetings are offered mon-fri 09:00-17:00 "
        "America/New_York"
    ]


async def test_q12_one_calendar_failing_is_a_note_when_another_answers(
    make_app: AppFactory,
) -> None:
    """Q12: the calendar that answered is honoured; the failed one is named in the notes."""
    FakeCalendar.error = ApiError("fakecal", 503, "backendError", "try later")
    OtherCalendar.busy = [
        BusySlot(
            start=datetime(2026, 1, 5, 9, 30, tzinfo=UTC),
            end=datetime(2026, 1, 5, 16, 0, tzinfo=UTC),
        )
    ]
    app = make_app({"fakecal": FakeCalendar, "othercal": OtherCalendar})
    response = await get(app, "/v1/reps/r-ana/slots?days=1")
    assert response.status_code == 200, response.text
    body = response.json()
    assert [s["start"] for s in body["slots"]] == [paris(5, 17)]
    [note] = body["notes"]
    assert note.startswith("fakecal: busy times of r-ana unknown (")
    assert "try later" in note


@pytest.mark.parametrize(
    "error",
    [
        ApiError(
            "fakecal", 401, "authError", "Authorization: Bearer secretsecretsecret123 expired"
        ),
        httpx.ConnectError("connection refused"),
    ],
)
async def test_q12_every_calendar_failing_is_a_502_not_a_guess(
    make_app: AppFactory, error: Exception
) -> None:
    """Q12: offering a slot that may be busy is worse than none: 502 with the reason."""
    FakeCalendar.error = error
    response = await get(make_app({"fakecal": FakeCalendar}), "/v1/reps/r-ana/slots")
    assert response.status_code == 502
    message = response.json()["error"]
    assert message.startswith("no calendar answered, so no slot is offered")
    assert "fakecal: busy times of r-ana unknown" in message
    assert "secretsecret" not in message


async def test_q12_a_calendar_bug_is_not_reported_as_its_outage(make_app: AppFactory) -> None:
    """Q12: only what the SDK raises for an outside system is a calendar failure; a bug is raised."""
    FakeCalendar.error = RuntimeError("a bug in the connector")
    with pytest.raises(RuntimeError, match="a bug in the connector"):
        await get(make_app({"fakecal": FakeCalendar}), "/v1/reps/r-ana/slots")


async def test_q12_a_calendar_answering_times_without_a_zone_counts_as_failed(
    make_app: AppFactory,
) -> None:
    """Q12: naive busy times cannot be placed: that calendar failed, not a 500."""
    FakeCalendar.busy = [
        BusySlot(start=datetime(2026, 1, 5, 10, 0), end=datetime(2026, 1, 5, 11, 0))
    ]
    response = await get(make_app({"fakecal": FakeCalendar}), "/v1/reps/r-ana/slots")
    assert response.status_code == 502
    assert "without a time zone" in response.json()["error"]


async def test_q12_an_unknown_rep_is_404(make_app: AppFactory) -> None:
    """Q12: a rep not in [routing] -> 404 naming rep_id; no calendar is asked."""
    response = await get(make_app({"fakecal": FakeCalendar}), "/v1/reps/r-nobody/slots")
    assert response.status_code == 404
    assert response.json() == {
        "error": "no rep 'r-nobody' in [routing]",
        "fields": [{"field": "rep_id", "problem": "no rep 'r-nobody' in [routing]"}],
    }
    assert FakeCalendar.asked == []


async def test_q12_the_ai_rep_has_no_calendar(make_app: AppFactory) -> None:
    """Q12: slots of the AI rep -> 422 naming rep_id, saying meetings are with human reps."""
    response = await get(make_app({"fakecal": FakeCalendar}), "/v1/reps/ai-rep/slots")
    assert response.status_code == 422
    body = response.json()
    assert "AI rep" in body["error"]
    assert "no calendar" in body["error"]
    assert body["fields"][0]["field"] == "rep_id"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("days=0", "query.days"),
        ("days=15", "query.days"),
        ("days=five", "query.days"),
        ("duration=14", "query.duration"),
        ("duration=121", "query.duration"),
        ("duration=30.5", "query.duration"),
    ],
)
async def test_q12_days_and_duration_out_of_range_are_422(
    make_app: AppFactory, query: str, field: str
) -> None:
    """Q12: days 1-14 and duration 15-120 minutes; anything else names the field."""
    response = await get(make_app({"fakecal": FakeCalendar}), f"/v1/reps/r-ana/slots?{query}")
    assert response.status_code == 422
    assert [f["field"] for f in response.json()["fields"]] == [field]


@pytest.mark.parametrize(("days", "duration"), [(1, 15), (14, 120)])
async def test_q12_the_range_limits_are_accepted(
    make_app: AppFactory, days: int, duration: int
) -> None:
    """Q12: the edges of the ranges are valid."""
    path = f"/v1/reps/r-ana/slots?days={days}&duration={duration}"
    response = await get(make_app({"fakecal": FakeCalendar}), path)
    assert response.status_code == 200, response.text
    assert response.json()["duration_minutes"] == duration


async def test_q12_without_routing_slots_are_409(make_app: AppFactory) -> None:
    """Q12: reps come from [routing]; without it, the answer is a 409 saying so."""
    response = await get(make_app({"fakecal": FakeCalendar}, routing=None), "/v1/reps/x/slots")
    assert response.status_code == 409
    assert response.json()["error"] == (
        "routing is not configured (no [routing] table in handoff.toml): no reps"
    )


def test_q12_an_invalid_routing_table_is_refused_at_load(tmp_path: Path) -> None:
    """Q12: a [routing] that does not validate stops the hub at load, naming the field."""
    path = tmp_path / "handoff.toml"
    path.write_text('[[routing.reps]]\nid = "x"\nname = "X"\ntimezone = "Mars/Base"\n')
    with pytest.raises(ConfigFileError) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}: routing.reps[0]: ")
    assert "Mars/Base" in str(caught.value)


async def test_q12_the_shared_app_fixture_has_no_routing(client: httpx.AsyncClient) -> None:
    """Q12: the app without a config answers 409, not a 5xx."""
    response = await client.get("/v1/reps/r-ana/slots")
    assert response.status_code == 409


async def test_q12_slots_are_in_the_openapi_document(make_app: AppFactory) -> None:
    """Q12: the booking widget finds the operation, its answer and its errors in /openapi.json."""
    document = (await get(make_app(), "/openapi.json")).json()
    operation = document["paths"]["/v1/reps/{rep_id}/slots"]["get"]
    assert set(operation["responses"]) == {"200", "401", "403", "404", "409", "422", "502"}
    assert {p["name"] for p in operation["parameters"]} == {"rep_id", "days", "duration"}
    ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/RepSlots"}
    assert set(document["components"]["schemas"]["RepSlots"]["properties"]) == {
        "rep_id",
        "timezone",
        "duration_minutes",
        "window_start",
        "window_end",
        "slots",
        "notes",
    }


def test_q12_no_request_makes_configured_slots_fail(store: Store, clock: FakeClock) -> None:
    """Q12: fuzzed rep ids and params against a hub with routing and a calendar, never a 5xx."""
    FakeCalendar.busy = [
        BusySlot(
            start=datetime(2026, 1, 5, 10, 0, tzinfo=UTC),
            end=datetime(2026, 1, 5, 11, 0, tzinfo=UTC),
        )
    ]
    hub = Hub(
        HubConfig(connectors={"fakecal": ConnectorSettings()}),
        secrets=lambda name: DictSecrets(name, {}),
        discovery=Discovery(connectors={"fakecal": FakeCalendar}, packages={"fakecal": "test"}),
        clock=clock,
    )
    app = create_app(store, config=HubConfig(routing=ROUTING), hub=hub, clock=clock)
    api = schemathesis.openapi.from_asgi("/openapi.json", app)
    operation = api["/v1/reps/{rep_id}/slots"]["GET"]
    admin = admin_for(app)

    @given(case=operation.as_strategy())
    @settings(
        max_examples=40,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def fuzz(case: schemathesis.Case[Any]) -> None:
        case.call_and_validate(headers=admin)

    fuzz()

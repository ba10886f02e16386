"""Q12 booking on the worker: the join link (personal or a new Zoom meeting), then the invite.

Bookings are stored with `request_booking` (what POST /v1/meetings does) and
run by a Worker with the chat flow's job runners, against the fake Zoom
and calendar of conftest.py. Q15: a booking made in a conversation is a
`meeting_booked` event that the rep metrics count.
"""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, text, update

from handoff.chat.conversations import rep_metrics
from handoff.chat.flow import CHAT
from handoff.chat.kinds import CONVERSATION_EVENT, MEETING_BOOK_JOB, MEETING_BOOKED_DECISION
from handoff.chat.meetings.booking import (
    BookingJob,
    BookingStored,
    booked_meeting,
    record_booking,
    request_booking,
)
from handoff.chat.meetings.config import MeetingsConfig
from handoff.chat.routing.config import load_routing
from handoff.config import HubConfig, validate_table
from handoff.errors import ConfigFileError
from handoff.flows import FlowSet
from handoff.hub import Hub
from handoff.runtime import Worker, decisions_about, jobs_of
from handoff.store import Decision, EventRecord, Job, Store
from handoff_sdk import ApiError, Connector, FakeClock, RateLimitedError
from handoff_sdk.entities import Meeting

from .conftest import REPS, FakeCalendar, FakeZoom, hub_config, make_hub, reset_fakes

BOTH: dict[str, type[Connector]] = {"zoom": FakeZoom, "google-calendar": FakeCalendar}
ANA_LINK = "https://acme.zoom.us/j/1112223334"


@pytest.fixture(autouse=True)
def fakes() -> Iterator[None]:
    reset_fakes()
    yield
    reset_fakes()


@pytest.fixture
async def hub(clock: FakeClock) -> AsyncIterator[Hub]:
    async with make_hub(clock, hub_config(BOTH), BOTH) as built:
        yield built


def booking(
    meeting_id: str = "m-1",
    rep_id: str = "ae-ana",
    *,
    video: str = "zoom",
    zoom_link: str | None = ANA_LINK,
    conversation_id: str | None = None,
    clock: FakeClock | None = None,
) -> BookingJob:
    start = (clock or FakeClock()).now() + timedelta(days=1)
    return BookingJob.model_validate(
        {
            "meeting_id": meeting_id,
            "meeting": Meeting(
                rep_id=rep_id,
                attendee_email="sam@globex.example",
                start=start,
                end=start + timedelta(minutes=30),
                title="Meeting with Ana Silva",
            ),
            "calendar": "google-calendar",
            "video": video,
            "zoom_link": zoom_link,
            "conversation_id": conversation_id,
        }
    )


def worker(store: Store, hub: Hub, clock: FakeClock) -> Worker:
    return Worker(
        store, hub=hub, clock=clock, handlers=FlowSet.of(store, clock, hub=hub).job_runners()
    )


def the_job(store: Store, meeting_id: str = "m-1") -> Job:
    with store.sessions() as session:
        job = session.scalar(select(Job).where(Job.idempotency_key == f"meeting:{meeting_id}"))
    assert job is not None
    return job


def stored(store: Store, meeting_id: str = "m-1") -> dict[str, Any]:
    with store.sessions() as session:
        found = booked_meeting(session, meeting_id)
    assert found is not None
    return found


# -- the join link ---------------------------------------------------------------------------


async def test_q12_personal_link_goes_into_the_invite_without_calling_zoom(
    store: Store, hub: Hub, clock: FakeClock
) -> None:
    request_booking(store, booking(video="personal"), now=clock.now())

    await worker(store, hub, clock).run_once()

    assert FakeZoom.calls == []
    [(key, invite)] = FakeCalendar.calls
    assert key == "meeting:m-1:calendar"
    assert invite.join_url == ANA_LINK
    assert invite.attendee_email == "sam@globex.example"
    assert the_job(store).state == "done"
    assert stored(store)["video"] == "personal"
    assert stored(store)["join_url"] == ANA_LINK


async def test_q12_no_zoom_connector_enabled_means_the_personal_link(
    store: Store, clock: FakeClock
) -> None:
    only_calendar: dict[str, type[Connector]] = {"google-calendar": FakeCalendar}
    async with make_hub(clock, hub_config(only_calendar), only_calendar) as hub:
        request_booking(store, booking(video="zoom"), now=clock.now())
        await worker(store, hub, clock).run_once()

    [(_, invite)] = FakeCalendar.calls
    assert invite.join_url == ANA_LINK
    assert "no Zoom connector is enabled" in stored(store)["why"]


async def test_q12_created_zoom_meeting_link_goes_into_the_invite(
    store: Store, hub: Hub, clock: FakeClock
) -> None:
    request_booking(store, booking(), now=clock.now())

    await worker(store, hub, clock).run_once()

    [(zoom_key, asked)] = FakeZoom.calls
    assert zoom_key == "meeting:m-1:zoom"
    assert asked.rep_id == "ae-ana"
    assert asked.join_url is None
    [(calendar_key, invite)] = FakeCalendar.calls
    assert calendar_key == "meeting:m-1:calendar"
    assert invite.join_url == "https://acme.zoom.us/j/85000000001?pwd=Zk9"
    assert invite.ids["zoom"] == "85000000001"
    job = the_job(store)
    assert job.state == "done"
    assert job.result is not None
    assert job.result["join_url"] == invite.join_url
    assert set(job.result["ids"]) == {"zoom", "google-calendar"}


async def test_q12_retry_after_a_calendar_failure_creates_no_second_zoom_meeting(
    store: Store, hub: Hub, clock: FakeClock
) -> None:
    FakeCalendar.failures.append(
        ApiError("google-calendar", 503, "backendError", "Backend Error", retryable=True)
    )
    request_booking(store, booking(), now=clock.now())
    run = worker(store, hub, clock)

    await run.run_once()
    first = the_job(store)
    assert first.state == "queued"
    assert "Backend Error" in (first.last_error or "")
    assert stored(store)["state"] == "link_ready"

    clock.advance(300)
    await run.run_once()

    assert len(FakeZoom.calls) == 1  # the fake would have made a second meeting
    assert [key for key, _ in FakeCalendar.calls] == ["meeting:m-1:calendar"] * 2
    links = {invite.join_url for _, invite in FakeCalendar.calls}
    assert links == {"https://acme.zoom.us/j/85000000001?pwd=Zk9"}
    assert the_job(store).state == "done"
    assert stored(store)["state"] == "booked"


async def test_q12_zoom_refusing_for_good_falls_back_to_the_personal_link(
    store: Store, hub: Hub, clock: FakeClock
) -> None:
    FakeZoom.failures.append(
        RateLimitedError("zoom", 429, "429", "daily limit of 100 meetings reached")
    )
    request_booking(store, booking(), now=clock.now())

    await worker(store, hub, clock).run_once()

    [(_, invite)] = FakeCalendar.calls
    assert invite.join_url == ANA_LINK
    assert the_job(store).state == "done"
    assert "Zoom refused" in stored(store)["why"]


async def test_q12_zoom_refusing_a_rep_without_personal_link_is_a_dead_job(
    store: Store, hub: Hub, clock: FakeClock
) -> None:
    FakeZoom.failures.append(ApiError("zoom", 404, "1001", "User does not exist: ben@acme"))
    request_booking(store, booking(rep_id="ae-ben", zoom_link=None), now=clock.now())

    await worker(store, hub, clock).run_once()

    job = the_job(store)
    assert job.state == "dead"
    assert "creating the Zoom meeting failed" in (job.last_error or "")
    assert "User does not exist" in (job.last_error or "")
    assert FakeCalendar.calls == []


async def test_q12_personal_video_for_a_rep_without_link_is_a_dead_job(
    store: Store, hub: Hub, clock: FakeClock
) -> None:
    request_booking(
        store, booking(rep_id="ae-ben", video="personal", zoom_link=None), now=clock.now()
    )

    await worker(store, hub, clock).run_once()

    job = the_job(store)
    assert job.state == "dead"
    assert "has no zoom_link" in (job.last_error or "")
    assert FakeZoom.calls == []
    assert FakeCalendar.calls == []


async def test_q12_calendar_refusal_is_dead_at_once_and_keeps_no_secret(
    store: Store, hub: Hub, clock: FakeClock
) -> None:
    token = "Bearer ya29" + "A" * 30
    FakeCalendar.failures.append(
        ApiError("google-calendar", 403, "forbiddenForNonOrganizer", f"refused for {token}")
    )
    request_booking(store, booking(), now=clock.now())

    await worker(store, hub, clock).run_once()

    job = the_job(store)
    assert job.state == "dead"
    assert job.attempts == 1
    assert "booking the invite on google-calendar failed" in (job.last_error or "")
    assert "HTTP 403 forbiddenForNonOrganizer: refused for [redacted]" in (job.last_error or "")
    assert "ya29" not in (job.last_error or "")


async def test_q12_calendar_connector_not_enabled_is_a_dead_job(
    store: Store, clock: FakeClock
) -> None:
    only_zoom: dict[str, type[Connector]] = {"zoom": FakeZoom}
    async with make_hub(clock, hub_config(only_zoom), only_zoom) as hub:
        request_booking(store, booking(), now=clock.now())
        await worker(store, hub, clock).run_once()

    job = the_job(store)
    assert job.state == "dead"
    assert "calendar connector 'google-calendar' is not enabled" in (job.last_error or "")
    assert FakeZoom.calls == []


# -- idempotency, explain, Q15 ---------------------------------------------------------------


async def test_q12_the_same_booking_id_twice_is_stored_and_booked_once(
    store: Store, hub: Hub, clock: FakeClock
) -> None:
    first = request_booking(store, booking(), now=clock.now())
    again = request_booking(store, booking(), now=clock.now())

    assert not first.duplicate
    assert again.duplicate
    assert again.decision_id == first.decision_id
    await worker(store, hub, clock).run_once()
    await worker(store, hub, clock).run_once()
    assert len(FakeZoom.calls) == 1
    assert len(FakeCalendar.calls) == 1
    with store.sessions() as session:
        _, decisions = decisions_about(session, "meeting:m-1")
        assert [d.kind for d in decisions] == ["meeting", MEETING_BOOKED_DECISION]
        assert [j.kind for j in jobs_of(session, first.decision_id)] == [MEETING_BOOK_JOB]


async def test_q12_explain_shows_the_booked_link_and_ids(
    store: Store, hub: Hub, clock: FakeClock
) -> None:
    request_booking(store, booking(), now=clock.now())
    await worker(store, hub, clock).run_once()

    with store.sessions() as session:
        _, decisions = decisions_about(session, "meeting:m-1")
    booked = decisions[-1]
    assert booked.kind == MEETING_BOOKED_DECISION
    assert booked.rule_ids == ["Q12"]
    assert booked.outcome["join_url"] == "https://acme.zoom.us/j/85000000001?pwd=Zk9"
    assert booked.outcome["ids"]["zoom"] == "85000000001"
    assert "Zoom meeting 85000000001" in booked.explanation["link"]
    assert "sam@globex.example invited" in booked.explanation["invite"]


async def test_q12_q15_meeting_booked_event_is_recorded_once_and_counted(
    store: Store, hub: Hub, clock: FakeClock
) -> None:
    request_booking(store, booking(conversation_id="c-7"), now=clock.now())
    await worker(store, hub, clock).run_once()
    # the finished job runs again (at least once: its outcome was lost): still one event
    with store.transaction() as session:
        session.execute(
            update(Job).where(Job.id == the_job(store).id).values(state="queued", attempts=0)
        )
    await worker(store, hub, clock).run_once()

    with store.sessions() as session:
        events = list(
            session.scalars(select(EventRecord).where(EventRecord.type == CONVERSATION_EVENT))
        )
        assert len(events) == 1
        assert events[0].payload["kind"] == "meeting_booked"
        assert events[0].payload["rep_id"] == "ae-ana"
        assert events[0].subject_id == "c-7"
        since, until = clock.now() - timedelta(hours=1), clock.now() + timedelta(minutes=1)
        metrics = rep_metrics(session, since, until)
        _, decisions = decisions_about(session, "meeting:m-1")
    assert {m.rep_id: m.meetings_booked for m in metrics} == {"ae-ana": 1}
    assert [d.kind for d in decisions] == ["meeting", MEETING_BOOKED_DECISION]
    assert len(FakeZoom.calls) == 1  # the retry reused the stored link


async def test_q12_booking_without_conversation_records_no_conversation_event(
    store: Store, hub: Hub, clock: FakeClock
) -> None:
    request_booking(store, booking(), now=clock.now())
    await worker(store, hub, clock).run_once()

    with store.sessions() as session:
        count = len(
            list(session.scalars(select(EventRecord).where(EventRecord.type == CONVERSATION_EVENT)))
        )
    assert count == 0


def _waiting_on_a_lock(store: Store) -> int:
    with store.sessions() as session:
        return int(
            session.scalar(
                text(
                    "select count(*) from pg_stat_activity "
                    "where datname = current_database() and wait_event_type = 'Lock'"
                )
            )
            or 0
        )


def test_q12_the_same_booking_at_once_on_postgres_is_stored_once(
    pg_store: Store, clock: FakeClock
) -> None:
    """Two requests with one id at the same moment: the second waits, then answers the first."""
    second: list[BookingStored] = []
    other = threading.Thread(
        target=lambda: second.append(request_booking(pg_store, booking(), now=clock.now()))
    )
    with pg_store.transaction() as session:
        first = record_booking(session, booking(), now=clock.now())
        other.start()
        deadline = time.monotonic() + 10
        while _waiting_on_a_lock(pg_store) == 0:  # the second insert waits on the job's key
            assert time.monotonic() < deadline, "the second booking did not wait for the first"
            assert other.is_alive(), "the second booking finished without waiting"
            time.sleep(0.01)
    other.join(timeout=10)

    assert second == [BookingStored(first.decision_id, duplicate=True)]
    with pg_store.sessions() as session:
        kinds = list(session.scalars(select(Decision.kind)))
        jobs = list(session.scalars(select(Job.idempotency_key)))
    assert kinds == ["meeting"]  # the second one's decision was rolled back
    assert jobs == ["meeting:m-1"]


# -- configuration ---------------------------------------------------------------------------


def test_q12_meetings_defaults_without_a_table() -> None:
    config = CHAT.settings_of(HubConfig()).meetings
    assert (config.calendar, config.video, config.duration_minutes) == (
        "google-calendar",
        "zoom",
        30,
    )


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"video": "teams"}, "meetings.video: Input should be 'zoom' or 'personal'"),
        ({"calendar": "zoom"}, "meetings.calendar: 'zoom' creates video meetings"),
        ({"title": "Call with {visitor}"}, "meetings.title: unknown placeholder {visitor}"),
        ({"title": "Call {"}, "meetings.title: not a valid template"),
        ({"duration_minutes": 5}, "meetings.duration_minutes: Input should be greater than"),
        ({"durations": 30}, "meetings.durations: unknown key"),
    ],
)
def test_q12_meetings_config_errors_name_the_field(table: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigFileError, match=message.replace("{", r"\{").replace("(", r"\(")):
        validate_table(MeetingsConfig, table, "meetings")


def test_q12_title_template_fills_the_rep_and_visitor() -> None:
    config = validate_table(MeetingsConfig, {"title": "{rep_name} <> {attendee_email}"})
    rep = load_routing({"reps": REPS}).reps[0].entity()
    assert config.title_for(rep, "sam@globex.example") == "Ana Silva <> sam@globex.example"


def test_q12_rep_zoom_link_reaches_the_rep_entity() -> None:
    routing = load_routing({"reps": REPS})
    ana = routing.rep("ae-ana")
    assert ana is not None
    assert ana.entity().zoom_link == ANA_LINK


@pytest.mark.parametrize(
    "link", ["http://acme.zoom.us/j/1", "zoom.us/j/1", "https:///j/1", "https://a.zoom.us/j/1 2"]
)
def test_q12_rep_zoom_link_must_be_an_https_url(link: str) -> None:
    with pytest.raises(
        ConfigFileError, match=r"routing\.reps\[0\]\.zoom_link: expected an https://"
    ):
        load_routing({"reps": [{"id": "r", "name": "R", "zoom_link": link}]})


async def test_q12_job_runners_include_the_booking_runner(
    store: Store, hub: Hub, clock: FakeClock
) -> None:
    assert MEETING_BOOK_JOB in FlowSet.of(store, clock, hub=hub).job_runners()
    # Registered whatever the connectors: the job then dies with the runner's message
    # naming the missing calendar (test_q12_calendar_connector_not_enabled_is_a_dead_job).
    assert MEETING_BOOK_JOB in FlowSet.of(store, clock).job_runners()
    async with make_hub(clock, HubConfig(), {}) as no_connectors:
        assert MEETING_BOOK_JOB in FlowSet.of(store, clock, hub=no_connectors).job_runners()

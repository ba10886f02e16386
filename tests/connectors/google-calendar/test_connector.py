"""The Google Calendar connector against recorded (synthetic) traffic, on a fake clock (Q3, Q12)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from gcal_cases import (
    BOOK_KEY,
    CANCELLED_KEY,
    CONFIG,
    JOIN_URL,
    MEETING,
    OAUTH_CONFIG,
    OAUTH_SECRETS,
    REP,
    REP_EMAIL,
    SECRETS,
    VISITOR,
    WINDOW_END,
    WINDOW_START,
)
from handoff_google_calendar import SUBJECT_HEADER, GoogleCalendarConnector
from handoff_google_calendar.mapping import event_id_for

from handoff_sdk import ApiError, AuthError, ConfigError, RateLimitedError
from handoff_sdk.entities import BusySlot, Rep
from handoff_sdk.testing.harness import Harness

Make = Callable[..., Harness]


@pytest.fixture
def gcal(connector_harness: Make) -> Make:
    def make(cassette: str, config: dict[str, Any] | None = None, **kw: Any) -> Harness:
        return connector_harness(
            GoogleCalendarConnector,
            config={**CONFIG, **(config or {})},
            secrets=kw.pop("secrets", SECRETS),
            cassette=cassette,
            **kw,
        )

    return make


def connector(h: Harness) -> GoogleCalendarConnector:
    assert isinstance(h.connector, GoogleCalendarConnector)
    return h.connector


def api_requests(h: Harness) -> list[httpx.Request]:
    return [r for r in h.sent() if r.url.host != "oauth2.googleapis.com"]


def t(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 1, day, hour, minute, tzinfo=UTC)


# -- Q3: free/busy -------------------------------------------------------------------


async def test_q3_rep_busy_reads_the_reps_calendar_as_the_rep(gcal: Make) -> None:
    h = gcal("rep_busy")
    busy = await connector(h).handoff_rep_busy(rep=REP, start=WINDOW_START, end=WINDOW_END)
    assert busy == [
        BusySlot(start=t(5, 9, 30), end=t(5, 11)),
        BusySlot(start=t(5, 13), end=t(5, 14)),
    ]
    (request,) = api_requests(h)
    assert request.method == "POST"
    assert str(request.url) == "https://www.googleapis.com/calendar/v3/freeBusy"
    assert json.loads(request.content) == {
        "timeMin": "2026-01-05T09:00:00Z",
        "timeMax": "2026-01-05T17:00:00Z",
        "timeZone": "UTC",
        "items": [{"id": REP_EMAIL}],
    }
    assert SUBJECT_HEADER not in request.headers, "the delegation header never leaves handoff"
    assert request.headers["Authorization"] == "Bearer REDACTED"
    assert h.token_requests == 1


async def test_q3_a_calendar_google_cannot_read_raises_instead_of_looking_free(gcal: Make) -> None:
    h = gcal("rep_busy_not_found")
    gone = Rep(id="rep-gone", name="Gone", email="gone.rep@example.com")
    with pytest.raises(ApiError) as info:
        await connector(h).handoff_rep_busy(rep=gone, start=WINDOW_START, end=WINDOW_END)
    assert info.value.code == "notFound"
    assert "google-calendar" in str(info.value)
    assert "gone.rep@example.com" in str(info.value)
    assert h.api_calls == 1, "notFound is not retried"


async def test_q3_a_backend_error_inside_freebusy_is_retried(gcal: Make) -> None:
    h = gcal("rep_busy_backend_error")
    busy = await connector(h).handoff_rep_busy(rep=REP, start=WINDOW_START, end=WINDOW_END)
    assert len(busy) == 2
    assert h.api_calls == 2
    assert len(h.clock.sleeps) == 1


async def test_403_rate_limits_are_waited_out_then_the_call_succeeds(gcal: Make) -> None:
    h = gcal("rep_busy_rate_limited")
    busy = await connector(h).handoff_rep_busy(rep=REP, start=WINDOW_START, end=WINDOW_END)
    assert len(busy) == 2
    assert h.api_calls == 3
    assert len(h.clock.sleeps) == 2


async def test_calendar_usage_limit_fails_without_retrying(gcal: Make) -> None:
    h = gcal("rep_busy_quota_exceeded")
    with pytest.raises(RateLimitedError) as info:
        await connector(h).handoff_rep_busy(rep=REP, start=WINDOW_START, end=WINDOW_END)
    assert info.value.code == "quotaExceeded"
    assert not info.value.retryable
    assert h.api_calls == 1


async def test_q3_an_empty_window_costs_no_call(gcal: Make) -> None:
    h = gcal("rep_busy")
    assert await connector(h).handoff_rep_busy(rep=REP, start=WINDOW_END, end=WINDOW_START) == []
    assert h.sent() == []


async def test_q3_naive_times_are_refused_before_any_call(gcal: Make) -> None:
    h = gcal("rep_busy")
    with pytest.raises(ValueError, match="'start' must be timezone-aware"):
        await connector(h).handoff_rep_busy(rep=REP, start=datetime(2026, 1, 5, 9), end=WINDOW_END)
    assert h.sent() == []


# -- Q12: booking ----------------------------------------------------------------------


async def test_q12_book_meeting_invites_the_visitor_with_the_join_link(gcal: Make) -> None:
    h = gcal("book_meeting")
    booked = await connector(h).handoff_book_meeting(meeting=MEETING, idempotency_key=BOOK_KEY)
    event_id = event_id_for(BOOK_KEY)
    assert booked.ids == {"zoom": "81234567890", "google-calendar": event_id}
    assert booked.join_url == JOIN_URL
    assert (booked.start, booked.end) == (MEETING.start, MEETING.end)
    (request,) = api_requests(h)
    assert (
        request.url.raw_path
        == b"/calendar/v3/calendars/ana.rep%40example.com/events?sendUpdates=all"
    )
    assert request.url.params["sendUpdates"] == "all"
    assert request.headers["X-Handoff-Idempotency-Key"] == BOOK_KEY
    sent = json.loads(request.content)
    assert sent["id"] == event_id
    assert sent["attendees"] == [{"email": VISITOR}]
    assert sent["location"] == JOIN_URL
    assert JOIN_URL in sent["description"]


async def test_q12_booking_twice_with_one_key_makes_one_event(gcal: Make) -> None:
    h = gcal("book_meeting_twice")
    gc = connector(h)
    first = await gc.handoff_book_meeting(meeting=MEETING, idempotency_key=BOOK_KEY)
    second = await gc.handoff_book_meeting(meeting=MEETING, idempotency_key=BOOK_KEY)
    assert second == first
    posts = [r for r in api_requests(h) if r.method == "POST"]
    assert [json.loads(r.content)["id"] for r in posts] == [event_id_for(BOOK_KEY)] * 2
    (get,) = [r for r in api_requests(h) if r.method == "GET"]
    assert get.url.path.endswith(f"/events/{event_id_for(BOOK_KEY)}")
    assert h.api_calls == 3, "insert, insert refused as duplicate, get the existing event"
    assert h.token_requests == 1


async def test_q12_a_duplicate_returns_the_event_booked_earlier(gcal: Make) -> None:
    h = gcal("book_meeting_duplicate")
    later = MEETING.model_copy(update={"title": "A retry with another title"})
    booked = await connector(h).handoff_book_meeting(meeting=later, idempotency_key=BOOK_KEY)
    assert booked.title == "Acme x Pat Lee: pricing", "what is on the calendar wins"
    assert booked.ids["google-calendar"] == event_id_for(BOOK_KEY)


async def test_q12_a_duplicate_of_a_cancelled_booking_asks_for_a_new_key(gcal: Make) -> None:
    h = gcal("book_meeting_cancelled")
    with pytest.raises(ApiError, match="was cancelled; book it again with a new key") as info:
        await connector(h).handoff_book_meeting(meeting=MEETING, idempotency_key=CANCELLED_KEY)
    assert info.value.status == 409


async def test_q12_a_rep_without_a_known_email_is_a_config_error(gcal: Make) -> None:
    h = gcal("book_meeting")
    stranger = MEETING.model_copy(update={"rep_id": "rep-unknown"})
    with pytest.raises(ConfigError) as info:
        await connector(h).handoff_book_meeting(meeting=stranger, idempotency_key=BOOK_KEY)
    assert info.value.field == "rep_emails"
    assert "rep-unknown" in str(info.value)
    assert h.sent() == []


async def test_q12_a_hub_id_that_is_an_email_needs_no_mapping(gcal: Make) -> None:
    h = gcal("book_meeting", config={"rep_emails": {}})
    by_email = MEETING.model_copy(update={"rep_id": REP_EMAIL})
    booked = await connector(h).handoff_book_meeting(meeting=by_email, idempotency_key=BOOK_KEY)
    assert booked.ids["google-calendar"] == event_id_for(BOOK_KEY)


# -- listing ------------------------------------------------------------------------------


async def test_list_booked_meetings_follows_next_page_token(gcal: Make) -> None:
    h = gcal("list_booked_meetings", config={"events_page_size": 2})
    meetings = await connector(h).list_booked_meetings(REP, t(5, 0), t(10, 0))
    assert [m.ids["google-calendar"] for m in meetings] == [
        event_id_for(BOOK_KEY),
        event_id_for("book-conv-0003"),
    ], "the cancelled one on page 1 is left out"
    assert meetings[1].attendee_email == "jo.kim@globex.example"
    assert meetings[1].rep_id == "rep-ana"
    first, second = api_requests(h)
    assert "pageToken" not in first.url.params
    assert second.url.params["pageToken"] == "CigKGmJvb2stY29udi0wMDAyEgoIgICAgICAgICAARgBGICA"
    assert first.url.params["privateExtendedProperty"] == "handoff=1"


# -- auth -----------------------------------------------------------------------------------


async def test_a_refused_delegation_names_the_rep_but_no_secret(gcal: Make) -> None:
    h = gcal("token_refused")
    with pytest.raises(AuthError) as info:
        await connector(h).handoff_rep_busy(rep=REP, start=WINDOW_START, end=WINDOW_END)
    text = str(info.value)
    assert text.startswith("google-calendar: acting as ana.rep@example.com")
    assert "Invalid email or User ID" in text
    assert "PRIVATE KEY" not in text


async def test_oauth_mode_sends_no_delegation_header_and_uses_the_refresh_token(
    connector_harness: Make,
) -> None:
    h = connector_harness(
        GoogleCalendarConnector, config=OAUTH_CONFIG, secrets=OAUTH_SECRETS, cassette="rep_busy"
    )
    await connector(h).handoff_rep_busy(rep=REP, start=WINDOW_START, end=WINDOW_END)
    token_request, api_request = h.sent()
    assert b"grant_type=refresh_token" in token_request.content
    assert SUBJECT_HEADER not in api_request.headers


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"service_account_email": None}, "'service_account_email' is required"),
        ({"auth": "oauth", "client_id": None}, "'client_id' is required"),
    ],
)
def test_each_auth_mode_needs_its_ids(config: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        GoogleCalendarConnector.config_model.model_validate({**CONFIG, **config})


def test_required_secrets_follow_the_auth_mode() -> None:
    model = GoogleCalendarConnector.config_model
    assert GoogleCalendarConnector.required_secrets(model.model_validate(CONFIG)) == ["private_key"]
    assert GoogleCalendarConnector.required_secrets(model.model_validate(OAUTH_CONFIG)) == [
        "client_secret",
        "refresh_token",
    ]

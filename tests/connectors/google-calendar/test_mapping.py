"""Google Calendar JSON <-> canonical entities, as pure functions (rules Q3, Q12)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from gcal_cases import JOIN_URL, MEETING, VISITOR
from handoff_google_calendar import mapping

from handoff_sdk.entities import BusySlot

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
END = datetime(2026, 1, 5, 17, 0, tzinfo=UTC)


def t(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 1, 5, hour, minute, tzinfo=UTC)


def test_q3_busy_periods_are_sorted_merged_and_clipped_to_the_window() -> None:
    entry = {
        "busy": [
            {"start": "2026-01-05T13:00:00Z", "end": "2026-01-05T14:00:00Z"},
            {"start": "2026-01-05T09:45:00.000Z", "end": "2026-01-05T10:30:00.000Z"},
            {"start": "2026-01-05T09:30:00Z", "end": "2026-01-05T10:00:00Z"},
            {"start": "2026-01-05T10:30:00Z", "end": "2026-01-05T11:00:00Z"},  # back to back
            {"start": "2026-01-05T08:00:00Z", "end": "2026-01-05T09:15:00Z"},  # starts before
            {"start": "2026-01-05T16:30:00Z", "end": "2026-01-05T18:00:00Z"},  # ends after
            {"start": "2026-01-05T18:00:00Z", "end": "2026-01-05T19:00:00Z"},  # outside
        ]
    }
    assert mapping.busy_slots(entry, START, END) == [
        BusySlot(start=t(9), end=t(9, 15)),
        BusySlot(start=t(9, 30), end=t(11)),
        BusySlot(start=t(13), end=t(14)),
        BusySlot(start=t(16, 30), end=t(17)),
    ]


def test_q3_busy_times_with_an_offset_come_back_in_utc() -> None:
    entry = {"busy": [{"start": "2026-01-05T10:00:00+01:00", "end": "2026-01-05T11:00:00+01:00"}]}
    (slot,) = mapping.busy_slots(entry, START, END)
    assert slot.start == t(9)
    assert slot.start.tzinfo == UTC
    assert slot.end == t(10)


def test_q3_unreadable_busy_periods_are_skipped_not_guessed() -> None:
    entry = {"busy": [{"start": "soon", "end": "later"}, "x", {"start": "2026-01-05T12:00:00Z"}]}
    assert mapping.busy_slots(entry, START, END) == []


def test_freebusy_request_is_in_utc_for_one_calendar() -> None:
    lisbon_noon = datetime(2026, 7, 1, 12, 0, tzinfo=timezone(timedelta(hours=1)))
    body = mapping.freebusy_request(
        "ana.rep@example.com", lisbon_noon, lisbon_noon + timedelta(hours=2)
    )
    assert body == {
        "timeMin": "2026-07-01T11:00:00Z",
        "timeMax": "2026-07-01T13:00:00Z",
        "timeZone": "UTC",
        "items": [{"id": "ana.rep@example.com"}],
    }


def test_a_naive_datetime_is_refused_naming_the_field() -> None:
    with pytest.raises(ValueError, match="google-calendar: 'end' must be timezone-aware"):
        mapping.freebusy_request("a@example.com", START, datetime(2026, 1, 5, 17, 0))


def test_freebusy_entry_matches_the_calendar_id_without_case() -> None:
    body: dict[str, Any] = {"calendars": {"Ana.Rep@Example.com": {"busy": []}}}
    assert mapping.freebusy_entry(body, "ana.rep@example.com") == {"busy": []}
    assert mapping.freebusy_entry(body, "someone@example.com") is None
    assert mapping.freebusy_entry({"kind": "calendar#freeBusy"}, "a@example.com") is None


def test_freebusy_errors_lists_each_unreadable_calendar() -> None:
    body = {
        "calendars": {
            "a@example.com": {"busy": []},
            "b@example.com": {"errors": [{"domain": "global", "reason": "notFound"}], "busy": []},
            "group@example.com": {"errors": [{"domain": "calendar", "reason": "groupTooBig"}]},
        }
    }
    assert mapping.freebusy_errors(body) == [
        ("b@example.com", "notFound"),
        ("group@example.com", "groupTooBig"),
    ]
    assert mapping.freebusy_errors({"calendars": {"a@example.com": {"busy": []}}}) == []


def test_q12_event_id_is_deterministic_and_follows_googles_id_rules() -> None:
    first = mapping.event_id_for("book-conv-0001")
    assert first == mapping.event_id_for("book-conv-0001")
    assert first != mapping.event_id_for("book-conv-0002")
    assert re.fullmatch(r"[0-9a-v]{5,1024}", first), first
    assert first.startswith("handoff")
    odd = mapping.event_id_for("Ünïcode key / with spaces & symbols!")
    assert re.fullmatch(r"[0-9a-v]{5,1024}", odd)


def test_q12_event_invites_the_visitor_and_carries_the_join_link() -> None:
    event = mapping.meeting_to_event(MEETING, "handoffabc123", "book-conv-0001")
    assert event["id"] == "handoffabc123"
    assert event["summary"] == "Acme x Pat Lee: pricing"
    assert event["attendees"] == [{"email": VISITOR}]
    assert event["location"] == JOIN_URL
    assert JOIN_URL in event["description"]
    assert event["start"] == {"dateTime": "2026-01-06T15:00:00Z"}
    assert event["end"] == {"dateTime": "2026-01-06T15:30:00Z"}
    assert event["extendedProperties"]["private"] == {
        "handoff": "1",
        "handoff_idempotency_key": "book-conv-0001",
        "handoff_rep_id": "rep-ana",
    }


def test_q12_event_without_a_join_link_has_no_location() -> None:
    no_link = MEETING.model_copy(update={"join_url": None})
    event = mapping.meeting_to_event(no_link, "handoffabc123", "k", timezone="Europe/Lisbon")
    assert "location" not in event
    assert "Join" not in event["description"]
    assert event["start"]["timeZone"] == "Europe/Lisbon"


def test_event_to_meeting_keeps_other_systems_ids_and_reads_the_event() -> None:
    event = {
        "id": "handoffabc123",
        "status": "confirmed",
        "summary": "Renamed by the rep",
        "location": JOIN_URL,
        "start": {"dateTime": "2026-01-06T16:00:00Z", "timeZone": "UTC"},
        "end": {"dateTime": "2026-01-06T16:30:00Z", "timeZone": "UTC"},
        "attendees": [
            {"email": "ana.rep@example.com", "organizer": True, "self": True},
            {"email": VISITOR},
        ],
    }
    meeting = mapping.event_to_meeting(event, MEETING)
    assert meeting.ids == {"zoom": "81234567890", "google-calendar": "handoffabc123"}
    assert meeting.title == "Renamed by the rep"
    assert meeting.start == datetime(2026, 1, 6, 16, 0, tzinfo=UTC)
    assert meeting.join_url == JOIN_URL
    assert meeting.rep_id == "rep-ana"


def test_event_to_meeting_without_a_request_reads_rep_and_visitor_from_the_event() -> None:
    event = {
        "id": "handoffxyz",
        "hangoutLink": "https://meet.example.test/abc-defg-hij",
        "location": "Room 4",
        "start": {"dateTime": "2026-01-06T16:00:00Z"},
        "end": {"dateTime": "2026-01-06T16:30:00Z"},
        "attendees": [{"email": "ana.rep@example.com", "self": True}, {"email": VISITOR}],
        "extendedProperties": {"private": {"handoff_rep_id": "rep-ana"}},
    }
    meeting = mapping.event_to_meeting(event)
    assert meeting.attendee_email == VISITOR
    assert meeting.rep_id == "rep-ana"
    assert meeting.join_url == "https://meet.example.test/abc-defg-hij"
    with pytest.raises(ValueError, match="lacks a start, end, rep or attendee"):
        mapping.event_to_meeting({"id": "x", "start": {}, "end": {}})


def test_all_day_event_times_are_read_as_midnight_utc() -> None:
    event = {
        "id": "allday1",
        "start": {"date": "2026-01-06"},
        "end": {"date": "2026-01-07"},
        "attendees": [{"email": VISITOR}],
        "extendedProperties": {"private": {"handoff_rep_id": "rep-ana"}},
    }
    meeting = mapping.event_to_meeting(event)
    assert meeting.start == datetime(2026, 1, 6, tzinfo=UTC)
    assert meeting.end - meeting.start == timedelta(days=1)


def test_error_reason_reads_api_and_token_endpoint_shapes() -> None:
    api = {
        "error": {
            "errors": [
                {
                    "domain": "usageLimits",
                    "reason": "rateLimitExceeded",
                    "message": "Rate Limit Exceeded",
                }
            ],
            "code": 403,
            "message": "Rate Limit Exceeded",
        }
    }
    assert mapping.error_reason(api) == ("rateLimitExceeded", "Rate Limit Exceeded")
    status_only = {
        "error": {
            "code": 401,
            "message": "Request had invalid authentication credentials.",
            "status": "UNAUTHENTICATED",
        }
    }
    assert mapping.error_reason(status_only) == (
        "UNAUTHENTICATED",
        "Request had invalid authentication credentials.",
    )
    token = {"error": "invalid_grant", "error_description": "Invalid email or User ID"}
    assert mapping.error_reason(token) == ("invalid_grant", "Invalid email or User ID")
    assert mapping.error_reason("Too Many Requests") == (None, None)
    assert mapping.error_reason({"kind": "calendar#event"}) == (None, None)

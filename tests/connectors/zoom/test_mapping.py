"""Zoom JSON <-> canonical entities, as pure functions (rule Q12)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from handoff_zoom import mapping
from zoom_cases import MEETING

NOW = datetime(2026, 1, 5, 21, 0, tzinfo=UTC)


def test_q12_meeting_body_is_a_scheduled_meeting_in_utc() -> None:
    body = mapping.meeting_body(MEETING)
    assert body == {
        "topic": "Acme x Pat Lee: pricing",
        "type": 2,
        "start_time": "2026-01-06T15:00:00Z",
        "duration": 30,
        "timezone": "UTC",
        "agenda": "Acme x Pat Lee: pricing with pat.lee@acme.example",
    }


def test_duration_rounds_up_to_whole_minutes_and_topic_is_cut_to_zooms_maximum() -> None:
    odd = MEETING.model_copy(
        update={"end": MEETING.start + timedelta(minutes=25, seconds=30), "title": "x" * 250}
    )
    body = mapping.meeting_body(odd, {"waiting_room": True}, timezone="Europe/Lisbon")
    assert body["duration"] == 26
    assert len(body["topic"]) == 200
    assert body["settings"] == {"waiting_room": True}
    assert body["timezone"] == "Europe/Lisbon"


def test_a_naive_start_is_refused() -> None:
    with pytest.raises(ValueError, match="zoom: 'start' must be timezone-aware"):
        mapping.zoom_time(datetime(2026, 1, 6, 15, 0))


def test_same_meeting_needs_topic_start_and_duration_to_agree() -> None:
    body = mapping.meeting_body(MEETING)
    item = {"topic": MEETING.title, "start_time": "2026-01-06T15:00:00Z", "duration": 30}
    assert mapping.same_meeting(item, body)
    assert not mapping.same_meeting({**item, "start_time": "2026-01-06T15:30:00Z"}, body)
    assert not mapping.same_meeting({**item, "topic": "Other"}, body)
    assert not mapping.same_meeting({**item, "duration": 45}, body)
    assert not mapping.same_meeting({**item, "start_time": None}, body)


def test_meeting_from_zoom_keeps_an_eleven_digit_id_as_text() -> None:
    data = {
        "id": 81234567890,
        "topic": "Acme x Pat Lee: pricing",
        "start_time": "2026-01-06T15:00:00Z",
        "duration": 45,
        "join_url": "https://us05web.zoom.example/j/81234567890?pwd=abc.1",
    }
    requested = MEETING.model_copy(update={"ids": {"hub": "m-1"}})
    meeting = mapping.meeting_from_zoom(data, requested)
    assert meeting.ids == {"hub": "m-1", "zoom": "81234567890"}
    assert meeting.end == datetime(2026, 1, 6, 15, 45, tzinfo=UTC)
    assert meeting.join_url == data["join_url"]


def test_error_fields_read_zoom_errors_with_their_validation_details() -> None:
    assert mapping.error_fields({"code": 124, "message": "Invalid access token."}) == (
        "124",
        "Invalid access token.",
    )
    validation = {
        "code": 300,
        "message": "Validation Failed.",
        "errors": [
            {"field": "start_time", "message": "Invalid field."},
            {"field": "duration", "message": "Invalid field."},
        ],
    }
    assert mapping.error_fields(validation) == (
        "300",
        "Validation Failed. (start_time: Invalid field.; duration: Invalid field.)",
    )
    oauth = {"reason": "Invalid client_id or client_secret", "error": "invalid_client"}
    assert mapping.error_fields(oauth) == ("invalid_client", "Invalid client_id or client_secret")
    assert mapping.error_fields("Too Many Requests") == (None, None)
    assert mapping.error_fields({"page_size": 30}) == (None, None)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("7", 7.0),
        ("2026-01-06T00:00:00Z", 3 * 3600.0),
        ("Tue, 06 Jan 2026 00:00:00 GMT", 3 * 3600.0),
        ("2026-01-05T20:00:00Z", 0.0),
        ("soon", None),
        (None, None),
    ],
)
def test_retry_after_reads_seconds_http_dates_and_iso_times(
    value: str | None, seconds: float | None
) -> None:
    assert mapping.retry_after_seconds(value, NOW) == seconds


def test_daily_limit_is_told_by_the_header_or_the_message() -> None:
    assert mapping.daily_limit({"x-ratelimit-type": "Daily-limit"}, None)
    assert mapping.daily_limit(
        {}, "You have exceeded the daily rate limit (100) of Meeting Create/Update API requests"
    )
    assert not mapping.daily_limit(
        {"x-ratelimit-type": "QPS"}, "You have reached the maximum per-second rate limit"
    )


def test_a_webhook_without_an_object_is_deduplicated_on_its_body() -> None:
    body = b'{"event":"app_deauthorized","payload":{"account_id":"A1"}}'
    signed_at = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    (event,) = mapping.webhook_events(
        {"event": "app_deauthorized", "payload": {"account_id": "A1"}}, body, signed_at
    )
    assert event.type == "zoom.app_deauthorized"
    assert event.dedupe_key.startswith("zoom:app_deauthorized:body:")
    assert event.occurred_at == signed_at
    with pytest.raises(ValueError, match="not a Zoom event"):
        mapping.webhook_events(["meeting.started"], b"[]", signed_at)


def test_event_ts_in_milliseconds_dates_the_event() -> None:
    data = {"event": "meeting.ended", "event_ts": 1767603600000, "payload": {"object": {"id": 1}}}
    (event,) = mapping.webhook_events(data, b"{}", NOW)
    assert event.occurred_at == datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    assert event.dedupe_key == "zoom:meeting.ended:1:1767603600000"

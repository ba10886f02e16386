"""Zoom JSON read into canonical entities, and meetings written as Zoom meetings.

Pure functions, no I/O, so every shape Zoom is known to send is tested on
its own. The shapes worth knowing:

- A meeting's `id` is a number of 10 or 11 digits (past 2**31: keep it as a
  string); `uuid` is base64 and may hold `/`. `start_time` is UTC with a `Z`,
  `duration` is in minutes, `join_url` carries the passcode (`?pwd=`).
- Errors are `{"code": <int>, "message": ...}`, validation errors add
  `"errors": [{"field", "message"}]`. Code 124 is an invalid or expired
  access token (HTTP 401); 4700-4799 are OAuth problems such as a token
  without the needed scopes; a 429 says in its message and in
  `X-RateLimit-Type` whether it is the per-second or the daily limit, and
  the daily one's `Retry-After` is an ISO 8601 time (next midnight UTC),
  not a number of seconds.
- Webhooks are `{"event": "meeting.started", "event_ts": <ms>, "payload":
  {"account_id", "object": {...}}}`; the `endpoint.url_validation` event
  carries `payload.plainToken` and must be answered, not stored.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from handoff_sdk import parse_retry_after, webhook_reply
from handoff_sdk.entities import Event, Meeting

__all__ = [
    "SCHEDULED_MEETING",
    "SOURCE",
    "daily_limit",
    "error_fields",
    "meeting_body",
    "meeting_from_zoom",
    "parse_time",
    "retry_after_seconds",
    "same_meeting",
    "url_validation_event",
    "webhook_events",
    "zoom_time",
]

SOURCE = "zoom"
"""The key of this system in an entity's `ids`, and the source of its events."""

SCHEDULED_MEETING = 2
"""Zoom's meeting `type` for a meeting at a fixed time."""

_TOPIC_MAX = 200
_AGENDA_MAX = 2000


def zoom_time(moment: datetime, field: str = "start") -> str:
    """A timezone-aware datetime as Zoom wants it: UTC, 'yyyy-MM-ddTHH:mm:ssZ'."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{SOURCE}: '{field}' must be timezone-aware, got {moment.isoformat()}")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: Any) -> datetime | None:
    """A Zoom time ('2026-01-06T15:00:00Z') as an aware datetime, or None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def meeting_body(
    meeting: Meeting, settings: Mapping[str, Any] | None = None, timezone: str = "UTC"
) -> dict[str, Any]:
    """The body of `POST /users/{userId}/meetings` for a booked meeting (rule Q12).

    A scheduled meeting (type 2) at the meeting's start, its length rounded
    up to whole minutes. `settings` (from the config) are passed through as
    Zoom's meeting settings, e.g. `{"waiting_room": true}`.
    """
    minutes = max(1, math.ceil((meeting.end - meeting.start).total_seconds() / 60))
    body: dict[str, Any] = {
        "topic": meeting.title[:_TOPIC_MAX],
        "type": SCHEDULED_MEETING,
        "start_time": zoom_time(meeting.start, "start"),
        "duration": minutes,
        "timezone": timezone,
        "agenda": f"{meeting.title} with {meeting.attendee_email}"[:_AGENDA_MAX],
    }
    if settings:
        body["settings"] = dict(settings)
    return body


def same_meeting(item: Mapping[str, Any], body: Mapping[str, Any]) -> bool:
    """Whether a listed meeting is the one `body` would create: same topic, start and length.

    This is how a retried booking finds the meeting an earlier attempt made:
    Zoom has no idempotency key, and a rep does not hold two meetings with
    the same topic at the same minute.
    """
    listed, wanted = parse_time(item.get("start_time")), parse_time(body.get("start_time"))
    return (
        listed is not None
        and listed == wanted
        and item.get("topic") == body.get("topic")
        and item.get("duration") == body.get("duration")
    )


def meeting_from_zoom(data: Mapping[str, Any], requested: Meeting) -> Meeting:
    """A Zoom meeting as the canonical Meeting: ids['zoom'] and the join link added.

    Zoom's start and duration win over the request's (they are what the
    meeting is); the request's other ids (none yet, usually) are kept.
    """
    start = parse_time(data.get("start_time")) or requested.start
    duration = data.get("duration")
    end = start + timedelta(minutes=duration) if isinstance(duration, int) else requested.end
    join_url = data.get("join_url")
    return Meeting(
        ids={**requested.ids, SOURCE: str(data["id"])},
        rep_id=requested.rep_id,
        attendee_email=requested.attendee_email,
        start=start,
        end=end,
        title=str(data.get("topic") or requested.title),
        join_url=str(join_url) if join_url else requested.join_url,
    )


def error_fields(body: Any) -> tuple[str | None, str | None]:
    """(code, message) of a Zoom error body, validation errors appended; Nones when not one.

    Also reads the OAuth endpoint's `{"reason", "error"}`.
    """
    if not isinstance(body, Mapping):
        return None, None
    code = body.get("code")
    message = body.get("message") or body.get("reason")
    if code is None and body.get("error") is not None:
        code = body["error"]
    details = [
        f"{e.get('field')}: {e.get('message')}"
        for e in body.get("errors") or []
        if isinstance(e, Mapping) and e.get("field")
    ]
    if message and details:
        message = f"{message} ({'; '.join(details)})"
    if code is None and message is None:
        return None, None
    return (str(code) if code is not None else None), (str(message) if message else None)


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from Zoom's Retry-After: seconds, an HTTP date, or ISO 8601 (daily limit)."""
    seconds = parse_retry_after(value, now)
    if seconds is not None or not value:
        return seconds
    when = parse_time(value.strip())
    return None if when is None else max(0.0, (when - now).total_seconds())


def daily_limit(headers: Mapping[str, str], message: str | None) -> bool:
    """Whether a 429 is a daily limit (wait for midnight UTC), not the per-second one."""
    kind = str(headers.get("x-ratelimit-type", "")).lower()
    return kind.startswith("daily") or "daily rate limit" in (message or "").lower()


def _epoch_ms(value: Any) -> datetime | None:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    seconds = value / 1000 if value > 1e11 else value
    return datetime.fromtimestamp(seconds, UTC)


def webhook_events(data: Any, body: bytes, signed_at: datetime) -> list[Event]:
    """A verified Zoom event as one canonical Event: type `zoom.<event>`.

    The dedupe key is the event name, the object's uuid (or id) and
    `event_ts`: Zoom re-sends the same body when a delivery is not
    acknowledged, and distinct events of one meeting differ in time.
    """
    if not isinstance(data, Mapping) or not isinstance(data.get("event"), str):
        raise ValueError(f"{SOURCE}: webhook body is not a Zoom event (no 'event')")
    name = str(data["event"])
    payload = data.get("payload")
    payload = dict(payload) if isinstance(payload, Mapping) else {}
    obj = payload.get("object")
    obj = obj if isinstance(obj, Mapping) else {}
    subject = obj.get("uuid") or obj.get("id")
    stamp = data.get("event_ts")
    if subject is not None and stamp is not None:
        key = f"{SOURCE}:{name}:{subject}:{stamp}"
    else:
        key = f"{SOURCE}:{name}:body:{hashlib.sha256(body).hexdigest()}"
    return [
        Event(
            type=f"{SOURCE}.{name}",
            source=SOURCE,
            dedupe_key=key,
            occurred_at=_epoch_ms(stamp) or signed_at,
            payload=payload,
        )
    ]


def url_validation_event(answer: Mapping[str, str], signed_at: datetime) -> Event:
    """The `endpoint.url_validation` challenge: the hub answers it with HTTP 200 and `answer`.

    Zoom expects `{"plainToken", "encryptedToken"}` back within 3 seconds; the
    SDK's webhook-reply event makes the hub send exactly that and store nothing.
    """
    return webhook_reply(
        answer,
        source=SOURCE,
        dedupe_key=f"{SOURCE}:endpoint.url_validation:{answer['plainToken']}:{signed_at.isoformat()}",
    )

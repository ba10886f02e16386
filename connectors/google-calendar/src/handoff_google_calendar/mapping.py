"""Google Calendar JSON read into canonical entities, and meetings written as events.

Pure functions, no I/O, so every shape Google is known to send is tested on
its own. The shapes worth knowing:

- `freeBusy` answers HTTP 200 even when it could not read a calendar: the
  failure is inside, as `calendars[<id>].errors: [{"domain", "reason"}]`
  (`notFound`, `internalError`, `backendError`, `groupTooBig`,
  `tooManyCalendarsRequested`), next to an empty `busy` list that must not
  be read as "free".
- Times are RFC 3339 (`2026-01-05T09:00:00Z`, `2024-03-01T00:00:00.000Z`);
  an all-day event has `start.date` instead of `start.dateTime`.
- An event id chosen by the client must use base32hex characters (`0-9`,
  `a-v`), 5 to 1024 of them, unique per calendar; inserting an id that
  exists answers 409 with reason `duplicate`.
- Errors: `{"error": {"code", "message", "errors": [{"domain", "reason",
  "message"}], "status"}}` from the API; `{"error": "invalid_grant",
  "error_description": ...}` from the token endpoint.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from handoff_sdk.entities import BusySlot, Meeting

__all__ = [
    "BOOKED_BY_PROPERTY",
    "IDEMPOTENCY_PROPERTY",
    "REP_PROPERTY",
    "SOURCE",
    "busy_slots",
    "error_reason",
    "event_id_for",
    "event_to_meeting",
    "freebusy_entry",
    "freebusy_errors",
    "freebusy_request",
    "is_empty_window",
    "meeting_to_event",
    "parse_time",
    "rfc3339",
]

SOURCE = "google-calendar"
"""The key of this system in an entity's `ids`."""

BOOKED_BY_PROPERTY = "handoff"
"""Private extended property set to "1" on every event handoff books (for listing them)."""
IDEMPOTENCY_PROPERTY = "handoff_idempotency_key"
"""Private extended property holding the idempotency key the event was booked with."""
REP_PROPERTY = "handoff_rep_id"
"""Private extended property holding the hub id of the rep."""

_EVENT_ID_PREFIX = "handoff"  # every letter is in base32hex's a-v


def rfc3339(moment: datetime, field: str = "time") -> str:
    """A timezone-aware datetime as Google wants it, in UTC: '2026-01-05T09:00:00Z'.

    A naive datetime is refused: guessing its zone would book the wrong hour.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{SOURCE}: '{field}' must be timezone-aware, got {moment.isoformat()}")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: Any) -> datetime | None:
    """An RFC 3339 time from Google ('2024-03-01T00:00:00.000Z') as an aware datetime, or None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _event_time(value: Any) -> datetime | None:
    """`start`/`end` of an event: `dateTime`, or an all-day `date` read as midnight UTC."""
    if not isinstance(value, Mapping):
        return None
    return parse_time(value.get("dateTime")) or parse_time(value.get("date"))


def is_empty_window(start: datetime, end: datetime) -> bool:
    """Whether [start, end) holds no time; both must be timezone-aware (ValueError if not)."""
    rfc3339(start, "start")
    rfc3339(end, "end")
    return end <= start


def freebusy_request(calendar_id: str, start: datetime, end: datetime) -> dict[str, Any]:
    """The body of `POST /calendar/v3/freeBusy` for one calendar, answered in UTC."""
    return {
        "timeMin": rfc3339(start, "start"),
        "timeMax": rfc3339(end, "end"),
        "timeZone": "UTC",
        "items": [{"id": calendar_id}],
    }


def freebusy_entry(body: Any, calendar_id: str) -> Mapping[str, Any] | None:
    """The answer for one calendar in a freeBusy response (ids compared without case)."""
    calendars = body.get("calendars") if isinstance(body, Mapping) else None
    if not isinstance(calendars, Mapping):
        return None
    entry = calendars.get(calendar_id)
    if entry is None:
        wanted = calendar_id.lower()
        entry = next((v for k, v in calendars.items() if str(k).lower() == wanted), None)
    return entry if isinstance(entry, Mapping) else None


def freebusy_errors(body: Any) -> list[tuple[str, str]]:
    """(calendar id, reason) for every calendar freeBusy could not read; [] when all were read."""
    calendars = body.get("calendars") if isinstance(body, Mapping) else None
    if not isinstance(calendars, Mapping):
        return []
    found: list[tuple[str, str]] = []
    for calendar_id, entry in calendars.items():
        errors = entry.get("errors") if isinstance(entry, Mapping) else None
        for error in errors if isinstance(errors, list) else []:
            if isinstance(error, Mapping):
                found.append((str(calendar_id), str(error.get("reason") or "unknown")))
    return found


def busy_slots(entry: Mapping[str, Any], start: datetime, end: datetime) -> list[BusySlot]:
    """The calendar's busy periods within [start, end), sorted, overlaps merged (rule Q3).

    Google lists each busy event's period, so back-to-back or overlapping
    meetings come as separate, possibly unsorted periods; availability wants
    the union. Periods are clipped to the window asked for.
    """
    periods: list[tuple[datetime, datetime]] = []
    for item in entry.get("busy") or []:
        if not isinstance(item, Mapping):
            continue
        begin, finish = parse_time(item.get("start")), parse_time(item.get("end"))
        if begin is None or finish is None:
            continue
        begin, finish = max(begin, start), min(finish, end)
        if begin < finish:
            periods.append((begin, finish))
    periods.sort()
    merged: list[tuple[datetime, datetime]] = []
    for begin, finish in periods:
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], finish))
        else:
            merged.append((begin, finish))
    return [BusySlot(start=b.astimezone(UTC), end=f.astimezone(UTC)) for b, f in merged]


def event_id_for(idempotency_key: str) -> str:
    """The event id of a booking: the same key always gives the same id (idempotent booking).

    'handoff' + the SHA-256 of the key in lower-case base32hex (`0-9a-v`),
    59 characters: inside Google's rules for client-supplied ids, and the
    key itself (which may hold anything) never reaches the id.
    """
    digest = hashlib.sha256(idempotency_key.encode("utf-8")).digest()
    return _EVENT_ID_PREFIX + base64.b32hexencode(digest).decode("ascii").rstrip("=").lower()


def _description(meeting: Meeting) -> str:
    lines = []
    if meeting.join_url:
        lines.append(f"Join the video call: {meeting.join_url}")
    lines.append(f"Booked by handoff for {meeting.attendee_email}.")
    return "\n\n".join(lines)


def meeting_to_event(
    meeting: Meeting, event_id: str, idempotency_key: str, *, timezone: str | None = None
) -> dict[str, Any]:
    """The event body of `events.insert` for a meeting (rule Q12).

    The visitor is the one attendee (the calendar's owner, the rep, is the
    organizer). The join link goes into the location, which calendar apps
    show as a link, and into the description. Private extended properties
    record that handoff booked it, with which key and for which rep.
    """
    start: dict[str, str] = {"dateTime": rfc3339(meeting.start, "start")}
    end: dict[str, str] = {"dateTime": rfc3339(meeting.end, "end")}
    if timezone:
        start["timeZone"] = end["timeZone"] = timezone
    event: dict[str, Any] = {
        "id": event_id,
        "summary": meeting.title,
        "description": _description(meeting),
        "start": start,
        "end": end,
        "attendees": [{"email": meeting.attendee_email}],
        "extendedProperties": {
            "private": {
                BOOKED_BY_PROPERTY: "1",
                IDEMPOTENCY_PROPERTY: idempotency_key,
                REP_PROPERTY: meeting.rep_id,
            }
        },
    }
    if meeting.join_url:
        event["location"] = meeting.join_url
    return event


def _join_url(event: Mapping[str, Any]) -> str | None:
    location = event.get("location")
    if isinstance(location, str) and location.startswith(("https://", "http://")):
        return location
    link = event.get("hangoutLink")
    return link if isinstance(link, str) and link else None


def _private(event: Mapping[str, Any]) -> Mapping[str, Any]:
    props = event.get("extendedProperties")
    private = props.get("private") if isinstance(props, Mapping) else None
    return private if isinstance(private, Mapping) else {}


def event_to_meeting(event: Mapping[str, Any], requested: Meeting | None = None) -> Meeting:
    """An event as the canonical Meeting, with its id under ids['google-calendar'].

    The event's own times, title and link win over the request's, since the
    event is what is on the calendar (a 409 duplicate returns the event an
    earlier call booked). Ids from other systems on the request (the Zoom
    meeting's) are kept.
    """
    attendees = [
        a
        for a in event.get("attendees") or []
        if isinstance(a, Mapping)
        and not a.get("organizer")
        and not a.get("self")
        and a.get("email")
    ]
    private = _private(event)
    ids = dict(requested.ids) if requested is not None else {}
    ids[SOURCE] = str(event["id"])
    start = _event_time(event.get("start")) or (requested.start if requested else None)
    end = _event_time(event.get("end")) or (requested.end if requested else None)
    rep_id = private.get(REP_PROPERTY) or (requested.rep_id if requested else None)
    attendee = (
        requested.attendee_email if requested else (attendees[0]["email"] if attendees else None)
    )
    if start is None or end is None or not rep_id or not attendee:
        raise ValueError(f"{SOURCE}: event {event.get('id')} lacks a start, end, rep or attendee")
    return Meeting(
        ids=ids,
        rep_id=str(rep_id),
        attendee_email=str(attendee),
        start=start,
        end=end,
        title=str(event.get("summary") or (requested.title if requested else "Meeting")),
        join_url=_join_url(event) or (requested.join_url if requested else None),
    )


def error_reason(body: Any) -> tuple[str | None, str | None]:
    """(reason, message) of a Google error body: the first `errors[].reason`, else `status`.

    Reads the API shape `{"error": {"code", "message", "errors": [...],
    "status"}}` and the token endpoint's `{"error", "error_description"}`;
    (None, None) for anything else (an HTML page, a plain-text 429).
    """
    if not isinstance(body, Mapping):
        return None, None
    error = body.get("error")
    if isinstance(error, str):
        description = body.get("error_description")
        return error, str(description) if description else error
    if not isinstance(error, Mapping):
        return None, None
    reason: str | None = None
    for item in error.get("errors") or []:
        if isinstance(item, Mapping) and item.get("reason"):
            reason = str(item["reason"])
            break
    if reason is None and error.get("status"):
        reason = str(error["status"])
    message = error.get("message")
    return reason, str(message) if message else None

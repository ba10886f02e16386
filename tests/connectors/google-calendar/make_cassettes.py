"""Write the Google Calendar cassettes under cassettes/google-calendar/: run by hand, commit the output.

    .venv/bin/python tests/connectors/google-calendar/make_cassettes.py

The shapes follow what Calendar API v3 really returns (freeBusy with
`calendars[id].busy` / `.errors`, events with client-chosen ids, the 409
`duplicate`, 403 `rateLimitExceeded` and `quotaExceeded`, events.list pages
linked by `nextPageToken`, the token endpoint's `invalid_grant`); every value
is synthetic: example.com people, made-up etags and page tokens. URIs are
built with httpx; the SDK's cassette writer scrubs them exactly as the cassette
transport scrubs a live request, so replay matches them.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from gcal_cases import BOOK_KEY, CANCELLED_KEY, JOIN_URL, MEETING, REP_EMAIL, TOKEN_URL, VISITOR
from handoff_google_calendar.mapping import (
    BOOKED_BY_PROPERTY,
    IDEMPOTENCY_PROPERTY,
    REP_PROPERTY,
    event_id_for,
    meeting_to_event,
)

from handoff_sdk.testing.cassettes import cassette_interaction, write_cassette

API = "https://www.googleapis.com/calendar/v3"
OUT = Path(__file__).resolve().parents[3] / "cassettes" / "google-calendar"
JSON_HEADERS = {"Content-Type": ["application/json; charset=UTF-8"], "Server": ["ESF"]}


def uri(path: str, params: dict[str, Any] | None = None) -> str:
    return str(httpx.URL(API + path, params=params))


def events_path(calendar: str, event_id: str | None = None) -> str:
    path = f"/calendars/{quote(calendar, safe='')}/events"
    return path + (f"/{event_id}" if event_id else "")


# Every Calendar API answer in these cassettes is JSON with the same headers.
interaction = partial(cassette_interaction, response_headers=JSON_HEADERS)


def token(status: int = 200, answer: dict[str, Any] | None = None) -> dict[str, Any]:
    """A token exchange: the JWT assertion (or refresh token) is redacted, so is the answer."""
    answer = answer or {"access_token": "REDACTED", "expires_in": 3599, "token_type": "Bearer"}
    return interaction(
        "POST",
        TOKEN_URL,
        request_body="grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer"
        "&assertion=REDACTED",
        request_headers={"Content-Type": "application/x-www-form-urlencoded"},
        status=status,
        response_body=answer,
    )


def google_error(code: int, reason: str, message: str, domain: str = "global") -> dict[str, Any]:
    return {
        "error": {
            "errors": [{"domain": domain, "reason": reason, "message": message}],
            "code": code,
            "message": message,
        }
    }


# -- synthetic records -------------------------------------------------------------

WINDOW = {"timeMin": "2026-01-05T09:00:00Z", "timeMax": "2026-01-05T17:00:00Z", "timeZone": "UTC"}


def freebusy(calendars: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": "calendar#freeBusy",
        "timeMin": "2026-01-05T09:00:00.000Z",
        "timeMax": "2026-01-05T17:00:00.000Z",
        "calendars": calendars,
    }


def event(
    key: str,
    *,
    start: str = "2026-01-06T15:00:00Z",
    end: str = "2026-01-06T15:30:00Z",
    summary: str = "Acme x Pat Lee: pricing",
    status: str = "confirmed",
    rep_id: str = "rep-ana",
    attendee: str = VISITOR,
) -> dict[str, Any]:
    event_id = event_id_for(key)
    return {
        "kind": "calendar#event",
        "etag": '"3520000000000000"',
        "id": event_id,
        "status": status,
        "htmlLink": f"https://calendar.example.test/event?eid={event_id}",
        "created": "2026-01-05T09:00:01.000Z",
        "updated": "2026-01-05T09:00:01.420Z",
        "summary": summary,
        "description": f"Join the video call: {JOIN_URL}\n\nBooked by handoff for {attendee}.",
        "location": JOIN_URL,
        "creator": {"email": REP_EMAIL, "self": True},
        "organizer": {"email": REP_EMAIL, "self": True},
        "start": {"dateTime": start, "timeZone": "UTC"},
        "end": {"dateTime": end, "timeZone": "UTC"},
        "iCalUID": f"{event_id}@google.com",
        "sequence": 0,
        "attendees": [
            {"email": REP_EMAIL, "organizer": True, "self": True, "responseStatus": "accepted"},
            {"email": attendee, "responseStatus": "needsAction"},
        ],
        "extendedProperties": {
            "private": {BOOKED_BY_PROPERTY: "1", IDEMPOTENCY_PROPERTY: key, REP_PROPERTY: rep_id}
        },
        "reminders": {"useDefault": True},
        "eventType": "default",
    }


def main() -> None:
    busy_ok = freebusy(
        {
            REP_EMAIL: {
                "busy": [
                    {"start": "2026-01-05T09:30:00Z", "end": "2026-01-05T11:00:00Z"},
                    {"start": "2026-01-05T13:00:00Z", "end": "2026-01-05T14:00:00Z"},
                ]
            }
        }
    )
    request = {**WINDOW, "items": [{"id": REP_EMAIL}]}
    write_cassette(
        OUT / "rep_busy.yaml",
        [
            token(),
            interaction("POST", uri("/freeBusy"), request_body=request, response_body=busy_ok),
        ],
    )
    gone = "gone.rep@example.com"
    write_cassette(
        OUT / "rep_busy_not_found.yaml",
        [
            token(),
            interaction(
                "POST",
                uri("/freeBusy"),
                request_body={**WINDOW, "items": [{"id": gone}]},
                response_body=freebusy(
                    {gone: {"errors": [{"domain": "global", "reason": "notFound"}], "busy": []}}
                ),
            ),
        ],
    )
    write_cassette(
        OUT / "rep_busy_backend_error.yaml",
        [
            token(),
            interaction(
                "POST",
                uri("/freeBusy"),
                request_body=request,
                response_body=freebusy(
                    {
                        REP_EMAIL: {
                            "errors": [{"domain": "global", "reason": "backendError"}],
                            "busy": [],
                        }
                    }
                ),
            ),
            interaction("POST", uri("/freeBusy"), request_body=request, response_body=busy_ok),
        ],
    )
    write_cassette(
        OUT / "rep_busy_rate_limited.yaml",
        [
            token(),
            interaction(
                "POST",
                uri("/freeBusy"),
                request_body=request,
                status=403,
                response_body=google_error(
                    403, "rateLimitExceeded", "Rate Limit Exceeded", "usageLimits"
                ),
            ),
            interaction(
                "POST",
                uri("/freeBusy"),
                request_body=request,
                status=403,
                response_body=google_error(
                    403, "userRateLimitExceeded", "User Rate Limit Exceeded", "usageLimits"
                ),
            ),
            interaction("POST", uri("/freeBusy"), request_body=request, response_body=busy_ok),
        ],
    )
    write_cassette(
        OUT / "rep_busy_quota_exceeded.yaml",
        [
            token(),
            interaction(
                "POST",
                uri("/freeBusy"),
                request_body=request,
                status=403,
                response_body=google_error(
                    403, "quotaExceeded", "Calendar usage limits exceeded.", "usageLimits"
                ),
            ),
        ],
    )
    insert = uri(events_path(REP_EMAIL), {"sendUpdates": "all"})
    sent = meeting_to_event(MEETING, event_id_for(BOOK_KEY), BOOK_KEY)
    write_cassette(
        OUT / "book_meeting.yaml",
        [
            token(),
            interaction("POST", insert, request_body=sent, response_body=event(BOOK_KEY)),
        ],
    )
    duplicate = google_error(409, "duplicate", "The requested identifier already exists.")
    write_cassette(
        OUT / "book_meeting_twice.yaml",
        [
            token(),
            interaction("POST", insert, request_body=sent, response_body=event(BOOK_KEY)),
            interaction("POST", insert, request_body=sent, status=409, response_body=duplicate),
            interaction(
                "GET",
                uri(events_path(REP_EMAIL, event_id_for(BOOK_KEY))),
                response_body=event(BOOK_KEY),
            ),
        ],
    )
    write_cassette(
        OUT / "book_meeting_duplicate.yaml",
        [
            token(),
            interaction("POST", insert, request_body=sent, status=409, response_body=duplicate),
            interaction(
                "GET",
                uri(events_path(REP_EMAIL, event_id_for(BOOK_KEY))),
                response_body=event(BOOK_KEY),
            ),
        ],
    )
    write_cassette(
        OUT / "book_meeting_cancelled.yaml",
        [
            token(),
            interaction(
                "POST",
                insert,
                request_body=meeting_to_event(MEETING, event_id_for(CANCELLED_KEY), CANCELLED_KEY),
                status=409,
                response_body=duplicate,
            ),
            interaction(
                "GET",
                uri(events_path(REP_EMAIL, event_id_for(CANCELLED_KEY))),
                response_body=event(CANCELLED_KEY, status="cancelled"),
            ),
        ],
    )
    list_params = {
        "timeMin": "2026-01-05T00:00:00Z",
        "timeMax": "2026-01-10T00:00:00Z",
        "singleEvents": "true",
        "orderBy": "startTime",
        "maxResults": 2,
        "privateExtendedProperty": f"{BOOKED_BY_PROPERTY}=1",
    }
    page_token = "CigKGmJvb2stY29udi0wMDAyEgoIgICAgICAgICAARgBGICA"
    first_page = {
        "kind": "calendar#events",
        "etag": '"p33example0001"',
        "summary": REP_EMAIL,
        "updated": "2026-01-05T09:00:01.420Z",
        "timeZone": "UTC",
        "accessRole": "owner",
        "defaultReminders": [{"method": "popup", "minutes": 10}],
        "nextPageToken": page_token,
        "items": [
            event(BOOK_KEY),
            event(
                CANCELLED_KEY,
                start="2026-01-07T10:00:00Z",
                end="2026-01-07T10:30:00Z",
                status="cancelled",
            ),
        ],
    }
    second_page = {
        **{k: v for k, v in first_page.items() if k != "nextPageToken"},
        "etag": '"p33example0002"',
        "nextSyncToken": "CPDAlvWDx70CEPDAlvWDx70CGAU=",
        "items": [
            event(
                "book-conv-0003",
                start="2026-01-08T16:00:00Z",
                end="2026-01-08T16:45:00Z",
                summary="Acme x Jo Kim: demo",
                attendee="jo.kim@globex.example",
            )
        ],
    }
    write_cassette(
        OUT / "list_booked_meetings.yaml",
        [
            token(),
            interaction(
                "GET",
                uri(events_path(REP_EMAIL), list_params),
                response_body=first_page,
            ),
            interaction(
                "GET",
                uri(events_path(REP_EMAIL), {**list_params, "pageToken": page_token}),
                response_body=second_page,
            ),
        ],
    )
    refused = {"error": "invalid_grant", "error_description": "Invalid email or User ID"}
    write_cassette(OUT / "token_refused.yaml", [token(400, refused)])


if __name__ == "__main__":
    main()

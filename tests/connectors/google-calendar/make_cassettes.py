"""Write the Google Calendar cassettes under cassettes/google-calendar/: run by hand, commit the output.

    .venv/bin/python tests/connectors/google-calendar/make_cassettes.py

The shapes follow what Calendar API v3 really returns (freeBusy with
`calendars[id].busy` / `.errors`, events with client-chosen ids, the 409
`duplicate`, 403 `rateLimitExceeded` and `quotaExceeded`, events.list pages
linked by `nextPageToken`, the token endpoint's `invalid_grant`); every value
is synthetic: example.com people, made-up etags and page tokens. URIs are
built with httpx and scrubbed exactly as the cassette transport scrubs a live
request, so replay matches them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import yaml
from gcal_cases import BOOK_KEY, CANCELLED_KEY, JOIN_URL, MEETING, REP_EMAIL, TOKEN_URL, VISITOR
from handoff_google_calendar.mapping import (
    BOOKED_BY_PROPERTY,
    IDEMPOTENCY_PROPERTY,
    REP_PROPERTY,
    event_id_for,
    meeting_to_event,
)

from handoff_sdk.testing.scrub import scrub_url

API = "https://www.googleapis.com/calendar/v3"
OUT = Path(__file__).resolve().parents[3] / "cassettes" / "google-calendar"
JSON_HEADERS = {"Content-Type": ["application/json; charset=UTF-8"], "Server": ["ESF"]}


def uri(path: str, params: dict[str, Any] | None = None) -> str:
    return scrub_url(str(httpx.URL(API + path, params=params)))


def events_path(calendar: str, event_id: str | None = None) -> str:
    path = f"/calendars/{quote(calendar, safe='')}/events"
    return path + (f"/{event_id}" if event_id else "")


def interaction(
    method: str,
    url: str,
    status: int,
    body: Any,
    *,
    request_body: Any = None,
    headers: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    request: dict[str, Any] = {
        "method": method,
        "uri": url,
        "body": None if request_body is None else json.dumps(request_body, separators=(",", ":")),
        "headers": {"Content-Type": ["application/json"]} if request_body is not None else {},
    }
    return {
        "request": request,
        "response": {
            "status": {"code": status, "message": httpx.codes.get_reason_phrase(status)},
            "headers": {**JSON_HEADERS, **(headers or {})},
            "body": {"string": json.dumps(body, separators=(",", ":"))},
        },
    }


def token() -> dict[str, Any]:
    """A token exchange: the JWT assertion (or refresh token) is redacted, so is the answer."""
    return {
        "request": {
            "method": "POST",
            "uri": TOKEN_URL,
            "body": "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer"
            "&assertion=REDACTED",
            "headers": {"Content-Type": ["application/x-www-form-urlencoded"]},
        },
        "response": {
            "status": {"code": 200, "message": "OK"},
            "headers": JSON_HEADERS,
            "body": {
                "string": json.dumps(
                    {"access_token": "REDACTED", "expires_in": 3599, "token_type": "Bearer"},
                    separators=(",", ":"),
                )
            },
        },
    }


def google_error(code: int, reason: str, message: str, domain: str = "global") -> dict[str, Any]:
    return {
        "error": {
            "errors": [{"domain": domain, "reason": reason, "message": message}],
            "code": code,
            "message": message,
        }
    }


class _NoAliases(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


def save(name: str, interactions: list[dict[str, Any]]) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    data = {"interactions": interactions, "version": 1}
    text = yaml.dump(data, Dumper=_NoAliases, sort_keys=False, width=100)
    (OUT / f"{name}.yaml").write_text(text)


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
    save(
        "rep_busy",
        [token(), interaction("POST", uri("/freeBusy"), 200, busy_ok, request_body=request)],
    )
    gone = "gone.rep@example.com"
    save(
        "rep_busy_not_found",
        [
            token(),
            interaction(
                "POST",
                uri("/freeBusy"),
                200,
                freebusy(
                    {gone: {"errors": [{"domain": "global", "reason": "notFound"}], "busy": []}}
                ),
                request_body={**WINDOW, "items": [{"id": gone}]},
            ),
        ],
    )
    save(
        "rep_busy_backend_error",
        [
            token(),
            interaction(
                "POST",
                uri("/freeBusy"),
                200,
                freebusy(
                    {
                        REP_EMAIL: {
                            "errors": [{"domain": "global", "reason": "backendError"}],
                            "busy": [],
                        }
                    }
                ),
                request_body=request,
            ),
            interaction("POST", uri("/freeBusy"), 200, busy_ok, request_body=request),
        ],
    )
    save(
        "rep_busy_rate_limited",
        [
            token(),
            interaction(
                "POST",
                uri("/freeBusy"),
                403,
                google_error(403, "rateLimitExceeded", "Rate Limit Exceeded", "usageLimits"),
                request_body=request,
            ),
            interaction(
                "POST",
                uri("/freeBusy"),
                403,
                google_error(
                    403, "userRateLimitExceeded", "User Rate Limit Exceeded", "usageLimits"
                ),
                request_body=request,
            ),
            interaction("POST", uri("/freeBusy"), 200, busy_ok, request_body=request),
        ],
    )
    save(
        "rep_busy_quota_exceeded",
        [
            token(),
            interaction(
                "POST",
                uri("/freeBusy"),
                403,
                google_error(
                    403, "quotaExceeded", "Calendar usage limits exceeded.", "usageLimits"
                ),
                request_body=request,
            ),
        ],
    )
    insert = uri(events_path(REP_EMAIL), {"sendUpdates": "all"})
    sent = meeting_to_event(MEETING, event_id_for(BOOK_KEY), BOOK_KEY)
    save(
        "book_meeting",
        [token(), interaction("POST", insert, 200, event(BOOK_KEY), request_body=sent)],
    )
    duplicate = google_error(409, "duplicate", "The requested identifier already exists.")
    save(
        "book_meeting_twice",
        [
            token(),
            interaction("POST", insert, 200, event(BOOK_KEY), request_body=sent),
            interaction("POST", insert, 409, duplicate, request_body=sent),
            interaction(
                "GET", uri(events_path(REP_EMAIL, event_id_for(BOOK_KEY))), 200, event(BOOK_KEY)
            ),
        ],
    )
    save(
        "book_meeting_duplicate",
        [
            token(),
            interaction("POST", insert, 409, duplicate, request_body=sent),
            interaction(
                "GET", uri(events_path(REP_EMAIL, event_id_for(BOOK_KEY))), 200, event(BOOK_KEY)
            ),
        ],
    )
    save(
        "book_meeting_cancelled",
        [
            token(),
            interaction(
                "POST",
                insert,
                409,
                duplicate,
                request_body=meeting_to_event(MEETING, event_id_for(CANCELLED_KEY), CANCELLED_KEY),
            ),
            interaction(
                "GET",
                uri(events_path(REP_EMAIL, event_id_for(CANCELLED_KEY))),
                200,
                event(CANCELLED_KEY, status="cancelled"),
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
    save(
        "list_booked_meetings",
        [
            token(),
            interaction("GET", uri(events_path(REP_EMAIL), list_params), 200, first_page),
            interaction(
                "GET",
                uri(events_path(REP_EMAIL), {**list_params, "pageToken": page_token}),
                200,
                second_page,
            ),
        ],
    )
    refused = token()
    refused["response"] = {
        "status": {"code": 400, "message": "Bad Request"},
        "headers": JSON_HEADERS,
        "body": {
            "string": json.dumps(
                {"error": "invalid_grant", "error_description": "Invalid email or User ID"},
                separators=(",", ":"),
            )
        },
    }
    save("token_refused", [refused])


if __name__ == "__main__":
    main()

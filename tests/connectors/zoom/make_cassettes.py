"""Write the Zoom cassettes under cassettes/zoom/: run by hand, commit the output.

    .venv/bin/python tests/connectors/zoom/make_cassettes.py

The shapes follow what Zoom's API really returns (the account_credentials
token, meetings listed with `next_page_token` ("" on the last page), a
created meeting with numeric `id`, `join_url` and settings, errors as
`{"code", "message"}`: 124 invalid token, 1001 unknown user, the per-second
and the daily 429); every value is synthetic: example.com people, made-up
ids, uuids, passcodes and page tokens. URIs are built with httpx; the SDK's
cassette writer scrubs them exactly as the cassette transport scrubs a live request.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from handoff_zoom.mapping import meeting_body
from zoom_cases import ACCOUNT_ID, JOIN_URL, MEETING, MEETING_ID, REP_EMAIL

from handoff_sdk.testing.cassettes import cassette_interaction, write_cassette

API = "https://api.zoom.us/v2"
TOKEN_URL = "https://zoom.us/oauth/token"
OUT = Path(__file__).resolve().parents[3] / "cassettes" / "zoom"
JSON_HEADERS = {"Content-Type": ["application/json;charset=UTF-8"]}
MEDIUM = {
    **JSON_HEADERS,
    "x-ratelimit-category": ["Medium"],
    "x-ratelimit-limit": ["20"],
    "x-ratelimit-remaining": ["19"],
}


def uri(path: str, params: dict[str, Any] | None = None) -> str:
    return str(httpx.URL(API + path, params=params))


# Every Zoom answer in these cassettes is JSON; calls that pass headers start from these.
interaction = partial(cassette_interaction, response_headers=JSON_HEADERS)


def token(status: int = 200, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """The account_credentials grant; basic auth and the token itself are redacted."""
    answer = body or {
        "access_token": "REDACTED",
        "token_type": "bearer",
        "expires_in": 3599,
        "scope": "meeting:read:list_meetings:admin meeting:write:meeting:admin",
        "api_url": "https://api.zoom.us",
    }
    return interaction(
        "POST",
        TOKEN_URL,
        request_body=f"grant_type=account_credentials&account_id={ACCOUNT_ID}",
        request_headers={
            "Authorization": "REDACTED",
            "Content-Type": "application/x-www-form-urlencoded",
        },
        status=status,
        response_body=answer,
    )


# -- synthetic records -------------------------------------------------------------


def listed(meeting_id: int, topic: str, start: str, duration: int = 30) -> dict[str, Any]:
    return {
        "uuid": f"c3ludGhldGljLXV1aWQt{meeting_id % 100:02d}==",
        "id": meeting_id,
        "host_id": "SyntheticHost01",
        "topic": topic,
        "type": 2,
        "start_time": start,
        "duration": duration,
        "timezone": "UTC",
        "created_at": "2026-01-05T08:30:00Z",
        "join_url": f"https://us05web.zoom.example/j/{meeting_id}?pwd=c3ludGhldGljcGFzc2NvZGU.1",
    }


def created() -> dict[str, Any]:
    return {
        "uuid": "c3ludGhldGljLXV1aWQtMDE=",
        "id": MEETING_ID,
        "host_id": "SyntheticHost01",
        "host_email": REP_EMAIL,
        "topic": MEETING.title,
        "type": 2,
        "status": "waiting",
        "start_time": "2026-01-06T15:00:00Z",
        "duration": 30,
        "timezone": "UTC",
        "agenda": f"{MEETING.title} with {MEETING.attendee_email}",
        "created_at": "2026-01-05T09:00:01Z",
        "start_url": f"https://us05web.zoom.example/s/{MEETING_ID}?zak=REDACTED",
        "join_url": JOIN_URL,
        "password": "REDACTED",
        "h323_password": "REDACTED",
        "pstn_password": "REDACTED",
        "encrypted_password": "REDACTED",
        "settings": {
            "host_video": True,
            "participant_video": True,
            "join_before_host": False,
            "mute_upon_entry": False,
            "waiting_room": True,
            "approval_type": 2,
            "audio": "voip",
            "auto_recording": "none",
            "meeting_authentication": False,
            "encryption_type": "enhanced_encryption",
        },
        "creation_source": "open_api",
        "pre_schedule": False,
    }


def page(meetings: list[dict[str, Any]], next_token: str = "") -> dict[str, Any]:
    return {
        "page_size": 300,
        "total_records": len(meetings),
        "next_page_token": next_token,
        "meetings": meetings,
    }


def main() -> None:
    meetings = f"/users/{quote(REP_EMAIL, safe='')}/meetings"
    list_params = {"type": "scheduled", "page_size": 300, "from": "2026-01-06", "to": "2026-01-06"}
    list_uri = uri(meetings, list_params)
    body = meeting_body(MEETING, {"waiting_room": True, "join_before_host": False})
    create = interaction(
        "POST",
        uri(meetings),
        request_body=body,
        status=201,
        response_body=created(),
        response_headers=MEDIUM,
    )
    empty = interaction("GET", list_uri, response_body=page([]), response_headers=MEDIUM)
    write_cassette(OUT / "book_meeting.yaml", [token(), empty, create])

    other_day = listed(85550000001, "Weekly pipeline review", "2026-01-06T09:00:00Z", 45)
    same_topic_other_time = listed(85550000002, MEETING.title, "2026-01-06T17:00:00Z")
    page_token = "c3ludGhldGljUGFnZVRva2VuMDI"
    write_cassette(
        OUT / "book_meeting_reused.yaml",
        [
            token(),
            interaction(
                "GET",
                list_uri,
                response_body=page([other_day, same_topic_other_time], page_token),
                response_headers=MEDIUM,
            ),
            interaction(
                "GET",
                uri(meetings, {**list_params, "next_page_token": page_token}),
                response_body=page([listed(MEETING_ID, MEETING.title, "2026-01-06T15:00:00Z")]),
                response_headers=MEDIUM,
            ),
        ],
    )
    daily = {
        "code": 429,
        "message": "You have exceeded the daily rate limit (100) of Meeting Create/Update API "
        "requests permitted for this particular user. You may resume these requests at GMT "
        "00:00:00.",
    }
    write_cassette(
        OUT / "book_meeting_daily_limit.yaml",
        [
            token(),
            empty,
            interaction(
                "POST",
                uri(meetings),
                request_body=body,
                status=429,
                response_body=daily,
                response_headers={
                    **JSON_HEADERS,
                    "x-ratelimit-category": ["Medium"],
                    "x-ratelimit-type": ["Daily-limit"],
                    "x-ratelimit-limit": ["100"],
                    "x-ratelimit-remaining": ["0"],
                    "Retry-After": ["2026-01-06T00:00:00Z"],
                },
            ),
        ],
    )
    per_second = {
        "code": 429,
        "message": "You have reached the maximum per-second rate limit for this API. Try again later.",
    }
    write_cassette(
        OUT / "book_meeting_per_second_limit.yaml",
        [
            token(),
            interaction(
                "GET",
                list_uri,
                status=429,
                response_body=per_second,
                response_headers={
                    **JSON_HEADERS,
                    "x-ratelimit-category": ["Medium"],
                    "x-ratelimit-type": ["QPS"],
                },
            ),
            empty,
            create,
        ],
    )
    write_cassette(
        OUT / "book_meeting_invalid_token.yaml",
        [
            token(),
            interaction(
                "GET",
                list_uri,
                status=401,
                response_body={"code": 124, "message": "Invalid access token."},
            ),
            token(),
            empty,
            create,
        ],
    )
    gone = "gone.rep@example.com"
    write_cassette(
        OUT / "book_meeting_unknown_user.yaml",
        [
            token(),
            interaction(
                "GET",
                uri(f"/users/{quote(gone, safe='')}/meetings", list_params),
                status=404,
                response_body={"code": 1001, "message": f"User does not exist: {gone}."},
            ),
        ],
    )
    write_cassette(
        OUT / "token_refused.yaml",
        [token(400, {"reason": "Invalid client_id or client_secret", "error": "invalid_client"})],
    )
    write_cassette(OUT / "webhook.yaml", [])


if __name__ == "__main__":
    main()

"""Write the Zoom cassettes under cassettes/zoom/: run by hand, commit the output.

    .venv/bin/python tests/connectors/zoom/make_cassettes.py

The shapes follow what Zoom's API really returns (the account_credentials
token, meetings listed with `next_page_token` ("" on the last page), a
created meeting with numeric `id`, `join_url` and settings, errors as
`{"code", "message"}`: 124 invalid token, 1001 unknown user, the per-second
and the daily 429); every value is synthetic: example.com people, made-up
ids, uuids, passcodes and page tokens. URIs are built with httpx and
scrubbed exactly as the cassette transport scrubs a live request.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import yaml
from handoff_zoom.mapping import meeting_body
from zoom_cases import ACCOUNT_ID, JOIN_URL, MEETING, MEETING_ID, REP_EMAIL

from handoff_sdk.testing.scrub import scrub_url

API = "https://api.zoom.us/v2"
TOKEN_URL = "https://zoom.us/oauth/token"
OUT = Path(__file__).resolve().parents[3] / "cassettes" / "zoom"
JSON_HEADERS = {"Content-Type": ["application/json;charset=UTF-8"]}
MEDIUM = {
    "x-ratelimit-category": ["Medium"],
    "x-ratelimit-limit": ["20"],
    "x-ratelimit-remaining": ["19"],
}


def uri(path: str, params: dict[str, Any] | None = None) -> str:
    return scrub_url(str(httpx.URL(API + path, params=params)))


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


def token(status: int = 200, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """The account_credentials grant; basic auth and the token itself are redacted."""
    answer = body or {
        "access_token": "REDACTED",
        "token_type": "bearer",
        "expires_in": 3599,
        "scope": "meeting:read:list_meetings:admin meeting:write:meeting:admin",
        "api_url": "https://api.zoom.us",
    }
    return {
        "request": {
            "method": "POST",
            "uri": TOKEN_URL,
            "body": f"grant_type=account_credentials&account_id={ACCOUNT_ID}",
            "headers": {
                "Authorization": ["REDACTED"],
                "Content-Type": ["application/x-www-form-urlencoded"],
            },
        },
        "response": {
            "status": {"code": status, "message": httpx.codes.get_reason_phrase(status)},
            "headers": JSON_HEADERS,
            "body": {"string": json.dumps(answer, separators=(",", ":"))},
        },
    }


class _NoAliases(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


def save(name: str, interactions: list[dict[str, Any]]) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    data = {"interactions": interactions, "version": 1}
    (OUT / f"{name}.yaml").write_text(
        yaml.dump(data, Dumper=_NoAliases, sort_keys=False, width=100)
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
    create = interaction("POST", uri(meetings), 201, created(), request_body=body, headers=MEDIUM)
    empty = interaction("GET", list_uri, 200, page([]), headers=MEDIUM)
    save("book_meeting", [token(), empty, create])

    other_day = listed(85550000001, "Weekly pipeline review", "2026-01-06T09:00:00Z", 45)
    same_topic_other_time = listed(85550000002, MEETING.title, "2026-01-06T17:00:00Z")
    page_token = "c3ludGhldGljUGFnZVRva2VuMDI"
    save(
        "book_meeting_reused",
        [
            token(),
            interaction(
                "GET",
                list_uri,
                200,
                page([other_day, same_topic_other_time], page_token),
                headers=MEDIUM,
            ),
            interaction(
                "GET",
                uri(meetings, {**list_params, "next_page_token": page_token}),
                200,
                page([listed(MEETING_ID, MEETING.title, "2026-01-06T15:00:00Z")]),
                headers=MEDIUM,
            ),
        ],
    )
    daily = {
        "code": 429,
        "message": "You have exceeded the daily rate limit (100) of Meeting Create/Update API "
        "requests permitted for this particular user. You may resume these requests at GMT "
        "00:00:00.",
    }
    save(
        "book_meeting_daily_limit",
        [
            token(),
            empty,
            interaction(
                "POST",
                uri(meetings),
                429,
                daily,
                request_body=body,
                headers={
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
    save(
        "book_meeting_per_second_limit",
        [
            token(),
            interaction(
                "GET",
                list_uri,
                429,
                per_second,
                headers={"x-ratelimit-category": ["Medium"], "x-ratelimit-type": ["QPS"]},
            ),
            empty,
            create,
        ],
    )
    save(
        "book_meeting_invalid_token",
        [
            token(),
            interaction("GET", list_uri, 401, {"code": 124, "message": "Invalid access token."}),
            token(),
            empty,
            create,
        ],
    )
    gone = "gone.rep@example.com"
    save(
        "book_meeting_unknown_user",
        [
            token(),
            interaction(
                "GET",
                uri(f"/users/{quote(gone, safe='')}/meetings", list_params),
                404,
                {"code": 1001, "message": f"User does not exist: {gone}."},
            ),
        ],
    )
    save(
        "token_refused",
        [token(400, {"reason": "Invalid client_id or client_secret", "error": "invalid_client"})],
    )
    save("webhook", [])


if __name__ == "__main__":
    main()

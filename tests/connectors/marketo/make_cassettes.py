"""Write the Marketo cassettes under cassettes/marketo/ (run by hand; output is committed).

    .venv/bin/python tests/connectors/marketo/make_cassettes.py

Every value is synthetic (example.test hosts, made-up ids and people); the
shapes follow Marketo's REST and Asset API documentation: the identity token
answer, Sync Leads' per-record statuses, Asset API program listings with
`tagType`/`tagValue` tags, paging tokens and `moreResult` activity pages.
The tests state the figures they check (1,000 leads, 205 programs, tokens)
on their own, so a regenerated cassette that drifts makes them fail.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from handoff_sdk.testing.cassettes import cassette_interaction, write_cassette

BASE = "https://marketo.example.test"
CLIENT_ID = "synthetic-client-id"
OUT = Path(__file__).resolve().parents[3] / "cassettes" / "marketo"

SINCE = "2026-01-05T09:00:00Z"  # FakeClock's start: a poll from None starts here
TOKEN_A = "GIYDAOBNGEYS2MBWKQYDAORQGA5DAMBOGAYDAKZQGAYDALBQ"
TOKEN_B = "WQV2VQVPPCKHC6AQYVK7JDSA3I3LCWXH3Y6IIZ7YSGQLXHCPVE5Q===="
TOKEN_C = "WQV2VQVPPCKHC6AQYVK7JDSA3J62DUSJ3EXJGDPTKPEBFW3SAVUA===="
ACTIVITY_TYPES = "46,2"

BULK_LEADS = 1000
QUALIFIED_PROGRAMS = 205  # byTag pages of 200 + 5
ALL_PROGRAMS = 210  # browse pages of 200 + 10
TAGGED_IN_ALL = (3001, 3007)  # of the 210, the two tagged UsedWithQualified = True

_request_no = 0


def _request_id() -> str:
    global _request_no  # noqa: PLW0603 - a counter for readable, unique requestIds
    _request_no += 1
    return f"{_request_no:x}#19a0c0ffee{_request_no:03x}"


def _url(path: str, params: list[tuple[str, str]] | None = None) -> str:
    return f"{BASE}{path}" + (f"?{urlencode(params)}" if params else "")


def _interaction(
    method: str, uri: str, body: dict[str, Any], request_body: Any = None
) -> dict[str, Any]:
    """A Marketo call answered 200 with JSON; all but the identity call carry the token."""
    identity = uri.startswith(f"{BASE}/identity/")
    return cassette_interaction(
        method,
        uri,
        request_body=request_body,
        request_headers={} if identity else {"Authorization": "REDACTED"},
        response_body=body,
        response_headers={"Content-Type": "application/json;charset=UTF-8"},
    )


def token() -> dict[str, Any]:
    """The identity call: credentials in the query (scrubbed), an hour-long token."""
    uri = _url(
        "/identity/oauth/token",
        [
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT_ID),
            ("client_secret", "REDACTED"),
        ],
    )
    return _interaction(
        "GET",
        uri,
        {
            "access_token": "REDACTED",
            "token_type": "bearer",
            "expires_in": 3599,
            "scope": "api-user@example.test",
        },
    )


def small_upsert_input() -> list[dict[str, Any]]:
    """What the connector sends for the three leads of the upsert case."""
    return [
        {"email": "ada@example.test", "firstName": "Ada", "lastName": "Byron", "company": "Acme"},
        {"email": "grace@example.test", "firstName": "Grace", "leadSource": "Free Trial"},
        {"email": "dup@example.test", "lastName": "Twin"},
    ]


def upsert_leads() -> None:
    """Three leads: one created, one updated, one skipped (1007: several leads match)."""
    body = {"action": "createOrUpdate", "lookupField": "email", "input": small_upsert_input()}
    answer = {
        "requestId": _request_id(),
        "success": True,
        "result": [
            {"id": 50101, "status": "created"},
            {"id": 50102, "status": "updated"},
            {
                "status": "skipped",
                "reasons": [
                    {"code": "1007", "message": "Multiple leads match the lookup criteria"}
                ],
            },
        ],
    }
    write_cassette(
        OUT / "upsert_leads.yaml",
        [token(), _interaction("POST", _url("/rest/v1/leads.json"), answer, body)],
    )


def bulk_status(i: int) -> dict[str, Any]:
    """Lead i of the 1,000: every 250th skipped, every 3rd updated, the rest created."""
    if i % 250 == 249:
        return {"status": "skipped", "reasons": [{"code": "1003", "message": "Invalid data"}]}
    return {"id": 60000 + i, "status": "updated" if i % 3 == 0 else "created"}


def upsert_leads_1000() -> None:
    """1,000 leads in four Sync Leads calls (300, 300, 300, 100), answered in order."""
    interactions = [token()]
    for start in range(0, BULK_LEADS, 300):
        stop = min(start + 300, BULK_LEADS)
        answer = {
            "requestId": _request_id(),
            "success": True,
            "result": [bulk_status(i) for i in range(start, stop)],
        }
        interactions.append(_interaction("POST", _url("/rest/v1/leads.json"), answer))
    write_cassette(OUT / "upsert_leads_1000.yaml", interactions)


def _program(pid: int, tags: list[tuple[str, str]] | None) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": pid,
        "name": f"Program {pid}",
        "description": "",
        "createdAt": "2025-11-03T15:25:35Z+0000",
        "updatedAt": "2025-11-04T10:02:46Z+0000",
        "url": f"https://app-tst.marketo.example.test/#PG{pid}A1",
        "type": "Default",
        "channel": "Webinar" if pid % 2 else "Content",
        "folder": {"type": "Folder", "value": 28, "folderName": "Synthetic"},
        "status": "",
        "workspace": "Default",
        "headStart": False,
    }
    if tags is not None:
        item["tags"] = [{"tagType": t, "tagValue": v} for t, v in tags]
    return item


def _asset_page(path: str, extra: list[tuple[str, str]], offset: int, items: list[Any]) -> Any:
    params = [*extra, ("maxReturn", "200"), ("offset", str(offset))]
    answer: dict[str, Any] = {
        "success": True,
        "errors": [],
        "requestId": _request_id(),
        "warnings": [] if items else ["No assets found for the given search criteria."],
    }
    if items:
        answer["result"] = items
    return _interaction("GET", _url(path, params), answer)


BY_TAG = [("tagType", "UsedWithQualified"), ("tagValue", "True")]


def list_programs() -> None:
    """Q13 on: programs tagged UsedWithQualified = True, two pages of Get Programs by Tag."""
    tagged = [
        _program(2000 + n, [("UsedWithQualified", "True"), ("Region", "EMEA")])
        for n in range(QUALIFIED_PROGRAMS)
    ]
    write_cassette(
        OUT / "list_programs.yaml",
        [
            token(),
            _asset_page("/rest/asset/v1/program/byTag.json", BY_TAG, 0, tagged[:200]),
            _asset_page("/rest/asset/v1/program/byTag.json", BY_TAG, 200, tagged[200:]),
        ],
    )


def list_programs_all() -> None:
    """Q13 off: every program (browse carries no tags) plus the tagged ones' tags."""
    tagged = [_program(pid, [("UsedWithQualified", "True")]) for pid in TAGGED_IN_ALL]
    browse = [_program(3000 + n, None) for n in range(ALL_PROGRAMS)]
    write_cassette(
        OUT / "list_programs_all.yaml",
        [
            token(),
            _asset_page("/rest/asset/v1/program/byTag.json", BY_TAG, 0, tagged),
            _asset_page("/rest/asset/v1/programs.json", [], 0, browse[:200]),
            _asset_page("/rest/asset/v1/programs.json", [], 200, browse[200:]),
        ],
    )


def _activities(token_in: str, token_out: str, more: bool, items: list[Any]) -> Any:
    params = [("nextPageToken", token_in), ("activityTypeIds", ACTIVITY_TYPES)]
    answer: dict[str, Any] = {
        "requestId": _request_id(),
        "success": True,
        "nextPageToken": token_out,
        "moreResult": more,
    }
    if items:
        answer["result"] = items
    return _interaction("GET", _url("/rest/v1/activities.json", params), answer)


def _moment(guid: int, lead: int, when: str, description: str) -> dict[str, Any]:
    return {
        "id": guid,
        "marketoGUID": str(guid),
        "leadId": lead,
        "activityDate": when,
        "activityTypeId": 46,
        "primaryAttributeValueId": 0,
        "primaryAttributeValue": "Web",
        "attributes": [
            {"name": "Description", "value": description},
            {"name": "Source", "value": "Web service API"},
        ],
    }


def poll_events() -> None:
    """A poll from now: a date token, then two pages (moreResult true, then false)."""
    form_fill = {
        "id": 700002,
        "marketoGUID": "700002",
        "leadId": 50101,
        "activityDate": "2026-01-05T09:03:10Z",
        "activityTypeId": 2,
        "primaryAttributeValueId": 1017,
        "primaryAttributeValue": "Contact Sales",
        "attributes": [{"name": "Client IP Address", "value": "203.0.113.7"}],
    }
    write_cassette(
        OUT / "poll_events.yaml",
        [
            token(),
            _interaction(
                "GET",
                _url("/rest/v1/activities/pagingtoken.json", [("sinceDatetime", SINCE)]),
                {"requestId": _request_id(), "success": True, "nextPageToken": TOKEN_A},
            ),
            _activities(
                TOKEN_A,
                TOKEN_B,
                True,
                [
                    _moment(700001, 50101, "2026-01-05T09:01:00Z", "Visited the pricing page"),
                    form_fill,
                ],
            ),
            _activities(
                TOKEN_B,
                TOKEN_C,
                False,
                [_moment(700003, 50102, "2026-01-05T09:07:45+0000", "Asked for a demo in chat")],
            ),
        ],
    )


def poll_events_from_cursor() -> None:
    """A poll from the last cursor when nothing happened: same token back, no result."""
    write_cassette(
        OUT / "poll_events_from_cursor.yaml", [token(), _activities(TOKEN_C, TOKEN_C, False, [])]
    )


def forward_signup() -> None:
    """D8: one trial sign-up upserted as a lead."""
    body = {
        "action": "createOrUpdate",
        "lookupField": "email",
        "input": [
            {
                "email": "trial.user@example.test",
                "firstName": "Trial",
                "lastName": "User",
                "company": "Example Widgets",
                "leadSource": "Free Trial",
            }
        ],
    }
    answer = {
        "requestId": _request_id(),
        "success": True,
        "result": [{"id": 50200, "status": "created"}],
    }
    write_cassette(
        OUT / "forward_signup.yaml",
        [token(), _interaction("POST", _url("/rest/v1/leads.json"), answer, body)],
    )


def main() -> None:
    """Write every cassette."""
    upsert_leads()
    upsert_leads_1000()
    list_programs()
    list_programs_all()
    poll_events()
    poll_events_from_cursor()
    forward_signup()


if __name__ == "__main__":
    main()

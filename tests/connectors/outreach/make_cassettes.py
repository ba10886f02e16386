"""Write the Outreach cassettes under cassettes/outreach/: run by hand, commit the output.

    .venv/bin/python tests/connectors/outreach/make_cassettes.py

The shapes follow what Outreach's API v2 really returns (JSON:API documents
with numeric ids, relationships wrapped in `data` with `links.related`,
`included` side-loaded records, `links.next` on every page but the last,
X-RateLimit-* headers, `{"errors": [{"id", "title", "detail"}]}` errors, the
Doorkeeper token endpoint); every value is synthetic: example.com /
.example people, made-up ids and cursors, REDACTED tokens.
URIs are built with httpx exactly as the connector builds them; the SDK's
cassette writer scrubs them as the cassette transport scrubs a live request,
so replay matches them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from handoff_sdk.testing.cassettes import cassette_interaction, write_cassette

API = "https://api.outreach.io/api/v2"
TOKEN_URL = "https://api.outreach.io/oauth/token"
OUT = Path(__file__).resolve().parents[3] / "cassettes" / "outreach"
PAGE_SIZE = 100
JSON_API = "application/vnd.api+json; charset=utf-8"
# The harness clock starts at 2026-01-05 09:00:00 UTC = epoch 1767603600.
NOW_EPOCH = 1767603600


def rate_headers(remaining: int, reset_in: int = 1800) -> dict[str, list[str]]:
    return {
        "X-RateLimit-Limit": ["10000"],
        "X-RateLimit-Remaining": [str(remaining)],
        "X-RateLimit-Reset": [str(NOW_EPOCH + reset_in)],
    }


def uri(path: str, params: dict[str, Any]) -> str:
    """The URL the connector sends for a listing's first page (same param order)."""
    return str(httpx.URL(API + path, params={**params, "page[size]": PAGE_SIZE}))


def prospects_uri(email: str) -> str:
    return uri("/prospects", {"filter[emails]": email, "fields[prospect]": "emails"})


def states_uri(*prospect_ids: int) -> str:
    return uri(
        "/sequenceStates",
        {
            "filter[prospect][id]": ",".join(str(p) for p in prospect_ids),
            "include": "sequence,mailbox,creator",
        },
    )


def interaction(
    method: str,
    url: str,
    status: int,
    body: Any,
    *,
    headers: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    """An authorised API call; a str answer is the plain text Outreach's edge sends."""
    content_type = "text/plain; charset=utf-8" if isinstance(body, str) else JSON_API
    return cassette_interaction(
        method,
        url,
        request_headers={"Accept": "application/vnd.api+json", "Authorization": "REDACTED"},
        status=status,
        response_body=body,
        response_headers={"Content-Type": content_type, **(headers or {})},
    )


def token(status: int = 200) -> dict[str, Any]:
    form = (
        "grant_type=refresh_token&refresh_token=REDACTED&client_id=synthetic-outreach-app"
        "&client_secret=REDACTED&redirect_uri=https%3A%2F%2Fhandoff.example.test%2Foauth%2Foutreach"
    )
    if status != 200:
        body: dict[str, Any] = {
            "error": "invalid_grant",
            "error_description": "The provided authorization grant is invalid, expired, "
            "revoked, does not match the redirection URI used in the authorization request, "
            "or was issued to another client.",
        }
    else:
        body = {
            "access_token": "REDACTED",
            "token_type": "bearer",
            "expires_in": 7200,
            "refresh_token": "REDACTED",
            "scope": "prospects.read sequenceStates.read sequences.read mailboxes.read users.read",
            "created_at": NOW_EPOCH,
        }
    return cassette_interaction(
        "POST",
        TOKEN_URL,
        request_body=form,
        request_headers={"Content-Type": "application/x-www-form-urlencoded"},
        status=status,
        response_body=body,
        response_headers={"Content-Type": "application/json; charset=utf-8"},
    )


# -- synthetic records -------------------------------------------------------------------


def wrapped(kind: str, ident: int | None) -> dict[str, Any]:
    return {"data": None if ident is None else {"type": kind, "id": ident}}


def prospect(pid: int, emails: list[str]) -> dict[str, Any]:
    return {
        "type": "prospect",
        "id": pid,
        "attributes": {"emails": emails},
        "links": {"self": f"{API}/prospects/{pid}"},
    }


def prospects_page(*records: dict[str, Any]) -> dict[str, Any]:
    return {"data": list(records), "meta": {"count": len(records)}}


def state(
    sid: int,
    status: str,
    *,
    prospect_id: int,
    sequence: int,
    mailbox: int | None,
    creator: int | None,
    changed: str,
    active_at: str | None = None,
) -> dict[str, Any]:
    return {
        "type": "sequenceState",
        "id": sid,
        "attributes": {
            "activeAt": active_at,
            "bounceCount": 0,
            "callCompletedAt": None,
            "clickCount": 0,
            "createdAt": "2025-10-01T15:00:00.000Z",
            "deliverCount": 2,
            "errorReason": None,
            "failureCount": 0,
            "negativeReplyCount": 0,
            "neutralReplyCount": 0,
            "openCount": 1,
            "optOutCount": 0,
            "pauseReason": "Paused by user" if status == "paused" else None,
            "positiveReplyCount": 0,
            "repliedAt": None,
            "replyCount": 0,
            "scheduleCount": 0,
            "state": status,
            "stateChangedAt": changed,
            "updatedAt": changed,
        },
        "relationships": {
            "account": wrapped("account", 801),
            "creator": wrapped("user", creator),
            "mailbox": wrapped("mailbox", mailbox),
            "prospect": wrapped("prospect", prospect_id),
            "sequence": wrapped("sequence", sequence),
            "sequenceStep": wrapped("sequenceStep", sequence * 10 + 1),
            "mailings": {
                "links": {"related": f"{API}/mailings?filter%5BsequenceState%5D%5Bid%5D={sid}"}
            },
            "tasks": {"links": {"related": f"{API}/tasks?filter%5BsequenceState%5D%5Bid%5D={sid}"}},
        },
        "links": {"self": f"{API}/sequenceStates/{sid}"},
    }


def sequence(qid: int, name: str, owner: int) -> dict[str, Any]:
    return {
        "type": "sequence",
        "id": qid,
        "attributes": {
            "name": name,
            "enabled": True,
            "locked": False,
            "sequenceType": "interval",
            "shareType": "shared",
            "stepCount": 5,
        },
        "relationships": {"owner": wrapped("user", owner), "creator": wrapped("user", owner)},
        "links": {"self": f"{API}/sequences/{qid}"},
    }


def mailbox(mid: int, email: str, user_id: int) -> dict[str, Any]:
    return {
        "type": "mailbox",
        "id": mid,
        "attributes": {"email": email, "sendDisabled": False, "userId": user_id},
        "relationships": {"user": wrapped("user", user_id)},
        "links": {"self": f"{API}/mailboxes/{mid}"},
    }


def user(uid: int, first: str, last: str, email: str) -> dict[str, Any]:
    return {
        "type": "user",
        "id": uid,
        "attributes": {
            "email": email,
            "firstName": first,
            "lastName": last,
            "name": f"{first} {last}",
            "locked": False,
        },
        "links": {"self": f"{API}/users/{uid}"},
    }


SAM = user(7, "Sam", "Rivera", "sam.rivera@acme.example")
LEE = user(8, "Lee", "Chen", "lee.chen@acme.example")
JO = user(9, "Jo", "Park", "jo.park@acme.example")
ENTERPRISE = sequence(301, "Q1 Enterprise Outbound", owner=9)
WEBINAR = sequence(302, "Webinar Follow-up", owner=9)
REENGAGE = sequence(303, "Closed-Lost Re-engage", owner=9)
SAM_BOX = mailbox(12, "sam.rivera@acme.example", 7)
LEE_BOX = mailbox(15, "lee@mail.acme.example", 8)


def states_page(
    records: list[dict[str, Any]], included: list[dict[str, Any]], next_url: str | None = None
) -> dict[str, Any]:
    links: dict[str, Any] = {}
    if next_url:
        links["next"] = next_url
    return {"data": records, "included": included, "links": links, "meta": {"count": len(records)}}


ANA = "ana.lima@adventure-works.example"


def main() -> None:
    finished = state(
        4990, "finished", prospect_id=101, sequence=302, mailbox=12, creator=9,
        changed="2025-11-01T10:00:00.000Z", active_at="2025-10-01T15:00:00.000Z",
    )  # fmt: skip
    active = state(
        5001, "active", prospect_id=101, sequence=301, mailbox=12, creator=7,
        changed="2026-01-02T14:30:00.000Z", active_at="2026-01-05T08:00:00.000Z",
    )  # fmt: skip
    sequenced = [
        token(),
        interaction(
            "GET",
            prospects_uri(ANA),
            200,
            prospects_page(prospect(101, ["Ana.Lima@adventure-works.example"])),
            headers=rate_headers(9987),
        ),
        interaction(
            "GET",
            states_uri(101),
            200,
            states_page([finished, active], [WEBINAR, SAM_BOX, JO, ENTERPRISE, SAM]),
            headers=rate_headers(9986),
        ),
    ]
    write_cassette(OUT / "sequence_state.yaml", sequenced)

    write_cassette(
        OUT / "sequence_state_unknown.yaml",
        [
            token(),
            interaction(
                "GET",
                prospects_uri("nobody@unknown.example"),
                200,
                prospects_page(),
                headers=rate_headers(9990),
            ),
        ],
    )

    disabled = state(
        4991, "disabled", prospect_id=101, sequence=303, mailbox=15, creator=8,
        changed="2025-12-15T09:00:00.000Z",
    )  # fmt: skip
    write_cassette(
        OUT / "sequence_state_stopped.yaml",
        [
            token(),
            interaction("GET", prospects_uri(ANA), 200, prospects_page(prospect(101, [ANA]))),
            interaction(
                "GET",
                states_uri(101),
                200,
                states_page([finished, disabled], [WEBINAR, SAM_BOX, JO, REENGAGE, LEE_BOX, LEE]),
            ),
        ],
    )

    write_cassette(
        OUT / "sequence_state_none.yaml",
        [
            token(),
            interaction("GET", prospects_uri(ANA), 200, prospects_page(prospect(101, [ANA]))),
            interaction("GET", states_uri(101), 200, states_page([], [])),
        ],
    )

    # Two prospects share the email; their states come on two pages, each page with its
    # own `included`. The prospect list also holds one whose emails do not match (a filter
    # that was ignored would look like this), which must not be asked about.
    paused = state(
        5002, "paused", prospect_id=102, sequence=303, mailbox=15, creator=9,
        changed="2026-01-04T16:00:00.000Z", active_at="2026-01-03T09:00:00.000Z",
    )  # fmt: skip
    pending = state(
        5003, "pending", prospect_id=101, sequence=301, mailbox=12, creator=7,
        changed="2026-01-05T07:00:00.000Z",
    )  # fmt: skip
    page2 = str(
        httpx.URL(
            API + "/sequenceStates",
            params={
                "filter[prospect][id]": "101,102",
                "include": "sequence,mailbox,creator",
                "page[after]": "eyJpZCI6NDk5MH0",
                "page[size]": PAGE_SIZE,
            },
        )
    )
    write_cassette(
        OUT / "sequence_state_pages.yaml",
        [
            token(),
            interaction(
                "GET",
                prospects_uri(ANA),
                200,
                prospects_page(
                    prospect(101, [ANA]),
                    prospect(102, ["ana@personal.example", ANA]),
                    prospect(103, ["someone.else@adventure-works.example"]),
                ),
            ),
            interaction(
                "GET",
                states_uri(101, 102),
                200,
                states_page([finished], [WEBINAR, SAM_BOX, JO], next_url=page2),
            ),
            interaction(
                "GET",
                page2,
                200,
                states_page([paused, pending], [REENGAGE, LEE_BOX, JO, ENTERPRISE, SAM]),
            ),
        ],
    )

    no_mailbox = state(
        5010, "active", prospect_id=101, sequence=301, mailbox=None, creator=9,
        changed="2026-01-05T08:00:00.000Z", active_at="2026-01-05T08:00:00.000Z",
    )  # fmt: skip
    write_cassette(
        OUT / "sequence_state_creator.yaml",
        [
            token(),
            interaction("GET", prospects_uri(ANA), 200, prospects_page(prospect(101, [ANA]))),
            interaction("GET", states_uri(101), 200, states_page([no_mailbox], [ENTERPRISE, JO])),
        ],
    )

    limit_spent = {
        "errors": [
            {
                "id": "rateLimitExceeded",
                "title": "Rate Limit Exceeded",
                "detail": "You have exceeded your permitted rate limit of 10,000; "
                "please try again at 2026-01-05T09:00:12.",
            }
        ]
    }
    write_cassette(
        OUT / "rate_limited.yaml",
        [
            token(),
            interaction(
                "GET", prospects_uri(ANA), 429, limit_spent, headers=rate_headers(0, reset_in=12)
            ),
            *sequenced[1:],
        ],
    )
    limit_spent_hour = {
        "errors": [
            {
                **limit_spent["errors"][0],
                "detail": "You have exceeded your permitted rate limit of 10,000; "
                "please try again at 2026-01-05T09:40:00.",
            }
        ]
    }
    write_cassette(
        OUT / "rate_limited_for_long.yaml",
        [
            token(),
            interaction(
                "GET",
                prospects_uri(ANA),
                429,
                limit_spent_hour,
                headers=rate_headers(0, reset_in=2400),
            ),
        ],
    )

    write_cassette(
        OUT / "expired_token.yaml",
        [
            token(),
            interaction("GET", prospects_uri(ANA), 401, "Invalid access token"),
            token(),
            *sequenced[1:],
        ],
    )
    write_cassette(OUT / "token_refused.yaml", [token(status=400)])
    write_cassette(
        OUT / "forbidden_scope.yaml",
        [
            token(),
            interaction(
                "GET",
                prospects_uri(ANA),
                403,
                {
                    "errors": [
                        {
                            "id": "unauthorizedOauthScope",
                            "title": "Unauthorized OAuth Scope",
                            "detail": "Your token does not include the required scope "
                            "'prospects.read'.",
                        }
                    ]
                },
            ),
        ],
    )
    write_cassette(OUT / "webhook.yaml", [])


if __name__ == "__main__":
    main()

"""Write the Zendesk cassettes under cassettes/zendesk/: run by hand, commit the output.

    .venv/bin/python tests/connectors/zendesk/make_cassettes.py

The shapes follow what Zendesk Support really returns (users/search, tickets
with cursor pagination whose last page still has `links.next`, the cursor
incremental export, create_many job statuses, RecordInvalid and
`{"error": {"title", "message"}}` errors, a plain-text 429 with Retry-After);
every value is synthetic: an example.test host, example.com people, made-up
ids and cursors.
URIs are built with httpx; the SDK's cassette writer scrubs them exactly as
the cassette transport scrubs a live request, so replay matches them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from handoff_sdk.testing.cassettes import cassette_interaction, write_cassette

BASE = "https://acme.zendesk.example.test"
OUT = Path(__file__).resolve().parents[3] / "cassettes" / "zendesk"
ESCALATED_FIELD = 360000000042
JSON_TYPE = "application/json; charset=utf-8"
RATE_HEADERS = {"x-rate-limit": ["400"], "ratelimit-limit": ["400"]}


def uri(path: str, params: dict[str, Any] | None = None) -> str:
    return str(httpx.URL(BASE + path, params=params))


def interaction(
    method: str,
    url: str,
    status: int,
    body: Any,
    *,
    request_body: Any = None,
    headers: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    """A Zendesk call; every answer carries the rate-limit headers, a str one is plain text."""
    content_type = "text/plain; charset=UTF-8" if isinstance(body, str) else JSON_TYPE
    return cassette_interaction(
        method,
        url,
        request_body=request_body,
        status=status,
        response_body=body,
        response_headers={"Content-Type": content_type, **RATE_HEADERS, **(headers or {})},
    )


# -- synthetic records -------------------------------------------------------------


def user(
    uid: int, name: str, email: str, role: str = "end-user", org: int | None = 70001
) -> dict[str, Any]:
    return {
        "id": uid,
        "url": f"{BASE}/api/v2/users/{uid}.json",
        "name": name,
        "email": email,
        "created_at": "2025-11-03T10:12:00Z",
        "updated_at": "2025-12-18T16:40:02Z",
        "time_zone": "Europe/Lisbon",
        "iana_time_zone": "Europe/Lisbon",
        "phone": "+351 210 000 123" if role == "end-user" else None,
        "locale": "en-US",
        "organization_id": org,
        "role": role,
        "verified": True,
        "external_id": None,
        "tags": ["prospect"] if role == "end-user" else [],
        "alias": None,
        "active": True,
        "suspended": False,
        "user_fields": {"plan": "free"} if role == "end-user" else {},
    }


def ticket(
    tid: int,
    subject: str,
    *,
    status: str = "open",
    created: str = "2026-01-05T08:40:00Z",
    updated: str = "2026-01-05T08:58:10Z",
    escalated: bool | None = None,
    tags: list[str] | None = None,
) -> dict[str, Any]:
    return {
        "url": f"{BASE}/api/v2/tickets/{tid}.json",
        "id": tid,
        "external_id": None,
        "via": {"channel": "email", "source": {"from": {}, "to": {}, "rel": None}},
        "created_at": created,
        "updated_at": updated,
        "generated_timestamp": 1767603490,
        "type": "question",
        "subject": subject,
        "raw_subject": subject,
        "description": "Hello, we would like a quote for 40 seats.",
        "priority": "normal",
        "status": status,
        "recipient": "support@acme.zendesk.example.test",
        "requester_id": 90001,
        "submitter_id": 90001,
        "assignee_id": None,
        "organization_id": 70001,
        "group_id": 80001,
        "collaborator_ids": [],
        "follower_ids": [],
        "email_cc_ids": [],
        "has_incidents": False,
        "is_public": True,
        "due_at": None,
        "tags": tags if tags is not None else ["quote"],
        "custom_fields": [
            {"id": ESCALATED_FIELD, "value": escalated},
            {"id": 360000000077, "value": None},
        ],
        "brand_id": 60001,
        "allow_channelback": False,
        "allow_attachments": True,
    }


ANA = user(90001, "Ana Sofia Lima", "ana.lima@example.com")
NEAR_MISS = user(90002, "Ana Lima", "ana.lima@example.com.invalid", org=None)
AGENT = user(91001, "Sam Agent", "sam.agent@example.com", role="agent", org=None)

CURSOR_1 = "c3ludGhldGljLWV4cG9ydC0x"
CURSOR_2 = "c3ludGhldGljLWV4cG9ydC0y"


def main() -> None:
    search = "/api/v2/users/search.json"
    write_cassette(
        OUT / "find_person.yaml",
        [
            interaction(
                "GET",
                uri(search, {"query": "email:ana.lima@example.com"}),
                200,
                {"users": [NEAR_MISS, ANA], "next_page": None, "previous_page": None, "count": 2},
            )
        ],
    )
    write_cassette(
        OUT / "find_person_none.yaml",
        [
            interaction(
                "GET",
                uri(search, {"query": "email:nobody@example.com"}),
                200,
                {"users": [], "next_page": None, "previous_page": None, "count": 0},
            )
        ],
    )
    write_cassette(
        OUT / "find_person_forbidden.yaml",
        [
            interaction(
                "GET",
                uri(search, {"query": "email:ana.lima@example.com"}),
                403,
                {
                    "error": {
                        "title": "Forbidden",
                        "message": "You do not have access to this "
                        "page. Please contact the account owner of this help desk for "
                        "further help.",
                    }
                },
            )
        ],
    )
    write_cassette(
        OUT / "rate_limited_text_429.yaml",
        [
            interaction(
                "GET",
                uri(search, {"query": "email:ana.lima@example.com"}),
                429,
                "You have exceeded the rate limit for this endpoint.",
                headers={"Retry-After": ["27"], "x-rate-limit-remaining": ["0"]},
            ),
            interaction(
                "GET",
                uri(search, {"query": "email:ana.lima@example.com"}),
                200,
                {"users": [ANA], "next_page": None, "previous_page": None, "count": 1},
            ),
        ],
    )
    created = ticket(5001, "Quote for 40 seats", status="new", updated="2026-01-05T08:40:00Z")
    write_cassette(
        OUT / "create_case.yaml",
        [
            interaction(
                "POST",
                uri("/api/v2/tickets.json"),
                201,
                {"ticket": created},
                request_body={"ticket": {"subject": "Quote for 40 seats"}},
                headers={
                    "x-idempotency-lookup": ["miss"],
                    "Location": [f"{BASE}/api/v2/tickets/5001.json"],
                },
            )
        ],
    )
    write_cassette(
        OUT / "create_case_invalid.yaml",
        [
            interaction(
                "POST",
                uri("/api/v2/tickets.json"),
                422,
                {
                    "error": "RecordInvalid",
                    "description": "Record validation errors",
                    "details": {
                        "requester": [
                            {"description": "Requester: Email: ana.lima@ is not properly formatted"}
                        ]
                    },
                },
            )
        ],
    )
    write_cassette(OUT / "webhook.yaml", [])

    export = "/api/v2/incremental/tickets/cursor.json"
    write_cassette(
        OUT / "poll_events.yaml",
        [
            interaction(
                "GET",
                uri(export, {"start_time": 1767603540}),
                200,
                {
                    "tickets": [
                        ticket(
                            5001,
                            "Quote for 40 seats",
                            status="new",
                            created="2026-01-05T08:59:05Z",
                            updated="2026-01-05T08:59:05Z",
                            escalated=False,
                        ),
                        ticket(
                            4990,
                            "Renewal: fewer users",
                            updated="2026-01-05T08:59:20Z",
                            escalated=True,
                            tags=["renewal"],
                        ),
                    ],
                    "after_url": f"{BASE}{export}?cursor={CURSOR_1}",
                    "before_url": None,
                    "after_cursor": CURSOR_1,
                    "before_cursor": None,
                    "end_of_stream": False,
                },
                headers={
                    "zendesk-ratelimit-incremental-exports-cursor": [
                        "total=20; remaining=19; resets=60"
                    ]
                },
            ),
            interaction(
                "GET",
                uri(export, {"cursor": CURSOR_1}),
                200,
                {
                    "tickets": [
                        ticket(4870, "Spam", status="deleted", updated="2026-01-05T08:59:40Z")
                    ],
                    "after_url": f"{BASE}{export}?cursor={CURSOR_2}",
                    "before_url": f"{BASE}{export}?cursor={CURSOR_1}",
                    "after_cursor": CURSOR_2,
                    "before_cursor": CURSOR_1,
                    "end_of_stream": True,
                },
            ),
        ],
    )
    write_cassette(
        OUT / "poll_events_resume.yaml",
        [
            interaction(
                "GET",
                uri(export, {"cursor": CURSOR_2}),
                200,
                {
                    "tickets": [],
                    "after_url": None,
                    "before_url": None,
                    "after_cursor": None,
                    "before_cursor": None,
                    "end_of_stream": True,
                },
            )
        ],
    )

    tickets = "/api/v2/tickets.json"
    write_cassette(
        OUT / "tickets_pages.yaml",
        [
            interaction(
                "GET",
                uri(tickets, {"page[size]": 2}),
                200,
                {
                    "tickets": [ticket(4001, "First"), ticket(4002, "Second")],
                    "meta": {
                        "has_more": True,
                        "after_cursor": "cGFnZS0y",
                        "before_cursor": "cGFnZS0w",
                    },
                    "links": {
                        "prev": BASE + tickets + "?page%5Bbefore%5D=cGFnZS0w&page%5Bsize%5D=2",
                        "next": BASE + tickets + "?page%5Bafter%5D=cGFnZS0y&page%5Bsize%5D=2",
                    },
                },
                headers={
                    "ratelimit-remaining": ["0"],
                    "ratelimit-reset": ["12"],
                    "zendesk-ratelimit-tickets-index": ["total=100; remaining=98; resets=12"],
                },
            ),
            interaction(
                "GET",
                uri(tickets, {"page[size]": 2, "page[after]": "cGFnZS0y"}),
                200,
                {
                    "tickets": [ticket(4003, "Third")],
                    "meta": {
                        "has_more": False,
                        "after_cursor": "cGFnZS0z",
                        "before_cursor": "cGFnZS0y",
                    },
                    "links": {
                        "prev": BASE + tickets + "?page%5Bbefore%5D=cGFnZS0y&page%5Bsize%5D=2",
                        "next": BASE + tickets + "?page%5Bafter%5D=cGFnZS0z&page%5Bsize%5D=2",
                    },
                },
                headers={"ratelimit-remaining": ["398"], "ratelimit-reset": ["48"]},
            ),
        ],
    )

    one = "/api/v2/tickets/5001.json"
    tags = "/api/v2/tickets/5001/tags.json"
    write_cassette(
        OUT / "ticket_updates.yaml",
        [
            interaction("PUT", uri(one), 200, {"ticket": ticket(5001, "Quote for 40 seats")}),
            interaction("PUT", uri(tags), 200, {"tags": ["quote", "sales_escalation"]}),
            interaction("DELETE", uri(tags), 200, {"tags": ["sales_escalation"]}),
            interaction("POST", uri(tags), 201, {"tags": ["renewal"]}),
            interaction("PUT", uri(one), 200, {"ticket": ticket(5001, "Quote for 40 seats")}),
            interaction(
                "PUT", uri(one), 200, {"ticket": ticket(5001, "Quote for 40 seats", escalated=True)}
            ),
        ],
    )
    preview = "/api/v2/tickets/5001/macros/360000000900/apply.json"

    def macro_preview(updated: str) -> dict[str, Any]:
        after = ticket(
            5001,
            "Quote for 40 seats",
            status="pending",
            updated=updated,
            tags=["quote", "passed_to_sales"],
        )
        after["assignee_id"] = 91001
        return {
            "result": {
                "ticket": after,
                "comment": {
                    "body": "Hi Ana, I have passed your request to Sam in our sales team.",
                    "html_body": "<p>Hi Ana, I have passed your request to Sam in our sales team.</p>",
                    "scoped_body": [
                        [
                            "channel:all",
                            "Hi Ana, I have passed your request to Sam in our sales team.",
                        ]
                    ],
                    "public": True,
                },
            }
        }

    write_cassette(
        OUT / "apply_macro.yaml",
        [
            interaction("GET", uri(preview), 200, macro_preview("2026-01-05T08:58:10Z")),
            interaction(
                "PUT",
                uri(one),
                200,
                {"ticket": ticket(5001, "Quote for 40 seats", status="pending")},
            ),
        ],
    )
    write_cassette(
        OUT / "apply_macro_conflict.yaml",
        [
            interaction("GET", uri(preview), 200, macro_preview("2026-01-05T08:58:10Z")),
            interaction(
                "PUT",
                uri(one),
                409,
                {
                    "error": "UpdateConflict",
                    "description": "Safe Update "
                    "prevented the update due to outdated ticket data. "
                    "Please fetch the latest ticket data and try again.",
                },
            ),
            interaction("GET", uri(preview), 200, macro_preview("2026-01-05T08:59:01Z")),
            interaction(
                "PUT",
                uri(one),
                200,
                {"ticket": ticket(5001, "Quote for 40 seats", status="pending")},
            ),
        ],
    )
    write_cassette(
        OUT / "reads.yaml",
        [
            interaction(
                "GET",
                uri("/api/v2/tickets/5001.json"),
                200,
                {"ticket": ticket(5001, "Quote for 40 seats")},
            ),
            interaction("GET", uri("/api/v2/users/90001.json"), 200, {"user": ANA}),
            interaction(
                "GET",
                uri("/api/v2/organizations/70001.json"),
                200,
                {
                    "organization": {
                        "url": f"{BASE}/api/v2/organizations/70001.json",
                        "id": 70001,
                        "name": "Example Analytics",
                        "domain_names": ["example.com"],
                        "created_at": "2025-10-01T09:00:00Z",
                        "updated_at": "2025-10-01T09:00:00Z",
                        "tags": ["prospect"],
                        "organization_fields": {"segment": "MidMarket"},
                    }
                },
            ),
            interaction(
                "GET",
                uri("/api/v2/search.json", {"query": "type:ticket requester:ana.lima@example.com"}),
                200,
                {
                    "results": [ticket(5001, "Quote for 40 seats") | {"result_type": "ticket"}],
                    "facets": None,
                    "next_page": BASE
                    + "/api/v2/search.json?page=2&query=type%3Aticket+requester%3Aana.lima%40example.com",
                    "previous_page": None,
                    "count": 2,
                },
            ),
            interaction(
                "GET",
                BASE
                + "/api/v2/search.json?page=2&query=type%3Aticket+requester%3Aana.lima%40example.com",
                200,
                {
                    "results": [ticket(4990, "Renewal: fewer users") | {"result_type": "ticket"}],
                    "facets": None,
                    "next_page": None,
                    "previous_page": BASE
                    + "/api/v2/search.json?page=1&query=type%3Aticket+requester%3Aana.lima%40example.com",
                    "count": 2,
                },
            ),
        ],
    )

    tickets_to_sales()


PASS_TAG = "handoff_" + "0" * 16  # any tag of the idempotency shape; not the key's own


# A rep of the synthetic company (handoff_sdk.testing.company), an agent in the simulator too.
REP = user(9004, "Taylor Brooks", "taylor.brooks@example.test", role="agent", org=None)


def tickets_to_sales() -> None:
    """The Z2-Z6 reads and writes: a ticket, its comments, the escalated queue, updates.

    Ticket 1001 and the rep exist in the Zendesk simulator as well, so the
    contract's cases run the same in both modes.
    """
    assigned = ticket(1001, "Quote for 40 seats", escalated=True, tags=["quote", "sales_request"])
    assigned["assignee_id"] = REP["id"]
    assigned["priority"] = "urgent"
    write_cassette(
        OUT / "get_ticket.yaml",
        [
            interaction(
                "GET",
                uri("/api/v2/tickets/1001.json", {"include": "users"}),
                200,
                {"ticket": assigned, "users": [ANA, REP]},
            ),
        ],
    )
    comment = {
        "id": 7700001,
        "type": "Comment",
        "body": "Hello, we need a quote for 40 seats and pay by purchase order.",
        "plain_body": "Hello, we need a quote for 40 seats and pay by purchase order.",
        "public": True,
        "author_id": ANA["id"],
        "audit_id": 7710001,
        "created_at": "2026-01-05T08:40:00Z",
        "attachments": [],
        "via": {"channel": "email", "source": {"from": {}, "to": {}, "rel": None}},
    }
    note = comment | {
        "id": 7700002,
        "body": "On it: quote sent by email.",
        "plain_body": "On it: quote sent by email.",
        "public": False,
        "author_id": REP["id"],
        "audit_id": 7710002,
        "created_at": "2026-01-05T10:15:00Z",
        "via": {"channel": "web", "source": {"from": {}, "to": {}, "rel": None}},
    }
    comments = "/api/v2/tickets/1001/comments.json"
    write_cassette(
        OUT / "ticket_comments.yaml",
        [
            interaction(
                "GET",
                uri(comments, {"include": "users", "page[size]": 100}),
                200,
                {
                    "comments": [comment, note],
                    "users": [ANA, REP],
                    "meta": {"has_more": False, "after_cursor": None, "before_cursor": None},
                    "links": {"next": f"{BASE}{comments}?page%5Bafter%5D=x", "prev": None},
                },
            ),
        ],
    )
    query = f"type:ticket status<solved custom_field_{ESCALATED_FIELD}:true"
    write_cassette(
        OUT / "escalated_tickets.yaml",
        [
            interaction(
                "GET",
                uri("/api/v2/search.json", {"query": query}),
                200,
                {
                    "results": [assigned | {"result_type": "ticket"}],
                    "facets": None,
                    "next_page": None,
                    "previous_page": None,
                    "count": 1,
                },
            ),
            interaction(
                "GET",
                uri("/api/v2/users/show_many.json", {"ids": f"{ANA['id']},{REP['id']}"}),
                200,
                {"users": [ANA, REP], "next_page": None, "previous_page": None, "count": 2},
            ),
        ],
    )
    unassigned = ticket(1001, "Quote for 40 seats", escalated=False, tags=["quote", PASS_TAG])
    write_cassette(
        OUT / "update_ticket.yaml",
        [
            interaction("GET", uri("/api/v2/tickets/1001.json"), 200, {"ticket": unassigned}),
            interaction(
                "GET",
                uri("/api/v2/users/search.json", {"query": "email:taylor.brooks@example.test"}),
                200,
                {"users": [AGENT], "next_page": None, "previous_page": None, "count": 1},
            ),
            interaction(
                "PUT",
                uri("/api/v2/tickets/1001.json"),
                200,
                {"ticket": assigned | {"updated_at": "2026-01-05T09:00:01Z"}},
                request_body={"ticket": {"assignee_id": REP["id"]}},
            ),
        ],
    )
    macro = {
        "id": 81001,
        "url": f"{BASE}/api/v2/macros/81001.json",
        "title": "Pass to Sales",
        "raw_title": "Pass to Sales",
        "active": True,
        "description": "Hands the request to the sales rep and tells the requester.",
        "actions": [{"field": "comment_value", "value": "A sales rep will contact you."}],
        "position": 4,
        "created_at": "2025-09-01T10:00:00Z",
        "updated_at": "2025-11-12T14:20:00Z",
    }
    preview = {
        "result": {
            "ticket": unassigned | {"group_id": 80002},
            "comment": {
                "body": "A sales rep will contact you.",
                "html_body": "<p>A sales rep will contact you.</p>",
                "public": True,
            },
        }
    }
    write_cassette(
        OUT / "apply_macro_by_title.yaml",
        [
            interaction(
                "GET",
                uri("/api/v2/macros/search.json", {"query": "Pass to Sales", "active": "true"}),
                200,
                {"macros": [macro], "next_page": None, "previous_page": None, "count": 1},
            ),
            interaction("GET", uri("/api/v2/tickets/1001/macros/81001/apply.json"), 200, preview),
            interaction(
                "PUT",
                uri("/api/v2/tickets/1001.json"),
                200,
                {"ticket": unassigned | {"group_id": 80002, "updated_at": "2026-01-05T09:00:02Z"}},
            ),
        ],
    )


if __name__ == "__main__":
    main()

"""Write the Slack cassettes in cassettes/slack/ (run by hand; the output is committed).

    .venv/bin/python tests/connectors/slack/make_cassettes.py

Synthetic values only, in the shapes Slack really answers with: Web API
errors are HTTP 200 with `{"ok": false, "error": "..."}`, rate limits are HTTP
429 with Retry-After, incoming webhooks answer plain-text words. Recording
against a live workspace instead: see docs/connectors/slack.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from handoff_sdk.testing.cassettes import cassette_interaction, write_cassette

OUT = Path(__file__).resolve().parents[3] / "cassettes" / "slack"
API = "https://slack.com/api"
HOOK = "https://hooks.slack.com/services/T0SYNTHTEAM/B0SYNTHHOOK/REDACTED"
TEAM, BOT, BOT_USER, APP = "T0SYNTHTEAM", "B0SYNTHBOT1", "U0SYNTHBOT1", "A0SYNTHAPP1"
SALES = "C0SYNTHSALES"
TS = "1767603600.000100"  # the FakeClock's start, 2026-01-05 09:00 UTC
KEY = "job-81:z6-ping"


def request(method: str, uri: str, body: Any = None) -> dict[str, Any]:
    """The request half of `cassette_interaction`'s arguments: bot token, idempotency key."""
    headers = {"Authorization": "REDACTED", "Idempotency-Key": KEY}
    if body is not None:
        headers["Content-Type"] = "application/json; charset=utf-8"
    if uri.startswith(HOOK):
        del headers["Authorization"]
    return {"method": method, "uri": uri, "request_body": body, "request_headers": headers}


def response(
    body: Any, status: int = 200, message: str = "OK", headers: dict[str, list[str]] | None = None
) -> dict[str, Any]:
    """The answer half of `cassette_interaction`'s arguments."""
    # Web API answers JSON; incoming webhooks answer a bare word served as text/html.
    content_type = "text/html" if isinstance(body, str) else "application/json; charset=utf-8"
    return {
        "status": status,
        "reason": message,
        "response_body": body,
        "response_headers": {
            "Content-Type": content_type,
            "X-Slack-Req-Id": "synthetic-req-0001",
            **(headers or {}),
        },
    }


def user(user_id: str, name: str, email: str, *, deleted: bool = False) -> dict[str, Any]:
    return {
        "ok": True,
        "user": {
            "id": user_id,
            "team_id": TEAM,
            "name": name,
            "deleted": deleted,
            "real_name": name.title(),
            "tz": "Europe/Berlin",
            "is_bot": False,
            "is_app_user": False,
            "updated": 1767000000,
            "profile": {
                "real_name": name.title(),
                "display_name": name,
                "email": email,
                "team": TEAM,
                "image_48": "https://avatars.example.test/48.png",
            },
        },
    }


def posted(channel: str, text: str, ts: str = TS) -> dict[str, Any]:
    return {
        "ok": True,
        "channel": channel,
        "ts": ts,
        "message": {
            "user": BOT_USER,
            "type": "message",
            "ts": ts,
            "bot_id": BOT,
            "app_id": APP,
            "text": text,
            "team": TEAM,
            "bot_profile": {
                "id": BOT,
                "app_id": APP,
                "user_id": BOT_USER,
                "name": "handoff",
                "deleted": False,
                "team_id": TEAM,
            },
            "metadata": {
                "event_type": "handoff_notification",
                "event_payload": {"idempotency_key": KEY},
            },
        },
    }


def error(code: str, **extra: Any) -> dict[str, Any]:
    return {"ok": False, "error": code, **extra}


def lookup(email: str) -> str:
    return f"{API}/users.lookupByEmail?email={email.replace('@', '%40')}"


POST = f"{API}/chat.postMessage"
PING_TEXT = "<@U0SYNTHOWNR> <@U0SYNTHMGR1> *Escalated ticket unanswered*\nTicket 4711 waits for sales.\n<https://support.example.test/tickets/4711|Open record>"
POST_BODY = {
    "channel": "#sales",
    "text": PING_TEXT,
    "unfurl_links": False,
    "unfurl_media": False,
    "metadata": {"event_type": "handoff_notification", "event_payload": {"idempotency_key": KEY}},
}
HOOK_BODY = {"text": PING_TEXT, "unfurl_links": False, "unfurl_media": False}

CASSETTES: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = {
    # Z6: ping #sales, naming the rep (by email) and the rep's manager (by user id).
    "post_with_mentions": [
        (
            request("GET", lookup("owner@example.test")),
            response(user("U0SYNTHOWNR", "owner", "owner@example.test")),
        ),
        (request("POST", POST, POST_BODY), response(posted(SALES, PING_TEXT))),
    ],
    # The same rep named in two notifications: one lookup, two posts.
    "two_posts_same_owner": [
        (
            request("GET", lookup("owner@example.test")),
            response(user("U0SYNTHOWNR", "owner", "owner@example.test")),
        ),
        (request("POST", POST, POST_BODY), response(posted(SALES, PING_TEXT))),
        (request("POST", POST, POST_BODY), response(posted(SALES, PING_TEXT, "1767603601.000200"))),
    ],
    "lookup_not_found": [
        (request("GET", lookup("ghost@example.test")), response(error("users_not_found"))),
        (request("POST", POST, POST_BODY), response(posted(SALES, "@ghost@example.test hi"))),
    ],
    "lookup_deactivated": [
        (
            request("GET", lookup("gone@example.test")),
            response(user("U0SYNTHGONE", "gone", "gone@example.test", deleted=True)),
        ),
        (request("POST", POST, POST_BODY), response(posted(SALES, "@gone@example.test hi"))),
    ],
    "lookup_missing_scope": [
        (
            request("GET", lookup("owner@example.test")),
            response(
                error(
                    "missing_scope",
                    needed="users:read.email",
                    provided="chat:write,chat:write.public",
                )
            ),
        ),
        (request("POST", POST, POST_BODY), response(posted(SALES, "@owner@example.test hi"))),
    ],
    "post_only": [
        (request("POST", POST, POST_BODY), response(posted(SALES, PING_TEXT))),
    ],
    "not_in_channel": [
        (request("POST", POST, POST_BODY), response(error("not_in_channel"))),
    ],
    "channel_not_found": [
        (request("POST", POST, POST_BODY), response(error("channel_not_found"))),
    ],
    "token_revoked": [
        (request("POST", POST, POST_BODY), response(error("token_revoked"))),
    ],
    "invalid_auth_on_lookup": [
        (request("GET", lookup("owner@example.test")), response(error("invalid_auth"))),
    ],
    "ratelimited": [
        (
            request("POST", POST, POST_BODY),
            response(error("ratelimited"), 429, "Too Many Requests", {"Retry-After": ["3"]}),
        ),
        (request("POST", POST, POST_BODY), response(posted(SALES, PING_TEXT))),
    ],
    "internal_error_then_ok": [
        (request("POST", POST, POST_BODY), response(error("internal_error"))),
        (request("POST", POST, POST_BODY), response(posted(SALES, PING_TEXT))),
    ],
    "fatal_error": [
        (request("POST", POST, POST_BODY), response(error("fatal_error"))),
    ],
    # Incoming webhooks: plain-text answers.
    "webhook_post": [
        (request("POST", HOOK, HOOK_BODY), response("ok")),
    ],
    "webhook_invalid_payload": [
        (
            request("POST", HOOK, {**HOOK_BODY, "text": ""}),
            response("invalid_payload", 400, "Bad Request"),
        ),
    ],
    "webhook_no_service": [
        (request("POST", HOOK, HOOK_BODY), response("no_service", 404, "Not Found")),
    ],
    "webhook_channel_is_archived": [
        (request("POST", HOOK, HOOK_BODY), response("channel_is_archived", 410, "Gone")),
    ],
    "webhook_rollup_error_then_ok": [
        (request("POST", HOOK, HOOK_BODY), response("rollup_error", 500, "Internal Server Error")),
        (request("POST", HOOK, HOOK_BODY), response("ok")),
    ],
}


def main() -> None:
    for name, pairs in CASSETTES.items():
        path = OUT / f"{name}.yaml"
        write_cassette(path, [cassette_interaction(**req, **resp) for req, resp in pairs])
        print("wrote", path)


if __name__ == "__main__":
    main()

"""Posting notifications to Slack, replayed from cassettes/slack/ (rules P5, Z6).

Counts API calls: a notification naming a rep by email costs one lookup and
one post; the lookup is cached, so the next notification for the same rep
costs one post.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from handoff_slack import SlackConnector

from handoff_sdk import ApiError, AuthError, ConfigError
from handoff_sdk.entities import Notification, WriteResult
from handoff_sdk.testing.harness import Harness

KEY = "job-81:z6-ping"
TOKEN = "synthetic-bot-token"
HOOK = "https://hooks.slack.com/services/T0SYNTHTEAM/B0SYNTHHOOK/REDACTED"
Factory = Callable[..., Harness]


def ping(**fields: Any) -> Notification:
    values: dict[str, Any] = {
        "channel": "#sales",
        "mentions": ["owner@example.test", "U0SYNTHMGR1"],
        "subject": "Escalated ticket unanswered",
        "text": "Ticket 4711 waits for sales.",
        "link": "https://support.example.test/tickets/4711",
    }
    return Notification(**{**values, **fields})


def bot(connector_harness: Factory, cassette: str, **config: Any) -> Harness:
    return connector_harness(
        SlackConnector, config=config, secrets={"bot_token": TOKEN}, cassette=cassette
    )


def hook(connector_harness: Factory, cassette: str, url: str = HOOK) -> Harness:
    return connector_harness(
        SlackConnector,
        config={"mode": "incoming_webhook"},
        secrets={"webhook_url": url},
        cassette=cassette,
    )


async def send(harness: Harness, notification: Notification, key: str = KEY) -> WriteResult:
    connector = harness.connector
    assert isinstance(connector, SlackConnector)
    return await connector.handoff_send_notification(notification, key)


def posted_body(harness: Harness) -> dict[str, Any]:
    posts = [r for r in harness.sent() if r.url.path.endswith("/chat.postMessage")]
    assert len(posts) == 1
    body = json.loads(posts[0].content)
    assert isinstance(body, dict)
    return body


# -- bot mode ------------------------------------------------------------------------


async def test_z6_ping_resolves_the_rep_by_email_then_posts(connector_harness: Factory) -> None:
    harness = bot(connector_harness, "post_with_mentions")
    result = await send(harness, ping())

    lookup, post = harness.sent()
    assert lookup.method == "GET"
    assert lookup.url.path == "/api/users.lookupByEmail"
    assert lookup.url.params["email"] == "owner@example.test"
    for request in (lookup, post):
        assert request.headers["Authorization"] == f"Bearer {TOKEN}"
        assert request.headers["Idempotency-Key"] == KEY
    assert post.headers["Content-Type"] == "application/json; charset=utf-8"
    body = posted_body(harness)
    assert body["channel"] == "#sales"
    assert body["text"].splitlines() == [
        "<@U0SYNTHOWNR> <@U0SYNTHMGR1> *Escalated ticket unanswered*",
        "Ticket 4711 waits for sales.",
        "<https://support.example.test/tickets/4711|Open record>",
    ]
    assert body["metadata"]["event_payload"] == {"idempotency_key": KEY}
    assert body["unfurl_links"] is False

    assert result.ok is True
    assert result.id == "C0SYNTHSALES:1767603600.000100"
    assert result.errors == []
    assert harness.api_calls == 2
    assert harness.clock.sleeps == []


async def test_the_same_rep_is_looked_up_once(connector_harness: Factory) -> None:
    harness = bot(connector_harness, "two_posts_same_owner")
    first = await send(harness, ping())
    second = await send(harness, ping(), key=KEY)
    assert first.id != second.id
    lookups = [r for r in harness.sent() if r.method == "GET"]
    assert len(lookups) == 1
    assert harness.api_calls == 3  # without the cache: 4


async def test_default_channel_when_the_notification_names_none(
    connector_harness: Factory,
) -> None:
    harness = bot(connector_harness, "post_only", default_channel="#sales")
    await send(harness, ping(channel=None, mentions=["U0SYNTHOWNR"]))
    assert posted_body(harness)["channel"] == "#sales"
    assert harness.api_calls == 1


async def test_no_channel_anywhere_is_a_config_error(connector_harness: Factory) -> None:
    harness = bot(connector_harness, "post_only")
    with pytest.raises(ConfigError) as info:
        await send(harness, ping(channel=None, mentions=[]))
    assert info.value.field == "default_channel"
    assert harness.api_calls == 0


@pytest.mark.parametrize(
    ("cassette", "email", "code"),
    [
        ("lookup_not_found", "ghost@example.test", "users_not_found"),
        ("lookup_deactivated", "gone@example.test", "user_deactivated"),
        ("lookup_missing_scope", "owner@example.test", "missing_scope"),
    ],
)
async def test_an_email_that_cannot_ping_is_posted_as_text_and_reported(
    connector_harness: Factory, cassette: str, email: str, code: str
) -> None:
    harness = bot(connector_harness, cassette)
    result = await send(harness, ping(mentions=[email]))
    text = posted_body(harness)["text"]
    assert text.startswith(f"@{email} *Escalated")
    assert "<@" not in text
    assert result.ok is True
    assert [e.code for e in result.errors] == [code]
    assert email in result.errors[0].message
    assert result.errors[0].fields == ["mentions"]
    assert harness.api_calls == 2


async def test_missing_scope_says_which_scope(connector_harness: Factory) -> None:
    harness = bot(connector_harness, "lookup_missing_scope")
    result = await send(harness, ping(mentions=["owner@example.test"]))
    assert "users:read.email" in result.errors[0].message


async def test_a_name_that_is_no_id_nor_email_is_text(connector_harness: Factory) -> None:
    harness = bot(connector_harness, "post_only")
    result = await send(harness, ping(mentions=["Jane Doe", "U0SYNTHMGR1"]))
    assert posted_body(harness)["text"].startswith("@Jane Doe <@U0SYNTHMGR1> ")
    assert [e.code for e in result.errors] == ["unresolved_mention"]
    assert harness.api_calls == 1


@pytest.mark.parametrize("code", ["not_in_channel", "channel_not_found"])
async def test_channel_problems_fail_with_slacks_code_once(
    connector_harness: Factory, code: str
) -> None:
    harness = bot(connector_harness, code)
    with pytest.raises(ApiError) as info:
        await send(harness, ping(mentions=["U0SYNTHOWNR"]))
    error = info.value
    assert error.code == code
    assert error.retryable is False
    assert str(error).startswith("slack: ")
    assert "'#sales'" in str(error)
    assert harness.api_calls == 1
    assert harness.clock.sleeps == []


async def test_revoked_token_is_an_auth_error_without_retry(connector_harness: Factory) -> None:
    harness = bot(connector_harness, "token_revoked")
    with pytest.raises(AuthError) as info:
        await send(harness, ping(mentions=["U0SYNTHOWNR"]))
    assert "token_revoked" in str(info.value)
    assert TOKEN not in str(info.value)
    assert harness.api_calls == 1


async def test_invalid_auth_on_the_lookup_stops_before_posting(connector_harness: Factory) -> None:
    harness = bot(connector_harness, "invalid_auth_on_lookup")
    with pytest.raises(AuthError):
        await send(harness, ping())
    assert harness.api_calls == 1
    assert [r.method for r in harness.sent()] == ["GET"]


async def test_429_with_retry_after_is_waited_out(connector_harness: Factory) -> None:
    harness = bot(connector_harness, "ratelimited")
    result = await send(harness, ping(mentions=["U0SYNTHOWNR"]))
    assert result.ok is True
    assert harness.api_calls == 2
    assert harness.clock.slept >= 3


async def test_internal_error_is_retried(connector_harness: Factory) -> None:
    harness = bot(connector_harness, "internal_error_then_ok")
    result = await send(harness, ping(mentions=["U0SYNTHOWNR"]))
    assert result.ok is True
    assert harness.api_calls == 2


async def test_fatal_error_is_not_retried(connector_harness: Factory) -> None:
    harness = bot(connector_harness, "fatal_error")
    with pytest.raises(ApiError) as info:
        await send(harness, ping(mentions=["U0SYNTHOWNR"]))
    assert info.value.code == "fatal_error"
    assert harness.api_calls == 1


# -- incoming webhook mode --------------------------------------------------------------


async def test_webhook_post(connector_harness: Factory) -> None:
    harness = hook(connector_harness, "webhook_post")
    result = await send(harness, ping(mentions=["U0SYNTHOWNR", "U0SYNTHMGR1"]))
    (request,) = harness.sent()
    assert str(request.url) == HOOK
    assert "Authorization" not in request.headers
    assert request.headers["Idempotency-Key"] == KEY
    body = json.loads(request.content)
    assert set(body) == {"text", "unfurl_links", "unfurl_media"}
    assert body["text"].startswith("<@U0SYNTHOWNR> <@U0SYNTHMGR1> *Escalated")
    assert result.ok is True
    assert result.id is None
    assert result.errors == []


async def test_webhook_cannot_look_up_emails(connector_harness: Factory) -> None:
    harness = hook(connector_harness, "webhook_post")
    result = await send(harness, ping(mentions=["owner@example.test"]))
    assert [r.method for r in harness.sent()] == ["POST"]
    assert [e.code for e in result.errors] == ["unresolved_mention"]


@pytest.mark.parametrize(
    ("cassette", "code"),
    [
        ("webhook_invalid_payload", "invalid_payload"),
        ("webhook_channel_is_archived", "channel_is_archived"),
    ],
)
async def test_webhook_refusals_fail_with_the_word(
    connector_harness: Factory, cassette: str, code: str
) -> None:
    harness = hook(connector_harness, cassette)
    with pytest.raises(ApiError) as info:
        await send(harness, ping(mentions=[]))
    assert info.value.code == code
    assert "hooks.slack.com" not in str(info.value)
    assert harness.api_calls == 1


async def test_webhook_no_service_is_an_auth_error_that_hides_the_url(
    connector_harness: Factory,
) -> None:
    harness = hook(connector_harness, "webhook_no_service")
    with pytest.raises(AuthError) as info:
        await send(harness, ping(mentions=[]))
    assert "no_service" in str(info.value)
    assert "hooks.slack.com" not in str(info.value)
    assert harness.api_calls == 1


async def test_webhook_rollup_error_is_retried(connector_harness: Factory) -> None:
    harness = hook(connector_harness, "webhook_rollup_error_then_ok")
    result = await send(harness, ping(mentions=[]))
    assert result.ok is True
    assert harness.api_calls == 2


async def test_webhook_url_must_be_https_and_is_not_echoed(connector_harness: Factory) -> None:
    harness = hook(connector_harness, "webhook_post", url="http://hooks.example.test/secret-path")
    with pytest.raises(ConfigError) as info:
        await send(harness, ping(mentions=[]))
    assert info.value.field == "webhook_url"
    assert "secret-path" not in str(info.value)
    assert harness.api_calls == 0

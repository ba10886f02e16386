"""The Zoom connector against recorded (synthetic) traffic, on a fake clock (rule Q12)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import pytest
from handoff_zoom import URL_VALIDATION_EVENT, ZoomConnector
from zoom_cases import (
    ACCOUNT_ID,
    BOOK_KEY,
    CLIENT_ID,
    CONFIG,
    JOIN_URL,
    MEETING,
    SECRETS,
    SIGNED_AT,
    STARTED_BODY,
    VALIDATION_BODY,
    signed,
)

from handoff_sdk import (
    ApiError,
    AuthError,
    ConfigError,
    ConnectorError,
    MissingSecretError,
    RateLimitedError,
    WebhookSignatureError,
)
from handoff_sdk.testing.harness import Harness

Make = Callable[..., Harness]
SETTINGS = {"waiting_room": True, "join_before_host": False}


@pytest.fixture
def zoom(connector_harness: Make) -> Make:
    def make(cassette: str, config: dict[str, Any] | None = None, **kw: Any) -> Harness:
        return connector_harness(
            ZoomConnector,
            config={**CONFIG, "meeting_settings": SETTINGS, **(config or {})},
            secrets=kw.pop("secrets", SECRETS),
            cassette=cassette,
            **kw,
        )

    return make


def connector(h: Harness) -> ZoomConnector:
    assert isinstance(h.connector, ZoomConnector)
    return h.connector


def api(h: Harness) -> list[Any]:
    return [r for r in h.sent() if r.url.host == "api.zoom.us"]


# -- Q12: a meeting for the rep ------------------------------------------------------


async def test_q12_book_meeting_creates_a_meeting_hosted_by_the_rep(zoom: Make) -> None:
    h = zoom("book_meeting")
    booked = await connector(h).handoff_book_meeting(meeting=MEETING, idempotency_key=BOOK_KEY)
    assert booked.ids == {"zoom": "81234567890"}
    assert booked.join_url == JOIN_URL
    assert (booked.start, booked.end) == (MEETING.start, MEETING.end)
    assert booked.rep_id == "rep-ana"
    listing, create = api(h)
    assert listing.method == "GET"
    assert listing.url.raw_path.startswith(b"/v2/users/ana.rep%40example.com/meetings?")
    assert dict(listing.url.params) == {
        "type": "scheduled",
        "page_size": "300",
        "from": "2026-01-06",
        "to": "2026-01-06",
    }
    assert create.method == "POST"
    assert json.loads(create.content) == {
        "topic": "Acme x Pat Lee: pricing",
        "type": 2,
        "start_time": "2026-01-06T15:00:00Z",
        "duration": 30,
        "timezone": "UTC",
        "agenda": "Acme x Pat Lee: pricing with pat.lee@acme.example",
        "settings": SETTINGS,
    }
    assert all(r.headers["X-Handoff-Idempotency-Key"] == BOOK_KEY for r in (listing, create))


async def test_server_to_server_token_uses_basic_auth_and_the_account_credentials_grant(
    zoom: Make,
) -> None:
    h = zoom("book_meeting")
    await connector(h).handoff_book_meeting(meeting=MEETING, idempotency_key=BOOK_KEY)
    (token,) = [r for r in h.sent() if r.url.host == "zoom.us"]
    assert token.method == "POST"
    assert str(token.url) == "https://zoom.us/oauth/token"
    pair = base64.b64encode(f"{CLIENT_ID}:{SECRETS['client_secret']}".encode()).decode()
    assert token.headers["Authorization"] == f"Basic {pair}"
    assert parse_qs(token.content.decode()) == {
        "grant_type": ["account_credentials"],
        "account_id": [ACCOUNT_ID],
    }, "no client_credentials grant, no secret in the form"


async def test_q12_a_retried_booking_finds_the_meeting_instead_of_creating_another(
    zoom: Make,
) -> None:
    h = zoom("book_meeting_reused")
    booked = await connector(h).handoff_book_meeting(meeting=MEETING, idempotency_key=BOOK_KEY)
    assert booked.ids == {"zoom": "81234567890"}
    assert booked.join_url is not None
    assert booked.join_url.startswith("https://us05web.zoom.example/j/81234567890")
    first, second = api(h)
    assert "next_page_token" not in first.url.params
    assert second.url.params["next_page_token"] == "c3ludGhldGljUGFnZVRva2VuMDI"
    assert [r.method for r in api(h)] == ["GET", "GET"], "same topic at 17:00 is not it; no POST"


async def test_q12_without_reuse_only_the_create_call_is_made(zoom: Make) -> None:
    h = zoom("book_meeting", config={"reuse_existing": False})
    booked = await connector(h).handoff_book_meeting(meeting=MEETING, idempotency_key=BOOK_KEY)
    assert booked.ids == {"zoom": "81234567890"}
    assert [r.method for r in api(h)] == ["POST"]


async def test_q12_the_daily_creation_limit_fails_at_once_for_the_personal_link_fallback(
    zoom: Make,
) -> None:
    h = zoom("book_meeting_daily_limit")
    with pytest.raises(RateLimitedError) as info:
        await connector(h).handoff_book_meeting(meeting=MEETING, idempotency_key=BOOK_KEY)
    assert not info.value.retryable
    assert "daily rate limit (100)" in str(info.value)
    assert h.clock.sleeps == [], "no waiting until midnight inside a booking"
    assert h.api_calls == 2


async def test_the_per_second_limit_is_waited_out(zoom: Make) -> None:
    h = zoom("book_meeting_per_second_limit")
    booked = await connector(h).handoff_book_meeting(meeting=MEETING, idempotency_key=BOOK_KEY)
    assert booked.ids == {"zoom": "81234567890"}
    assert h.api_calls == 3
    assert len(h.clock.sleeps) == 1


async def test_code_124_fetches_a_new_token_once(zoom: Make) -> None:
    h = zoom("book_meeting_invalid_token")
    booked = await connector(h).handoff_book_meeting(meeting=MEETING, idempotency_key=BOOK_KEY)
    assert booked.join_url == JOIN_URL
    assert h.token_requests == 2
    assert h.api_calls == 3


async def test_an_unknown_zoom_user_fails_with_zooms_code(zoom: Make) -> None:
    h = zoom(
        "book_meeting_unknown_user", config={"rep_emails": {"rep-gone": "gone.rep@example.com"}}
    )
    gone = MEETING.model_copy(update={"rep_id": "rep-gone"})
    with pytest.raises(ApiError) as info:
        await connector(h).handoff_book_meeting(meeting=gone, idempotency_key=BOOK_KEY)
    assert (info.value.status, info.value.code) == (404, "1001")
    assert str(info.value) == "zoom: HTTP 404 1001: User does not exist: gone.rep@example.com."


async def test_a_refused_token_says_zooms_reason_and_no_secret(zoom: Make) -> None:
    h = zoom("token_refused")
    with pytest.raises(AuthError) as info:
        await connector(h).handoff_book_meeting(meeting=MEETING, idempotency_key=BOOK_KEY)
    assert "Invalid client_id or client_secret (invalid_client)" in str(info.value)
    assert SECRETS["client_secret"] not in str(info.value)


async def test_a_rep_without_a_zoom_email_is_a_config_error(zoom: Make) -> None:
    h = zoom("book_meeting")
    with pytest.raises(ConfigError) as info:
        await connector(h).handoff_book_meeting(
            meeting=MEETING.model_copy(update={"rep_id": "rep-x"}), idempotency_key=BOOK_KEY
        )
    assert info.value.field == "rep_emails"
    assert h.sent() == []


# -- webhooks -------------------------------------------------------------------------------


async def test_a_signed_meeting_started_becomes_one_event(zoom: Make) -> None:
    h = zoom("webhook")
    (event,) = await connector(h).handoff_parse_webhook(request=signed(STARTED_BODY))
    assert event.type == "zoom.meeting.started"
    assert event.source == "zoom"
    assert event.dedupe_key == "zoom:meeting.started:c3ludGhldGljLXV1aWQtMDE=:1767603570000"
    assert event.occurred_at == datetime(2026, 1, 5, 8, 59, 30, tzinfo=UTC)
    assert event.payload["object"]["id"] == "81234567890"
    assert event.payload["account_id"] == "SyntheticAcct0001"
    assert h.sent() == []


async def test_a_redelivery_has_the_same_dedupe_key(zoom: Make) -> None:
    h = zoom("webhook")
    first = await connector(h).handoff_parse_webhook(request=signed(STARTED_BODY))
    h.clock.advance(240)  # Zoom retries after minutes; still inside the replay window
    again = signed(STARTED_BODY).model_copy(
        update={"received_at": SIGNED_AT + timedelta(minutes=4)}
    )
    second = await connector(h).handoff_parse_webhook(request=again)
    assert first[0].dedupe_key == second[0].dedupe_key


async def test_the_url_validation_challenge_is_answered_in_the_event(zoom: Make) -> None:
    h = zoom("webhook")
    (event,) = await connector(h).handoff_parse_webhook(request=signed(VALIDATION_BODY))
    assert event.type == URL_VALIDATION_EVENT
    expected = hmac.new(
        SECRETS["webhook_secret_token"].encode(), b"qgg8vlvZRS6UYooatFL8Aw", hashlib.sha256
    ).hexdigest()
    assert event.payload["status"] == 200
    assert event.payload["body"] == {
        "plainToken": "qgg8vlvZRS6UYooatFL8Aw",
        "encryptedToken": expected,
    }
    answer = await connector(h).url_validation_answer(signed(VALIDATION_BODY))
    assert answer == event.payload["body"]
    assert await connector(h).url_validation_answer(signed(STARTED_BODY)) is None


async def test_a_challenge_signed_with_another_secret_is_refused(zoom: Make) -> None:
    h = zoom("webhook")
    with pytest.raises(WebhookSignatureError) as info:
        await connector(h).handoff_parse_webhook(request=signed(VALIDATION_BODY, secret="nope"))
    assert info.value.reason == "mismatch"


async def test_a_stale_delivery_is_refused(zoom: Make) -> None:
    h = zoom("webhook")
    h.clock.advance(600)
    with pytest.raises(WebhookSignatureError) as info:
        await connector(h).handoff_parse_webhook(request=signed(STARTED_BODY))
    assert info.value.reason == "stale"


async def test_a_signed_body_that_is_not_a_zoom_event_is_unreadable(zoom: Make) -> None:
    h = zoom("webhook")
    for body in (b"not json", b'{"payload": {}}'):
        with pytest.raises(ConnectorError, match="zoom: webhook body is not"):
            await connector(h).handoff_parse_webhook(request=signed(body))


async def test_webhooks_need_the_secret_token(zoom: Make) -> None:
    h = zoom("webhook", secrets={"client_secret": "synthetic-client-secret"})
    with pytest.raises(MissingSecretError, match="webhook_secret_token"):
        await connector(h).handoff_parse_webhook(request=signed(STARTED_BODY))


def test_only_the_client_secret_is_required_to_start() -> None:
    config = ZoomConnector.config_model.model_validate(CONFIG)
    assert ZoomConnector.required_secrets(config) == ["client_secret"]

"""P5: PathFactory webhooks, checked against the shared secret, become Fast Moving Buyer events."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from handoff_pathfactory import PathfactoryConnector

from handoff_sdk import ConnectorError, MissingSecretError
from handoff_sdk.entities import WebhookRequest
from handoff_sdk.testing.harness import build_harness
from handoff_sdk.webhooks import WebhookSignatureError

SECRET = "synthetic-webhook-secret"
ACTIVITY = {
    "activity_name": "Fast Moving Buyer",
    "activity_id": "act-7001",
    "email": "pat.ng@example.test",
    "account_name": "Example Widgets Inc",
    "occurred_at": "2026-01-05T08:58:00Z",
    "assets": [{"id": "101", "engaged_seconds": 240}, {"id": "104", "engaged_seconds": 420}],
}


def _connector(secrets: dict[str, str] | None = None, **config: Any) -> Any:
    return build_harness(
        PathfactoryConnector,
        transport=httpx.MockTransport(lambda r: httpx.Response(500)),
        config=config,
        secrets={"api_key": "synthetic-api-key", "webhook_secret": SECRET}
        if secrets is None
        else secrets,
    ).connector


def _request(body: Any, **headers: str) -> WebhookRequest:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return WebhookRequest(
        headers=headers, body=raw, received_at=datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    )


async def test_p5_a_fast_moving_buyer_activity_with_the_secret_becomes_an_event() -> None:
    [event] = await _connector().handoff_parse_webhook(
        request=_request(ACTIVITY, **{"x-handoff-token": SECRET})
    )
    assert event.type == "pathfactory.fast_moving_buyer"
    assert event.payload["email"] == "pat.ng@example.test"
    assert event.payload["assets_consumed"] == 2
    assert event.payload["engagement_minutes"] == 11.0
    assert event.payload["trigger"] == "pathfactory_activity"
    assert event.occurred_at == datetime(2026, 1, 5, 8, 58, tzinfo=UTC)


async def test_p5_activity_names_are_configuration() -> None:
    connector = _connector(activity_names=["Hot Account Binge"])
    events = await connector.handoff_parse_webhook(
        request=_request(
            {"activities": [ACTIVITY, {**ACTIVITY, "activity_name": "Hot Account Binge"}]},
            **{"x-handoff-token": SECRET},
        )
    )
    assert [e.payload["activity_name"] for e in events] == ["Hot Account Binge"]


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "missing"),
        ({"x-handoff-token": "guess"}, "mismatch"),
        ({"x-api-key": SECRET}, "missing"),
    ],
)
async def test_a_webhook_without_the_secret_is_refused(
    headers: dict[str, str], reason: str
) -> None:
    with pytest.raises(WebhookSignatureError) as info:
        await _connector().handoff_parse_webhook(request=_request(ACTIVITY, **headers))
    assert info.value.reason == reason
    assert str(info.value).startswith("pathfactory: webhook refused")
    assert SECRET not in str(info.value)


async def test_basic_auth_mode() -> None:
    connector = _connector(webhook_auth="basic")
    good = "Basic " + base64.b64encode(f"pathfactory:{SECRET}".encode()).decode()
    assert (
        len(await connector.handoff_parse_webhook(request=_request(ACTIVITY, authorization=good)))
        == 1
    )
    bad = "Basic " + base64.b64encode(b"pathfactory:nope").decode()
    with pytest.raises(WebhookSignatureError, match="basic auth does not match"):
        await connector.handoff_parse_webhook(request=_request(ACTIVITY, authorization=bad))


async def test_without_the_webhook_secret_nothing_is_accepted() -> None:
    connector = _connector(secrets={"api_key": "synthetic-api-key"})
    with pytest.raises(MissingSecretError, match=r"pathfactory.*webhook_secret"):
        await connector.handoff_parse_webhook(
            request=_request(ACTIVITY, **{"x-handoff-token": "x"})
        )


async def test_bad_bodies_are_clear_errors() -> None:
    connector = _connector()
    with pytest.raises(ConnectorError, match="pathfactory: webhook body is not JSON"):
        await connector.handoff_parse_webhook(
            request=_request(b"nope", **{"x-handoff-token": SECRET})
        )
    with pytest.raises(ConnectorError, match=r"webhook item 1: field 'email' is missing"):
        await connector.handoff_parse_webhook(
            request=_request(
                [ACTIVITY, {"activity_name": "Fast Moving Buyer"}], **{"x-handoff-token": SECRET}
            )
        )

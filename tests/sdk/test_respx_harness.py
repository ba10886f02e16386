"""The respx fixture: error paths (429, 5xx, expired token) without recording them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from handoff_sdk import ApiError, AuthError, Connector

URL = "https://echo.example.test/accounts"
Factory = Callable[..., Any]


async def test_429_then_answer(
    respx_harness: Factory, echo_classes: dict[str, type[Connector]]
) -> None:
    harness, api = respx_harness(echo_classes["echo"], secrets={"api_key": "k"})
    route = api.get(URL).mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "3"}, text="Too Many Requests"),
            httpx.Response(200, json={"id": "A-1", "name": "Acme"}),
        ]
    )
    account = await harness.connector.handoff_match_account(
        email_domain="acme.example", website=None
    )
    assert account.name == "Acme"
    assert route.call_count == 2
    assert harness.clock.slept >= 3


async def test_persistent_5xx_gives_up_with_the_status(
    respx_harness: Factory, echo_classes: dict[str, type[Connector]]
) -> None:
    harness, api = respx_harness(echo_classes["echo"], secrets={"api_key": "k"})
    api.get(URL).mock(return_value=httpx.Response(503, json={"message": "maintenance"}))
    with pytest.raises(ApiError, match="HTTP 503: maintenance"):
        await harness.connector.handoff_match_account(email_domain="acme.example", website=None)
    assert harness.api_calls == harness.connector.retry_policy.attempts


async def test_refused_static_key_is_not_retried(
    respx_harness: Factory, echo_classes: dict[str, type[Connector]]
) -> None:
    harness, api = respx_harness(echo_classes["echo"], secrets={"api_key": "wrong"})
    route = api.get(URL).mock(return_value=httpx.Response(401, json={"error": "invalid_key"}))
    with pytest.raises(AuthError, match="echo: credentials refused"):
        await harness.connector.handoff_match_account(email_domain="acme.example", website=None)
    assert route.call_count == 1


async def test_an_unrouted_request_fails_the_test(
    respx_harness: Factory, echo_classes: dict[str, type[Connector]]
) -> None:
    harness, _api = respx_harness(echo_classes["echo"], secrets={"api_key": "k"})
    with pytest.raises(Exception, match="not mocked"):
        await harness.connector.handoff_match_account(email_domain="acme.example", website=None)

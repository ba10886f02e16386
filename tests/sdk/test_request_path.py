"""The one request path: rate budget, Retry-After, backoff, classification, idempotency."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest

from handoff_sdk import (
    ApiError,
    Connector,
    ConnectorConfig,
    FakeClock,
    Outcome,
    RateBudget,
    RateLimit,
    RateLimitedError,
    RetryPolicy,
    Verdict,
    parse_retry_after,
)
from handoff_sdk.secrets import DictSecrets


class Plain(Connector):
    name = "plain"
    default_rate_limit = RateLimit(requests=5, per_seconds=10, concurrency=2)
    retry_policy = RetryPolicy(attempts=4, base_seconds=1, max_seconds=60)


class InBody(Plain):
    """An API that reports errors inside HTTP 200 bodies (Marketo, Slack style)."""

    def classify(self, response: httpx.Response) -> Outcome:
        body = response.json()
        if body.get("ok") is False:
            if body["error"] == "busy":
                return Outcome(Verdict.RETRY, "busy", "try later", retry_after=2)
            return Outcome(Verdict.FAIL, body["error"], "refused")
        return super().classify(response)


def make(
    handler: Callable[[httpx.Request], httpx.Response],
    cls: type[Connector] = Plain,
    clock: FakeClock | None = None,
    config: ConnectorConfig | None = None,
) -> Connector:
    return cls(
        config=config or ConnectorConfig(),
        secrets=DictSecrets(cls.name),
        http=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
        clock=clock or FakeClock(),
    )


def sequence(*responses: httpx.Response) -> Callable[[httpx.Request], httpx.Response]:
    queue = list(responses)
    return lambda request: queue.pop(0)


async def test_retry_after_seconds_is_honoured() -> None:
    conn = make(
        sequence(
            httpx.Response(429, headers={"Retry-After": "12"}, text="slow down"),
            httpx.Response(200, json={}),
        )
    )
    await conn.request("GET", "https://api.example.test/")
    assert isinstance(conn.clock, FakeClock)
    assert conn.clock.slept >= 12
    assert conn.calls == 2


async def test_retry_after_as_http_date() -> None:
    clock = FakeClock()
    when = (clock.now() + timedelta(seconds=30)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert parse_retry_after(when, clock.now()) == pytest.approx(30)
    conn = make(
        sequence(httpx.Response(503, headers={"Retry-After": when}), httpx.Response(200)),
        clock=clock,
    )
    await conn.request("GET", "https://api.example.test/")
    assert clock.slept >= 30


async def test_5xx_is_retried_then_gives_up_with_the_api_message() -> None:
    conn = make(lambda r: httpx.Response(502, json={"message": "bad gateway"}))
    with pytest.raises(ApiError, match="plain: HTTP 502: bad gateway") as info:
        await conn.request("GET", "https://api.example.test/")
    assert info.value.retryable
    assert conn.calls == 4


async def test_4xx_fails_at_once() -> None:
    conn = make(
        lambda r: httpx.Response(400, json=[{"errorCode": "MALFORMED_QUERY", "message": "bad"}])
    )
    with pytest.raises(ApiError, match="HTTP 400 MALFORMED_QUERY: bad"):
        await conn.request("GET", "https://api.example.test/")
    assert conn.calls == 1


async def test_a_retry_after_longer_than_the_policy_fails_instead_of_hanging() -> None:
    conn = make(lambda r: httpx.Response(429, headers={"Retry-After": "86400"}, text="daily quota"))
    with pytest.raises(RateLimitedError, match="daily quota"):
        await conn.request("GET", "https://api.example.test/")
    assert conn.calls == 1


async def test_errors_inside_http_200_are_classified() -> None:
    conn = make(
        sequence(
            httpx.Response(200, json={"ok": False, "error": "busy"}),
            httpx.Response(200, json={"ok": True}),
        ),
        cls=InBody,
    )
    response = await conn.request("GET", "https://api.example.test/")
    assert response.json() == {"ok": True}
    conn2 = make(
        lambda r: httpx.Response(200, json={"ok": False, "error": "channel_not_found"}), cls=InBody
    )
    with pytest.raises(ApiError, match="channel_not_found"):
        await conn2.request("GET", "https://api.example.test/")


async def test_transport_errors_are_retried() -> None:
    attempts = []

    def flaky(request: httpx.Request) -> httpx.Response:
        attempts.append(1)
        if len(attempts) < 3:
            raise httpx.ConnectError("refused")
        return httpx.Response(200)

    conn = make(flaky)
    assert (await conn.request("GET", "https://api.example.test/")).status_code == 200


async def test_idempotency_key_travels_in_the_header() -> None:
    seen: list[httpx.Request] = []
    conn = make(lambda r: seen.append(r) or httpx.Response(200))
    await conn.request("POST", "https://api.example.test/", json={}, idempotency_key="job-7")
    assert seen[0].headers["Idempotency-Key"] == "job-7"


async def test_window_budget_waits_on_the_clock() -> None:
    clock = FakeClock()
    budget = RateBudget(RateLimit(requests=3, per_seconds=60, concurrency=10), clock)
    for _ in range(3):
        async with budget.slot():
            pass
    assert clock.slept == 0
    async with budget.slot():
        pass
    assert clock.slept == pytest.approx(60)


async def test_config_overrides_the_default_budget() -> None:
    conn = make(
        lambda r: httpx.Response(200),
        config=ConnectorConfig(rate_limit=RateLimit(requests=2, per_seconds=1, concurrency=1)),
    )
    assert conn.budget.limit.requests == 2


async def test_concurrency_cap_is_shared_by_all_calls() -> None:
    in_flight = 0
    peak = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        in_flight -= 1
        return httpx.Response(200)

    conn = Plain(
        config=ConnectorConfig(rate_limit=RateLimit(requests=100, per_seconds=1, concurrency=2)),
        secrets=DictSecrets("plain"),
        http=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
        clock=FakeClock(),
    )
    await asyncio.gather(*(conn.request("GET", "https://api.example.test/") for _ in range(8)))
    assert peak == 2


async def test_a_429_pauses_the_whole_connector() -> None:
    clock = FakeClock()
    budget = RateBudget(RateLimit(requests=100, per_seconds=1, concurrency=5), clock)
    budget.pause_for(9)
    async with budget.slot():
        pass
    assert clock.slept == pytest.approx(9)

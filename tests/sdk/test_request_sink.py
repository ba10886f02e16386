"""The request path reports every HTTP try to the connector's RequestSink (the hub's metrics)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from handoff_sdk import (
    ApiError,
    AuthError,
    Connector,
    ConnectorConfig,
    FakeClock,
    RateLimit,
    RequestRecord,
    RetryPolicy,
)
from handoff_sdk.secrets import DictSecrets


class Plain(Connector):
    name = "plain"
    default_rate_limit = RateLimit(requests=100, per_seconds=1, concurrency=2)
    retry_policy = RetryPolicy(attempts=3, base_seconds=1, max_seconds=60)


class Kept:
    """A sink that keeps what it is told."""

    def __init__(self) -> None:
        self.records: list[RequestRecord] = []

    def record(self, request: RequestRecord) -> None:
        self.records.append(request)


def answers(*items: httpx.Response | Exception) -> Callable[[httpx.Request], httpx.Response]:
    queue = list(items)

    def handler(request: httpx.Request) -> httpx.Response:
        item = queue.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    return handler


def make(handler: Callable[[httpx.Request], httpx.Response], sink: object) -> Connector:
    return Plain(
        config=ConnectorConfig(),
        secrets=DictSecrets("plain"),
        http=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
        clock=FakeClock(),
        sink=sink,  # type: ignore[arg-type]
    )


def seen(sink: Kept) -> list[tuple[str, int | None, bool]]:
    return [(r.outcome, r.status, r.retried) for r in sink.records]


async def test_a_throttle_then_a_server_error_then_an_answer_are_three_records() -> None:
    sink = Kept()
    connector = make(
        answers(
            httpx.Response(429, headers={"Retry-After": "2"}),
            httpx.Response(503),
            httpx.Response(200, json={"ok": True}),
        ),
        sink,
    )
    await connector.request("GET", "https://api.example.test/x")
    assert seen(sink) == [("throttled", 429, True), ("server_error", 503, True), ("ok", 200, False)]
    assert {r.connector for r in sink.records} == {"plain"}
    assert all(r.method == "GET" and r.seconds >= 0 for r in sink.records)


async def test_network_errors_until_the_attempts_run_out() -> None:
    sink = Kept()
    refused = httpx.ConnectError("connection refused")
    connector = make(answers(refused, refused, refused), sink)
    with pytest.raises(ApiError):
        await connector.request("GET", "https://api.example.test/x")
    assert seen(sink) == [
        ("network_error", None, True),
        ("network_error", None, True),
        ("network_error", None, False),
    ]


async def test_refusals_are_reported_once_and_not_retried() -> None:
    sink = Kept()
    connector = make(answers(httpx.Response(404), httpx.Response(401)), sink)
    with pytest.raises(ApiError):
        await connector.request("GET", "https://api.example.test/x")
    with pytest.raises(AuthError):
        await connector.request("GET", "https://api.example.test/y")
    assert seen(sink) == [("refused", 404, False), ("auth_refused", 401, False)]


async def test_a_failing_sink_never_fails_the_call() -> None:
    class Broken:
        def record(self, request: RequestRecord) -> None:
            raise RuntimeError("the metrics backend is gone")

    connector = make(answers(httpx.Response(200, json={})), Broken())
    assert (await connector.request("GET", "https://api.example.test/x")).status_code == 200

"""A scripted Marketo for the tests that need answers no cassette holds (errors, expiry)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
import pytest_asyncio
from handoff_marketo import MarketoConnector

from handoff_sdk import FakeClock
from handoff_sdk.testing.harness import Harness, build_harness

BASE = "https://marketo.example.test"
TOKEN_PATH = "/identity/oauth/token"


class FakeMarketo:
    """Identity endpoint issuing tok-1, tok-2, ...; API answers queued per path (the last repeats)."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.tokens_issued = 0
        self.expires_in = 3599
        self.answers: dict[str, list[httpx.Response | dict[str, Any]]] = {}

    @staticmethod
    def error(code: str, message: str) -> dict[str, Any]:
        """Marketo's response-level error: HTTP 200, success false, the code a quoted integer."""
        return {
            "requestId": f"{code}a#19a0c0ffee{code}",
            "success": False,
            "errors": [{"code": code, "message": message}],
        }

    def answer(self, path: str, *answers: httpx.Response | dict[str, Any]) -> None:
        self.answers.setdefault(path, []).extend(answers)

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path == TOKEN_PATH:
            self.tokens_issued += 1
            return httpx.Response(
                200,
                json={
                    "access_token": f"tok-{self.tokens_issued}",
                    "token_type": "bearer",
                    "expires_in": self.expires_in,
                    "scope": "api-user@example.test",
                },
            )
        queue = self.answers.get(request.url.path)
        if not queue:
            raise AssertionError(f"unexpected request {request.method} {request.url}")
        item = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(item, httpx.Response):
            return httpx.Response(item.status_code, headers=item.headers, content=item.content)
        return httpx.Response(200, json=item)

    @property
    def api_requests(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path != TOKEN_PATH]

    @property
    def token_requests(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path == TOKEN_PATH]


@pytest.fixture
def fake_marketo() -> FakeMarketo:
    return FakeMarketo()


@pytest.fixture
def marketo_config() -> dict[str, Any]:
    return {"base_url": BASE, "client_id": "synthetic-client-id"}


MarketoFactory = Callable[..., Harness]


@pytest_asyncio.fixture
async def marketo(
    fake_marketo: FakeMarketo, marketo_config: dict[str, Any], fake_clock: FakeClock
) -> AsyncIterator[MarketoFactory]:
    """Factory: a MarketoConnector on the fake Marketo and the test's fake clock."""
    built: list[Harness] = []

    def make(**config: Any) -> Harness:
        harness = build_harness(
            MarketoConnector,
            transport=httpx.MockTransport(fake_marketo.handler),
            config={**marketo_config, **config},
            secrets={"client_secret": "synthetic-secret"},
            clock=fake_clock,
        )
        built.append(harness)
        return harness

    yield make
    for harness in built:
        await harness.aclose()

"""The webhook route answers a connector's failure to read a delivery, and lets its bugs surface.

A delivery the connector cannot read (it raises the SDK's `ConnectorError`) is
a 400 naming why; a connector that answers something other than events is a
400 too (the Hub's `HookAnswerError`); a bug (`ValueError`, anything else) is
raised, so it is seen and fixed instead of passing for a vendor's bad request.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import ClassVar

import httpx
import pytest
from fastapi import FastAPI

from handoff.config import ConnectorSettings, HubConfig
from handoff.hub import Hub
from handoff.plugins import Discovery
from handoff.server import create_app
from handoff.store import Store
from handoff_sdk import Connector, ConnectorError, FakeClock, hookimpl
from handoff_sdk.entities import Event, WebhookRequest
from handoff_sdk.secrets import DictSecrets


class Moody(Connector):
    """Its parse_webhook does what the test sets: raise, or answer something."""

    name = "moody"
    answer: ClassVar[object] = []
    error: ClassVar[Exception | None] = None

    @hookimpl
    async def handoff_parse_webhook(self, request: WebhookRequest) -> list[Event]:
        if type(self).error is not None:
            raise type(self).error  # type: ignore[misc]
        return type(self).answer  # type: ignore[return-value]


@pytest.fixture
async def app(store: Store, clock: FakeClock) -> AsyncIterator[FastAPI]:
    Moody.answer, Moody.error = [], None
    config = HubConfig(connectors={"moody": ConnectorSettings()})
    discovery = Discovery(connectors={"moody": Moody}, packages={"moody": "test"})
    async with Hub(config, secrets=DictSecrets, discovery=discovery, clock=clock) as hub:
        built = create_app(store, hub=hub, clock=clock)
        yield built
        await built.state.intake.aclose()


async def post(app: FastAPI) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as client:
        return await client.post("/webhooks/moody", content=b"{}")


async def test_an_unreadable_delivery_is_a_400_naming_why(app: FastAPI) -> None:
    Moody.error = ConnectorError("moody", "webhook body is not JSON")
    response = await post(app)
    assert response.status_code == 400
    assert response.json() == {"error": "moody: webhook body is not JSON", "fields": []}


async def test_an_answer_that_is_not_events_is_a_400_naming_the_hook(app: FastAPI) -> None:
    Moody.answer = "not events"
    response = await post(app)
    assert response.status_code == 400
    assert response.json()["error"].startswith("moody: handoff_parse_webhook answered a str")


async def test_a_connector_bug_is_raised_not_passed_off_as_a_bad_request(app: FastAPI) -> None:
    Moody.error = ValueError("a bug in the connector")
    with pytest.raises(ValueError, match="a bug in the connector"):
        await post(app)

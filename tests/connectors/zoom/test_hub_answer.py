"""Zoom's deliveries through the hub's `POST /webhooks/zoom`: stored ones are answered 200.

Zoom counts only 200 or 204 as delivered and retries anything else after 5, 20 and 60
minutes (a 202 included), so `ZoomConnector.webhook_accepted_status` is 200, for a new
delivery and for Zoom's redelivery of one already stored. The URL challenge is answered
200 with its tokens, and nothing is stored for it.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator

import httpx
import pytest
from handoff_zoom import ZoomConnector
from sqlalchemy import func, select
from zoom_cases import CONFIG, SECRETS, STARTED_BODY, VALIDATION_BODY, signed

from handoff.config import ConnectorSettings, HubConfig
from handoff.hub import Hub
from handoff.plugins import Discovery
from handoff.server import create_app
from handoff.store import EventRecord, Store
from handoff_sdk import FakeClock
from handoff_sdk.secrets import DictSecrets


@pytest.fixture
async def client(store: Store, clock: FakeClock) -> AsyncIterator[httpx.AsyncClient]:
    hub = Hub(
        HubConfig(connectors={"zoom": ConnectorSettings(settings=CONFIG)}),
        secrets=lambda name: DictSecrets(name, SECRETS),
        discovery=Discovery(connectors={"zoom": ZoomConnector}, packages={"zoom": "test"}),
        clock=clock,
    )
    async with hub:
        app = create_app(store, hub=hub, clock=clock)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://hub.example.test") as c:
            yield c
        await app.state.intake.aclose()


async def deliver(client: httpx.AsyncClient, body: bytes) -> httpx.Response:
    request = signed(body)
    return await client.post("/webhooks/zoom", content=request.body, headers=request.headers)


def stored(store: Store) -> list[str]:
    with store.sessions() as s:
        return list(s.scalars(select(EventRecord.type)))


def test_the_connector_declares_200() -> None:
    assert ZoomConnector.webhook_accepted_status == 200


async def test_a_new_delivery_and_zoom_s_retry_of_it_are_both_answered_200(
    client: httpx.AsyncClient, store: Store, clock: FakeClock
) -> None:
    first = await deliver(client, STARTED_BODY)
    assert first.status_code == 200, first.text
    [answer] = first.json()["events"]
    assert answer["type"] == "zoom.meeting.started"
    assert answer["duplicate"] is False
    clock.advance(120)  # Zoom's first retry comes minutes later, inside the replay window
    again = await deliver(client, STARTED_BODY)
    assert again.status_code == 200, again.text
    [duplicate] = again.json()["events"]
    assert duplicate["duplicate"] is True
    assert duplicate["event_id"] == answer["event_id"]
    assert stored(store) == ["zoom.meeting.started"]


async def test_the_url_challenge_is_answered_200_with_its_tokens_and_not_stored(
    client: httpx.AsyncClient, store: Store
) -> None:
    answer = await deliver(client, VALIDATION_BODY)
    assert answer.status_code == 200, answer.text
    expected = hmac.new(
        SECRETS["webhook_secret_token"].encode(), b"qgg8vlvZRS6UYooatFL8Aw", hashlib.sha256
    ).hexdigest()
    assert answer.json() == {"plainToken": "qgg8vlvZRS6UYooatFL8Aw", "encryptedToken": expected}
    assert stored(store) == []


async def test_a_forged_delivery_is_still_401(client: httpx.AsyncClient, store: Store) -> None:
    request = signed(STARTED_BODY, secret="not-the-secret-token")
    answer = await client.post("/webhooks/zoom", content=request.body, headers=request.headers)
    assert answer.status_code == 401
    with store.sessions() as s:
        assert s.scalar(select(func.count()).select_from(EventRecord)) == 0

"""POST /webhooks/{connector} for each signature scheme: stored once, forged or stale is 401."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select

from handoff.server import create_app
from handoff.store import EventRecord, Store
from handoff_sdk import (
    Connector,
    FakeClock,
    WebhookScheme,
    hookimpl,
    sign_webhook,
    verify_webhook,
    zoom_url_validation_response,
)
from handoff_sdk.entities import Event, WebhookRequest
from handoff_sdk.webhooks import webhook_reply

from .conftest import make_hub

SECRET = "whsec-synthetic-per-scheme"


def connector_for(scheme: WebhookScheme) -> type[Connector]:
    class Receiver(Connector):
        name = f"signed-{scheme.name.lower()}"

        @hookimpl
        async def handoff_parse_webhook(self, request: WebhookRequest) -> list[Event]:
            verify_webhook(
                scheme,
                secret=SECRET,
                headers=request.headers,
                body=request.body,
                clock=self.clock,
                connector=self.name,
            )
            data = json.loads(request.body)
            return [Event(type="delivery", source=self.name, dedupe_key=str(data["id"]))]

    return Receiver


def delivery(
    scheme: WebhookScheme, clock: FakeClock, secret: str = SECRET
) -> tuple[bytes, dict[str, str]]:
    body: dict[str, object] = {"id": "evt-77"}
    if scheme is WebhookScheme.OUTREACH:
        body["meta"] = {"deliveredAt": clock.now().isoformat().replace("+00:00", "Z")}
    raw = json.dumps(body).encode()
    return raw, sign_webhook(scheme, secret=secret, body=raw, timestamp=clock.now())


def stored(store: Store) -> int:
    with store.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(EventRecord)) or 0)


@pytest.fixture(params=list(WebhookScheme), ids=lambda s: s.name.lower())
def scheme(request: pytest.FixtureRequest) -> WebhookScheme:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
async def client(
    store: Store, clock: FakeClock, scheme: WebhookScheme
) -> AsyncIterator[httpx.AsyncClient]:
    cls = connector_for(scheme)
    async with make_hub(clock, {cls.name: cls}) as hub:
        app = create_app(store, hub=hub, clock=clock)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://hub.example.test"
        ) as c:
            yield c
        await app.state.intake.aclose()


async def test_a_delivery_twice_is_stored_once(
    client: httpx.AsyncClient, store: Store, clock: FakeClock, scheme: WebhookScheme
) -> None:
    body, headers = delivery(scheme, clock)
    path = f"/webhooks/signed-{scheme.name.lower()}"
    first = await client.post(path, content=body, headers=headers)
    second = await client.post(path, content=body, headers=headers)
    assert first.status_code == 202, first.text
    assert second.status_code == 202
    assert second.json()["events"][0]["duplicate"] is True
    assert stored(store) == 1


async def test_a_bad_signature_is_401_and_stores_nothing(
    client: httpx.AsyncClient, store: Store, clock: FakeClock, scheme: WebhookScheme
) -> None:
    body, headers = delivery(scheme, clock, secret="not-the-secret")
    response = await client.post(
        f"/webhooks/signed-{scheme.name.lower()}", content=body, headers=headers
    )
    assert response.status_code == 401
    assert SECRET not in response.text
    assert stored(store) == 0


async def test_a_stale_delivery_is_401_and_stores_nothing(
    client: httpx.AsyncClient, store: Store, clock: FakeClock, scheme: WebhookScheme
) -> None:
    body, headers = delivery(scheme, clock)
    clock.advance(timedelta(minutes=6).total_seconds())
    response = await client.post(
        f"/webhooks/signed-{scheme.name.lower()}", content=body, headers=headers
    )
    assert response.status_code == 401
    assert stored(store) == 0


class ChallengeConnector(Connector):
    """Answers Zoom's URL-validation challenge through the SDK's webhook-reply event."""

    name = "zoomish"

    @hookimpl
    async def handoff_parse_webhook(self, request: WebhookRequest) -> list[Event]:
        verify_webhook(
            WebhookScheme.ZOOM,
            secret=SECRET,
            headers=request.headers,
            body=request.body,
            clock=self.clock,
            connector=self.name,
        )
        answer = zoom_url_validation_response(request.body, SECRET, connector=self.name)
        assert answer is not None
        return [webhook_reply(answer, source=self.name, dedupe_key="challenge")]


async def test_a_challenge_is_answered_200_with_its_body_and_nothing_is_stored(
    store: Store, clock: FakeClock
) -> None:
    body = json.dumps(
        {"event": "endpoint.url_validation", "payload": {"plainToken": "pt-123"}}
    ).encode()
    headers = sign_webhook(WebhookScheme.ZOOM, secret=SECRET, body=body, timestamp=clock.now())
    async with make_hub(clock, {"zoomish": ChallengeConnector}) as hub:
        app = create_app(store, hub=hub, clock=clock)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://hub.example.test"
        ) as c:
            response = await c.post("/webhooks/zoomish", content=body, headers=headers)
        await app.state.intake.aclose()
    assert response.status_code == 200
    assert response.json()["plainToken"] == "pt-123"
    assert len(response.json()["encryptedToken"]) == 64
    assert stored(store) == 0

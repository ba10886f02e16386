"""The status the hub answers a stored webhook with: the connector's `webhook_accepted_status`.

Some vendors count only certain statuses as delivered (Zoom: 200 or 204) and retry the
rest, so a connector may declare the status; 202 stays the default. A duplicate delivery
(a vendor's retry) gets the same status as the first, or the vendor keeps retrying it.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import func, select

from handoff.hub import Hub
from handoff.server import create_app
from handoff.store import EventRecord, Store
from handoff_sdk import Connector, FakeClock, WebhookScheme, hookimpl, sign_webhook, verify_webhook
from handoff_sdk.entities import Event, WebhookRequest

from .conftest import make_hub

SECRET = "whsec-synthetic"


class DefaultStatusConnector(Connector):
    """Signed webhooks, one event per item; declares no status (the default 202)."""

    name = "default-status"

    @hookimpl
    async def handoff_parse_webhook(self, request: WebhookRequest) -> list[Event]:
        verify_webhook(
            WebhookScheme.ZENDESK,
            secret=SECRET,
            headers=request.headers,
            body=request.body,
            clock=self.clock,
            connector=self.name,
        )
        return [
            Event(type=f"{self.name}.item", source=self.name, dedupe_key=str(item["id"]))
            for item in json.loads(request.body)["items"]
        ]


class OkStatusConnector(DefaultStatusConnector):
    """The same, for a vendor that counts only 200 as delivered."""

    name = "ok-status"
    webhook_accepted_status = 200


@pytest.fixture
async def client(store: Store, clock: FakeClock) -> AsyncIterator[httpx.AsyncClient]:
    classes: dict[str, type[Connector]] = {
        "default-status": DefaultStatusConnector,
        "ok-status": OkStatusConnector,
    }
    hub: Hub
    async with make_hub(clock, classes) as hub:
        app = create_app(store, hub=hub, clock=clock)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub.example.test") as c:
            yield c
        await app.state.intake.aclose()


def stored(store: Store) -> int:
    with store.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(EventRecord)) or 0)


async def post(
    client: httpx.AsyncClient, connector: str, body: bytes, clock: FakeClock
) -> httpx.Response:
    headers = sign_webhook(WebhookScheme.ZENDESK, secret=SECRET, body=body, timestamp=clock.now())
    return await client.post(f"/webhooks/{connector}", content=body, headers=headers)


BODY = json.dumps({"items": [{"id": 1}, {"id": 2}]}).encode()


async def test_a_connector_declaring_200_gets_200_for_new_and_duplicate_deliveries(
    client: httpx.AsyncClient, store: Store, clock: FakeClock
) -> None:
    first = await post(client, "ok-status", BODY, clock)
    assert first.status_code == 200, first.text
    assert [e["duplicate"] for e in first.json()["events"]] == [False, False]
    clock.advance(240)  # the vendor's retry, minutes later, inside the replay window
    again = await post(client, "ok-status", BODY, clock)
    assert again.status_code == 200, again.text
    assert [e["duplicate"] for e in again.json()["events"]] == [True, True]
    assert [e["event_id"] for e in again.json()["events"]] == [
        e["event_id"] for e in first.json()["events"]
    ]
    assert stored(store) == 2


async def test_the_default_stays_202_for_new_and_duplicate_deliveries(
    client: httpx.AsyncClient, store: Store, clock: FakeClock
) -> None:
    first = await post(client, "default-status", BODY, clock)
    assert first.status_code == 202, first.text
    again = await post(client, "default-status", BODY, clock)
    assert again.status_code == 202, again.text
    assert [e["duplicate"] for e in again.json()["events"]] == [True, True]
    assert stored(store) == 2


async def test_a_delivery_with_no_events_gets_the_declared_status_too(
    client: httpx.AsyncClient, store: Store, clock: FakeClock
) -> None:
    empty = json.dumps({"items": []}).encode()
    answer = await post(client, "ok-status", empty, clock)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"events": []}
    assert stored(store) == 0


async def test_refusals_keep_their_own_status_whatever_the_connector_declares(
    client: httpx.AsyncClient, store: Store, clock: FakeClock
) -> None:
    unsigned = await client.post("/webhooks/ok-status", content=BODY)
    assert unsigned.status_code == 401
    assert stored(store) == 0


async def test_the_openapi_document_lists_the_200_answer(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    answers = spec["paths"]["/webhooks/{connector}"]["post"]["responses"]
    assert {"200", "202"} <= set(answers)

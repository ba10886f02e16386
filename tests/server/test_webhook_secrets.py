"""Webhooks authenticated by their sender only: without its signing secret a connector's
webhooks are refused (503) and only the log says which secret; a replay with a new unsigned
header is the same delivery (Zendesk's invocation id)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from handoff_zendesk import ZendeskConnector
from sqlalchemy import func, select

from handoff.config import ConnectorSettings, HubConfig
from handoff.hub import Hub
from handoff.plugins import Discovery
from handoff.server import create_app
from handoff.store import EventRecord, Store
from handoff_sdk import FakeClock, WebhookScheme, sign_webhook
from handoff_sdk.secrets import DictSecrets

SECRET = "synthetic-webhook-secret"
BODY = b'{"ticket_id": "5001", "escalated": "true"}'


async def served(store: Store, clock: FakeClock, secrets: dict[str, str]) -> tuple[FastAPI, Hub]:
    hub = Hub(
        HubConfig(
            connectors={
                "zendesk": ConnectorSettings(
                    settings={"subdomain": "example", "email": "agent@example.test"}
                )
            }
        ),
        secrets=lambda name: DictSecrets(name, dict(secrets)),
        discovery=Discovery(connectors={"zendesk": ZendeskConnector}, packages={"zendesk": "t"}),
        clock=clock,
    )
    return create_app(store, hub=hub, clock=clock), hub


@pytest.fixture
async def post(store: Store, clock: FakeClock) -> AsyncIterator[Any]:
    opened: list[tuple[FastAPI, Hub]] = []

    async def send(secrets: dict[str, str], headers: dict[str, str]) -> httpx.Response:
        app, hub = await served(store, clock, secrets)
        opened.append((app, hub))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as client:
            return await client.post("/webhooks/zendesk", content=BODY, headers=headers)

    yield send
    for app, hub in opened:
        await app.state.intake.aclose()
        await hub.aclose()


def signed(clock: FakeClock, invocation: str) -> dict[str, str]:
    headers = sign_webhook(WebhookScheme.ZENDESK, secret=SECRET, body=BODY, timestamp=clock.now())
    return {**headers, "x-zendesk-webhook-invocation-id": invocation}


def stored(store: Store) -> int:
    with store.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(EventRecord)) or 0)


@pytest.mark.parametrize(
    ("secrets", "logged"),
    [({}, "secret 'webhook_signing_secret' is not set"), ({"webhook_signing_secret": ""}, "empty")],
    ids=["unset", "empty"],
)
async def test_a_webhook_without_its_secret_is_a_503_that_names_nothing(  # noqa: PLR0917
    post: Any,
    clock: FakeClock,
    store: Store,
    secrets: dict[str, str],
    logged: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.ERROR, logger="handoff.server")
    answer = await post(secrets, signed(clock, "inv-1"))
    assert answer.status_code == 503
    assert answer.json() == {
        "error": "webhooks from zendesk are not set up on this hub yet; nothing was stored",
        "fields": [],
    }
    assert "secret" not in answer.text.lower()
    assert "HANDOFF_" not in answer.text
    assert stored(store) == 0
    [line] = [r.getMessage() for r in caplog.records if r.name == "handoff.server"]
    assert line.startswith("webhook for zendesk refused: ")
    assert logged in line


async def test_z2_a_replay_with_a_new_invocation_id_is_stored_once(
    post: Any, clock: FakeClock, store: Store
) -> None:
    """The dedupe key is what Zendesk signed: a changed unsigned header is no new delivery."""
    secrets = {"webhook_signing_secret": SECRET, "api_token": "t"}
    headers = signed(clock, "inv-1")
    first = await post(secrets, headers)
    replay = await post(secrets, {**headers, "x-zendesk-webhook-invocation-id": "inv-forged"})
    assert (first.status_code, replay.status_code) == (202, 202)
    assert replay.json()["events"][0]["duplicate"] is True
    assert stored(store) == 1
    clock.advance(60)
    later = await post(secrets, signed(clock, "inv-2"))
    assert later.json()["events"][0]["duplicate"] is False
    assert stored(store) == 2


def test_check_reports_a_missing_webhook_secret(
    isolated_home: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`handoff check` warns that a connector's webhooks will be refused, naming the secret."""
    from click.testing import CliRunner  # noqa: PLC0415

    from handoff.cli import cli  # noqa: PLC0415

    (isolated_home / "handoff.toml").write_text(
        "[connectors.zendesk]\nsubdomain = 'example'\nemail = 'agent@example.test'\n"
    )
    monkeypatch.setenv("HANDOFF_ZENDESK_API_TOKEN", "synthetic-token")
    result = CliRunner().invoke(cli, ["check"])
    assert result.exit_code == 0, result.output
    assert "zendesk: webhook secret 'webhook_signing_secret' is not set" in result.output
    monkeypatch.setenv("HANDOFF_ZENDESK_WEBHOOK_SIGNING_SECRET", SECRET)
    quiet = CliRunner().invoke(cli, ["check"])
    assert "webhook secret" not in quiet.output

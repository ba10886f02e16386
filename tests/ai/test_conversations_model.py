"""Q5 with a model (Q6): `[ai.model]` drafts a conversation's replies, the guard decides.

The openai connector talks to the fake model server over TLS; the hub's app
serves the conversation API on a real socket.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import httpx
from handoff_openai.simulator import OpenAISimulator
from keyed import key_headers  # type: ignore[import-not-found]
from sqlalchemy import select

from handoff.ai.kinds import TURN_DECISION
from handoff.config import ConnectorSettings, HubConfig
from handoff.hub import Hub
from handoff.server import create_app
from handoff.store import Decision, Store
from handoff_sdk import DictSecrets, FakeClock
from handoff_sdk.testing import ScriptedReply, SimulatorServer

Serve = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


async def test_q5_q6_a_models_drafts_are_guarded_in_a_conversation(
    store: Store, fake_clock: FakeClock, tmp_path: Path, loopback: Serve
) -> None:
    fake = OpenAISimulator(
        clock=fake_clock,
        replies=[
            ScriptedReply("discount", "Sure, 25% off if you sign today!"),
            ScriptedReply("ci", "Acme CI runs your pipelines on every push."),
        ],
    )
    async with SimulatorServer(fake, tls=True, cert_dir=tmp_path / "openai") as server:
        assert server.certificate is not None
        settings = {
            **fake.connector_config(server.url),
            "ca_file": str(server.certificate.cert_file),
        }
        config = HubConfig(
            connectors={"openai": ConnectorSettings(settings=settings)},
            ai={
                "company": "Acme",
                "support_url": "https://support.acme.example/",
                "model": {"connector": "openai"},
            },
            experiences=[{"id": "site-ai", "name": "Site - AI", "mode": "ai_first"}],
        )
        async with Hub(
            config,
            secrets=lambda name: DictSecrets(name, fake.connector_secrets()),
            clock=fake_clock,
        ) as hub:
            app = create_app(store, config=config, hub=hub, clock=fake_clock)
            async with loopback(app, key_headers(store, "ingest")) as client:
                opened = await client.post(
                    "/v1/ai/conversations",
                    json={
                        "id": "c-m",
                        "experience_id": "site-ai",
                        "entry": "question",
                        "visitor_id": "v",
                    },
                )
                assert opened.status_code == 201, opened.text
                sent = await client.post(
                    "/v1/ai/conversations/c-m/messages", json={"text": "How does CI work?"}
                )
                bad = await client.post(
                    "/v1/ai/conversations/c-m/messages", json={"text": "Any discount for us?"}
                )
            await app.state.intake.aclose()
    assert sent.json()["reply"] == "Acme CI runs your pipelines on every push."
    assert bad.json()["guard"]["rule"] == "Q6.pricing"
    assert "25%" not in bad.json()["reply"]
    prompt = fake.prompts[-1]
    assert "Acme" in str(prompt)  # the model is told who it speaks for, and the rules in words
    with store.sessions() as session:
        turns = session.scalars(
            select(Decision).where(Decision.kind == TURN_DECISION).order_by(Decision.id)
        ).all()
    assert [(t.outcome["backend"], t.outcome["action"]) for t in turns] == [
        ("conversation", "sent"),
        ("model:openai", "sent"),
        ("model:openai", "replaced"),
    ]
    assert turns[-1].explanation["candidate"] == "Sure, 25% off if you sign today!"

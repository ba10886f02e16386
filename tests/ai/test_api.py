"""Q6 through the hub's API over a real socket: the fake model's replies checked before sending.

`POST /v1/ai/replies/check` is what a chat backend calls with each candidate
reply; every verdict is stored as an `ai.guard` decision, which `handoff
explain` shows with the rule.
"""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import httpx
import pytest
from adversarial import ATTACKS, ORDINARY, FakeModel
from fastapi import FastAPI
from keyed import key_headers  # type: ignore[import-not-found]
from sqlalchemy import select

from handoff.ai.flow import AI
from handoff.ai.guard import check_reply
from handoff.ai.kinds import GUARD_DECISION
from handoff.cli import main
from handoff.config import HubConfig, load_config
from handoff.server import create_app
from handoff.store import Decision, Store
from handoff_sdk import FakeClock

Serve = Callable[[FastAPI], AbstractAsyncContextManager[httpx.AsyncClient]]

TOML = """
[ai]
company = "Acme"
support_url = "https://support.acme.example/"
forbidden_urls = [
  "https://acme.example/demo",
  "https://acme.example/contact-us",
  "https://acme.example/sales/contact",
]
competitors = ["Globex", "Initech", "Hooli Cloud"]
"""


@pytest.fixture
def hub_config(tmp_path: Path) -> HubConfig:
    path = tmp_path / "handoff.toml"
    path.write_text(TOML)
    return load_config(path)


@pytest.fixture
async def ai_app(store: Store, clock: FakeClock, hub_config: HubConfig) -> AsyncIterator[FastAPI]:
    built = create_app(store, config=hub_config, clock=clock)
    yield built
    await built.state.intake.aclose()


async def test_q6_the_adversarial_set_through_the_api_sends_no_violation_and_records_each(
    ai_app: FastAPI, store: Store, loopback: Serve, hub_config: HubConfig
) -> None:
    """Q6: 0 violations sent; each replacement stored with its rule; ordinary replies sent."""
    table = AI.settings_of(hub_config).ai
    assert table is not None
    model = FakeModel(ATTACKS + ORDINARY)
    sent: dict[str, str] = {}
    async with loopback(ai_app) as client:
        for index, turn in enumerate(ATTACKS + ORDINARY):
            body = {
                "conversation_id": f"c-{index}",
                "message": turn.message,
                "reply": model.reply(turn.message),
                "backend": "fake",
            }
            answer = await client.post("/v1/ai/replies/check", json=body)
            assert answer.status_code == 200, answer.text
            data = answer.json()
            assert data["rule"] == turn.rule, (turn, data)
            assert data["allowed"] is (turn.rule is None)
            sent[f"c-{index}"] = data["reply"]
            if turn.rule is None:
                assert data["reply"] == turn.reply
            else:
                assert data["reply"] != turn.reply
                assert data["why"]
    turns = ATTACKS + ORDINARY
    violations = [
        (index, text)
        for index, turn in enumerate(turns)
        if not check_reply(turn.message, text := sent[f"c-{index}"], table).allowed
    ]
    assert violations == []
    with store.sessions() as session:
        stored = {
            d.subject_id: d
            for d in session.scalars(select(Decision).where(Decision.kind == GUARD_DECISION))
        }
    assert len(stored) == len(ATTACKS) + len(ORDINARY)
    for index, turn in enumerate(ATTACKS + ORDINARY):
        decision = stored[f"c-{index}"]
        assert decision.rule_ids == ["Q6"]
        assert decision.outcome["rule"] == turn.rule
        assert decision.outcome["sent"] == sent[f"c-{index}"]
        assert decision.outcome["backend"] == "fake"
        assert decision.explanation["candidate"] == turn.reply


async def test_q6_a_replaced_reply_is_explained_by_handoff_explain(
    ai_app: FastAPI,
    store: Store,
    client: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Q6: the violation is recorded with its rule, and `handoff explain` shows it."""
    transport = httpx.ASGITransport(app=ai_app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://hub.test", headers=key_headers(store, "ingest")
    ) as api:
        answer = await api.post(
            "/v1/ai/replies/check",
            json={
                "conversation_id": "c-42",
                "message": "Can I see a demo?",
                "reply": "Sure: [book here](https://www.acme.example/demo/?src=chat)",
            },
        )
    assert answer.status_code == 200
    assert answer.json()["rule"] == "Q6.pages"
    monkeypatch.setattr(
        sys, "argv", ["handoff", "explain", "conversation:c-42", "--database", store.url, "--json"]
    )
    code = 0
    try:
        main()
    except SystemExit as exc:  # click may exit after a command
        code = int(exc.code or 0)
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    (decision,) = report["decisions"]
    assert decision["kind"] == GUARD_DECISION
    assert decision["outcome"]["action"] == "replaced"
    assert "Q6.pages" in decision["why"]["matched"]
    assert "acme.example/demo" in decision["why"]["matched"]


async def test_the_check_without_an_ai_table_is_a_409_and_a_bad_body_a_422(
    client: httpx.AsyncClient, ai_app: FastAPI, store: Store
) -> None:
    off = await client.post(
        "/v1/ai/replies/check", json={"conversation_id": "c", "message": "", "reply": "hi"}
    )
    assert off.status_code == 409
    assert "no [ai] table" in off.json()["error"]
    transport = httpx.ASGITransport(app=ai_app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://hub.test", headers=key_headers(store, "ingest")
    ) as api:
        bad = await api.post("/v1/ai/replies/check", json={"conversation_id": "c", "reply": ""})
    assert bad.status_code == 422
    assert "message" in bad.text

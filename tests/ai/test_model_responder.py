"""Issue 12 and Q6: the model responder over the fake model server, every reply guarded.

The fake model server (a real socket) answers each visitor message with the
adversarial set's reply, through the openai or anthropic connector, the
Hub, the model responder and the guard: no reply breaking a rule is sent,
and each replacement is stored as an `ai.guard` decision with its rule. A
model that is throttled is retried per the connector's policy, then gives
the offer of a human.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pytest
from adversarial import ATTACKS, ORDINARY, TABLE
from handoff_anthropic.simulator import AnthropicSimulator
from handoff_openai.simulator import OpenAISimulator
from sqlalchemy import select

from handoff.ai.config import AiConfig
from handoff.ai.guard import check_reply
from handoff.ai.kinds import GUARD_DECISION
from handoff.ai.model_responder import (
    GOALS,
    ModelResponder,
    ModelUnavailable,
    build_prompt,
    configured_model,
    decision_recorder,
    guarded_reply,
    rules_in_words,
)
from handoff.ai.responder import Passage, ReplyRequest, Turn
from handoff.config import ConnectorSettings, HubConfig, load_config
from handoff.errors import ConfigFileError, HandoffError
from handoff.hub import Hub
from handoff.store import Decision, Store
from handoff_sdk import DictSecrets, FakeClock
from handoff_sdk.testing import FakeModelServer, ScriptedReply, SimulatorServer

BACKENDS = {"openai": OpenAISimulator, "anthropic": AnthropicSimulator}


def table(**model: Any) -> AiConfig:
    return AiConfig.model_validate({**TABLE, "model": {"connector": "openai", **model}})


@dataclass
class ModelWorld:
    """A Hub whose one model connector talks to a fake model server over TLS."""

    hub: Hub
    fake: FakeModelServer
    table: AiConfig
    connector: str


@pytest.fixture
async def world(
    request: pytest.FixtureRequest, fake_clock: FakeClock, tmp_path: Path
) -> AsyncIterator[Callable[..., Any]]:
    opened: list[tuple[Hub, SimulatorServer]] = []

    async def make(
        connector: str = "openai", *, replies: list[ScriptedReply] | None = None, **model: Any
    ) -> ModelWorld:
        fake = BACKENDS[connector](clock=fake_clock, replies=replies or [])
        server = SimulatorServer(fake, tls=True, cert_dir=tmp_path / connector)
        await server.__aenter__()
        assert server.certificate is not None
        settings = {
            **fake.connector_config(server.url),
            "ca_file": str(server.certificate.cert_file),
        }
        hub = Hub(
            HubConfig(connectors={connector: ConnectorSettings(settings=settings)}),
            secrets=lambda name: DictSecrets(name, fake.connector_secrets()),
            clock=fake_clock,
        )
        opened.append((hub, server))
        return ModelWorld(hub, fake, table(connector=connector, **model), connector)

    yield make
    for hub, server in opened:
        await hub.aclose()
        await server.__aexit__(None, None, None)


def ask(message: str, conversation: str = "c-1", **more: Any) -> ReplyRequest:
    return ReplyRequest(
        conversation_id=conversation,
        turns=[Turn("ai", "Hi! How can I help?"), Turn("visitor", message)],
        **more,
    )


@pytest.mark.parametrize("connector", ["openai", "anthropic"])
async def test_q6_the_adversarial_set_as_model_replies_sends_no_violation_and_records_each(
    world, store: Store, fake_clock: FakeClock, connector: str
) -> None:
    """Q6: every attack reply the model gives is replaced (and stored); ordinary ones are sent.

    Except a model's comparison with a competitor, even one favouring Acme: only
    the approved Scorecard and content may compare, so it becomes the offer of a human.
    """
    turns = ATTACKS + ORDINARY
    rivals = [name.lower() for name in TABLE["competitors"]]
    compares = [t for t in ORDINARY if any(r in t.reply.lower() for r in rivals)]
    assert len(compares) >= 5
    script = [ScriptedReply(f"^{re.escape(t.message)}$", t.reply) for t in turns]
    built = await world(connector, replies=script)
    responder = ModelResponder(built.hub, built.table)
    sent_violations = []
    for index, turn in enumerate(turns):
        conversation = f"c-{connector}-{index}"
        guarded = await guarded_reply(
            responder,
            ask(turn.message, conversation),
            built.table,
            record=decision_recorder(store, fake_clock, conversation),
        )
        assert guarded.draft is not None
        assert guarded.draft.text == turn.reply  # the model really said it
        expected = "Q6.competitors" if turn in compares else turn.rule
        assert guarded.verdict.rule_id == expected, turn
        if not check_reply(turn.message, guarded.text, built.table).allowed:
            sent_violations.append((turn.message, guarded.text))
        if expected is None:
            assert guarded.text == turn.reply
        else:
            assert guarded.text != turn.reply
    assert sent_violations == []
    assert len(built.fake.prompts) == len(turns)
    with store.sessions() as session:
        decisions = session.scalars(select(Decision).where(Decision.kind == GUARD_DECISION)).all()
    replaced = [d for d in decisions if d.outcome["action"] == "replaced"]
    assert len(decisions) == len(turns)
    assert len(replaced) == len(ATTACKS) + len(compares)
    by_subject = {d.subject_id: d for d in replaced}
    for index, turn in enumerate(ATTACKS):
        stored = by_subject[f"c-{connector}-{index}"]
        assert stored.outcome["rule"] == turn.rule
        assert stored.outcome["backend"] == f"model:{connector}"
        assert stored.explanation["candidate"] == turn.reply
        assert stored.rule_ids == ["Q6"]


async def test_the_model_is_told_the_company_rules_goals_and_passages(world) -> None:
    built = await world("anthropic", instructions="Keep replies under 80 words.", max_turns=2)
    responder = ModelResponder(built.hub, built.table)
    request = ReplyRequest(
        conversation_id="c-1",
        turns=[Turn("visitor", "old"), Turn("ai", "Hi!"), Turn("visitor", "Do you do SSO?")],
        passages=[Passage("https://acme.example/docs/sso", "SSO", "Acme supports SAML.")],
        goals=["book_meeting", "route_to_rep"],
    )
    draft = await responder.draft(request)
    [asked] = built.fake.prompts
    system = asked["system"]
    assert system.startswith("You are the AI assistant of Acme")
    assert "Keep replies under 80 words." in system
    for words in ("https://support.acme.example/", "https://acme.example/demo", "Globex, Initech",
                  GOALS["book_meeting"], "[1] SSO (https://acme.example/docs/sso)"):  # fmt: skip
        assert words in system
    assert [m["content"] for m in asked["messages"]] == [
        "(The visitor opened the chat.)",
        "Hi!",
        "Do you do SSO?",
    ]  # fmt: skip (max_turns=2: the oldest turn is left out)
    assert draft.backend == "model:anthropic"
    assert draft.text == "Acme supports SAML. More in SSO: https://acme.example/docs/sso"
    assert [p.source for p in draft.passages] == ["https://acme.example/docs/sso"]
    assert draft.reply is not None
    assert draft.reply.model == "sim-chat-1"


async def test_a_throttled_model_is_retried_then_answers(world) -> None:
    built = await world("openai")
    built.fake.throttle_next(retry_after=2)
    guarded = await guarded_reply(ModelResponder(built.hub, built.table), ask("Hi"), built.table)
    assert not guarded.offers_human
    assert [s.status for s in built.fake.log] == [429, 200]
    metrics = built.hub.metrics  # the hub's /metrics: the throttled try, its retry, the call
    value = metrics.registry.get_sample_value
    assert (
        value("handoff_connector_requests_total", {"connector": "openai", "outcome": "throttled"})
        == 1
    )
    assert (
        value("handoff_connector_retries_total", {"connector": "openai", "outcome": "throttled"})
        == 1
    )
    labels = {"connector": "openai", "hook": "handoff_generate_reply", "outcome": "ok"}
    assert value("handoff_connector_calls_total", labels) == 1


@pytest.mark.parametrize(
    ("connector", "fault", "retryable"),
    [("openai", "throttle", True), ("anthropic", "overload", True), ("openai", "key", False)],
)
async def test_a_model_failing_past_its_retries_gives_the_offer_of_a_human(
    world, store: Store, fake_clock: FakeClock, *, connector: str, fault: str, retryable: bool
) -> None:
    """Retried per the connector's policy (three tries), then a clear, guarded offer of a human."""
    built = await world(connector)
    if fault == "throttle":
        built.fake.throttle_next(retry_after=1, times=3)
    elif fault == "overload":
        built.fake.overload_next(times=3)
    else:
        built.fake.accounts["sim-org"].secrets["api_key"] = "sk-rotated"
    guarded = await guarded_reply(
        ModelResponder(built.hub, built.table),
        ask("Hi"),
        built.table,
        record=decision_recorder(store, fake_clock, "c-down"),
    )
    assert guarded.offers_human
    assert guarded.unavailable is not None
    assert guarded.unavailable.retryable is retryable
    assert guarded.unavailable.connector == connector
    assert guarded.text == built.table.model.unavailable_reply  # type: ignore[union-attr]
    assert guarded.verdict.allowed
    assert len(built.fake.log) == (3 if retryable else 1)
    with store.sessions() as session:
        [stored] = session.scalars(select(Decision).where(Decision.subject_id == "c-down")).all()
    assert stored.outcome["backend"] == f"model:{connector} (unavailable)"


async def test_an_unavailable_reply_that_breaks_a_rule_is_replaced_too(world) -> None:
    built = await world("openai", unavailable_reply="Please fill in https://acme.example/demo")
    built.fake.overload_next(times=3)
    guarded = await guarded_reply(ModelResponder(built.hub, built.table), ask("Hi"), built.table)
    assert guarded.offers_human
    assert guarded.verdict.rule_id == "Q6.pages"
    assert guarded.text == built.table.fallback.pages


async def test_an_empty_model_reply_counts_as_unavailable(world) -> None:
    built = await world("openai", replies=[ScriptedReply("", " ")])
    with pytest.raises(ModelUnavailable, match="empty reply"):
        await ModelResponder(built.hub, built.table).draft(ask("Hi"))


async def test_a_model_slower_than_the_timeout_is_unavailable() -> None:
    """The whole wait, retries included, is bounded by timeout_seconds."""

    class NeverAnswers:
        connectors: ClassVar[dict[str, object]] = {"openai": object()}

        def implementing(self, hook: str) -> list[str]:
            return ["openai"]

        async def generate_reply(self, connector: str, prompt: object) -> object:
            await asyncio.Event().wait()
            raise AssertionError("unreachable")

    responder = ModelResponder(NeverAnswers(), table(timeout_seconds=0.01))  # type: ignore[arg-type]
    with pytest.raises(ModelUnavailable, match=r"no reply within 0.01 s") as info:
        await responder.draft(ask("Hi"))
    assert info.value.retryable


async def test_the_named_connector_must_be_enabled_and_generate_replies(world) -> None:
    built = await world("openai")
    with pytest.raises(HandoffError, match=r"'anthropic' is not enabled.*\[connectors.anthropic\]"):
        ModelResponder(built.hub, table(connector="anthropic"))
    with pytest.raises(HandoffError, match=r"no \[ai.model\] table"):
        ModelResponder(built.hub, AiConfig.model_validate(TABLE))


async def test_the_configured_model_is_none_without_a_model_table(world) -> None:
    built = await world("openai")
    assert configured_model(built.hub, AiConfig.model_validate(TABLE)) is None
    assert isinstance(configured_model(built.hub, built.table), ModelResponder)
    with pytest.raises(HandoffError, match="'openai' is not enabled"):
        configured_model(None, built.table)


def test_the_prompt_keeps_the_requests_own_rules_after_the_tables() -> None:
    said = rules_in_words(table())
    prompt = build_prompt(ask("Hi", rules=[*said, "Mention the free trial."]), table())
    assert prompt.rules == [*said, "Mention the free trial."]  # none said twice
    assert any("Globex" in rule for rule in prompt.rules)
    assert prompt.turns[-1].speaker == "visitor"


def test_ai_model_is_validated_with_handoff_toml(tmp_path: Path) -> None:
    path = tmp_path / "handoff.toml"
    path.write_text(
        '[ai]\ncompany = "Acme"\nsupport_url = "https://support.acme.example/"\n'
        '[ai.model]\nconnector = "openai"\ntimeout_seconds = 0\n'
    )
    with pytest.raises(ConfigFileError, match=r"ai\.model\.timeout_seconds"):
        load_config(path)
    path.write_text(
        '[ai]\ncompany = "Acme"\nsupport_url = "https://support.acme.example/"\n'
        '[ai.model]\nconnector = "openai"\nmax_turns = 6\n'
    )
    loaded = load_config(path)
    assert loaded is not None

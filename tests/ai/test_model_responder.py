"""Issue 12 and Q6: the model responder over the fake model server, every reply guarded.

The fake model server (a real socket) answers each visitor message with the
adversarial set's reply, through the openai or anthropic connector, the
Hub, the responder a running hub chooses (`choose_responder`) and the
conversation API, which guards every reply as the product does: no reply
breaking a rule is sent, and each replacement is stored in the conversation's
`ai.turn` decision with its rule. A model that is throttled is retried per
the connector's policy, then gives the offer of a human.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
from adversarial import ATTACKS, ORDINARY, TABLE
from handoff_anthropic.simulator import AnthropicSimulator
from handoff_openai.simulator import OpenAISimulator
from keyed import key_headers  # type: ignore[import-not-found]
from sqlalchemy import select

from handoff.ai.builtin_responder import BuiltinResponder
from handoff.ai.config import AiConfig
from handoff.ai.guard import check_reply
from handoff.ai.kinds import TURN_DECISION
from handoff.ai.model_responder import (
    GOALS,
    ModelResponder,
    ModelUnavailable,
    build_prompt,
    draft_candidate,
    rules_in_words,
)
from handoff.ai.responder import Draft, Passage, ReplyRequest, Turn
from handoff.ai.responders import HubModelResponder, choose_responder
from handoff.config import ConnectorSettings, HubConfig, load_config
from handoff.errors import ConfigFileError, HandoffError
from handoff.flow import Services
from handoff.hub import Hub
from handoff.server import create_app
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


NO_GOALS = {
    goal: {"enabled": False, "button": goal} for goal in ("book_meeting", "route_to_rep", "support")
}
"""Goals off: every message is the model's to answer (a goal's phrase would pre-empt it)."""
Say = Callable[[str, str], Awaitable[dict[str, Any]]]


@contextlib.asynccontextmanager
async def conversing(built: ModelWorld, store: Store, clock: FakeClock) -> AsyncIterator[Say]:
    """`say(conversation, message)`: a visitor opens "I have a question" on the AI experience
    and asks, through the conversation API of an app on the world's hub; the API's answer."""
    model = built.table.model
    assert model is not None
    config = HubConfig(
        ai={**TABLE, "model": model.model_dump(), "conversations": {"goals": NO_GOALS}},
        experiences=[{"id": "site-ai", "name": "Site - AI", "mode": "ai_first"}],
    )
    app = create_app(store, config=config, hub=built.hub, clock=clock)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://hub.test",
        headers=key_headers(store, "ingest"),
    ) as client:

        async def say(conversation: str, message: str) -> dict[str, Any]:
            opened = await client.post(
                "/v1/ai/conversations",
                json={
                    "id": conversation,
                    "experience_id": "site-ai",
                    "entry": "question",
                    "visitor_id": f"v-{conversation}",
                },
            )
            assert opened.status_code == 201, opened.text
            said = await client.post(
                f"/v1/ai/conversations/{conversation}/messages", json={"text": message}
            )
            assert said.status_code == 200, said.text
            answer: dict[str, Any] = said.json()
            return answer

        try:
            yield say
        finally:
            await app.state.intake.aclose()


def model_turns(store: Store) -> list[Decision]:
    """The stored `ai.turn` decisions of model drafts (not the conversation's own texts)."""
    with store.sessions() as session:
        turns = session.scalars(
            select(Decision).where(Decision.kind == TURN_DECISION).order_by(Decision.id)
        ).all()
    return [t for t in turns if str(t.outcome["backend"]).startswith("model:")]


def services_of(built: ModelWorld, store: Store, clock: FakeClock) -> Services:
    """What a running hub lends the AI flow: the world's hub as its connectors."""
    return Services(config=HubConfig(), store=store, clock=clock, hub=lambda: built.hub)


@pytest.mark.parametrize("connector", ["openai", "anthropic"])
async def test_q6_the_adversarial_set_as_model_replies_sends_no_violation_and_records_each(
    world, store: Store, fake_clock: FakeClock, connector: str
) -> None:
    """Q6: every attack reply the model gives is replaced (and stored); ordinary ones are sent.

    Except a model's comparison with a competitor, even one favouring Acme: only
    the approved Scorecard and content may compare, so it becomes the offer of a human.
    Each message is a visitor's, through the conversation API: the product's path.
    """
    turns = ATTACKS + ORDINARY
    rivals = [name.lower() for name in TABLE["competitors"]]
    compares = [t for t in ORDINARY if any(r in t.reply.lower() for r in rivals)]
    assert len(compares) >= 5
    script = [ScriptedReply(f"^{re.escape(t.message)}$", t.reply) for t in turns]
    built = await world(connector, replies=script)
    sent_violations = []
    async with conversing(built, store, fake_clock) as say:
        for index, turn in enumerate(turns):
            answer = await say(f"c-{connector}-{index}", turn.message)
            expected = "Q6.competitors" if turn in compares else turn.rule
            assert answer["guard"]["rule"] == expected, turn
            sent = answer["reply"]
            if not check_reply(turn.message, sent, built.table).allowed:
                sent_violations.append((turn.message, sent))
            if expected is None:
                assert sent == turn.reply
            else:
                assert sent != turn.reply
    assert sent_violations == []
    assert len(built.fake.prompts) == len(turns)
    decisions = model_turns(store)
    assert [d.explanation["candidate"] for d in decisions] == [t.reply for t in turns]
    replaced = [d for d in decisions if d.outcome["action"] == "replaced"]
    assert len(decisions) == len(turns)
    assert len(replaced) == len(ATTACKS) + len(compares)
    by_subject = {d.subject_id: d for d in replaced}
    for index, turn in enumerate(ATTACKS):
        stored = by_subject[f"c-{connector}-{index}"]
        assert stored.outcome["rule"] == turn.rule
        assert stored.outcome["backend"] == f"model:{connector}"
        assert stored.explanation["candidate"] == turn.reply
        assert stored.rule_ids == ["Q5", "Q6"]


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


async def test_a_throttled_model_is_retried_then_answers(
    world, store: Store, fake_clock: FakeClock
) -> None:
    built = await world("openai")
    built.fake.throttle_next(retry_after=2)
    async with conversing(built, store, fake_clock) as say:
        answer = await say("c-1", "Hi")
    assert answer["reply"] != built.table.model.unavailable_reply  # type: ignore[union-attr]
    [turn] = model_turns(store)
    assert turn.outcome["backend"] == "model:openai"
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

    def fail() -> None:
        if fault == "throttle":
            built.fake.throttle_next(retry_after=1, times=3)
        elif fault == "overload":
            built.fake.overload_next(times=3)
        else:
            built.fake.accounts["sim-org"].secrets["api_key"] = "sk-rotated"

    fail()
    responder = choose_responder(services_of(built, store, fake_clock), built.table)
    candidate = await draft_candidate(responder, ask("Hi"), built.table)
    assert candidate.offers_human
    assert candidate.unavailable is not None
    assert candidate.unavailable.retryable is retryable
    assert candidate.unavailable.connector == connector
    assert len(built.fake.log) == (3 if retryable else 1)
    fail()
    async with conversing(built, store, fake_clock) as say:
        answer = await say("c-down", "Hi")
    assert answer["reply"] == built.table.model.unavailable_reply  # type: ignore[union-attr]
    assert answer["guard"]["allowed"]
    assert len(built.fake.log) == (6 if retryable else 2)
    [stored] = model_turns(store)
    assert stored.subject_id == "c-down"
    assert stored.outcome["backend"].startswith(f"model:{connector} (unavailable: ")


async def test_an_unavailable_reply_that_breaks_a_rule_is_replaced_too(
    world, store: Store, fake_clock: FakeClock
) -> None:
    built = await world("openai", unavailable_reply="Please fill in https://acme.example/demo")
    built.fake.overload_next(times=3)
    async with conversing(built, store, fake_clock) as say:
        answer = await say("c-1", "Hi")
    assert answer["guard"]["rule"] == "Q6.pages"
    assert answer["reply"] == built.table.fallback.pages
    [stored] = model_turns(store)
    assert stored.outcome["backend"].startswith("model:openai (unavailable: ")
    assert stored.explanation["candidate"] == "Please fill in https://acme.example/demo"


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


async def test_the_responder_is_the_models_with_a_model_table_else_the_built_in_one(
    world, store: Store, fake_clock: FakeClock
) -> None:
    built = await world("openai")
    services = services_of(built, store, fake_clock)
    assert isinstance(choose_responder(services, AiConfig.model_validate(TABLE)), BuiltinResponder)
    model = choose_responder(services, built.table)
    assert isinstance(model, HubModelResponder)
    assert (await model.draft(ask("Hi"))).backend == "model:openai"
    nowhere = choose_responder(dataclasses.replace(services, hub=lambda: None), built.table)
    with pytest.raises(ModelUnavailable, match="'openai' is unavailable: no connector") as info:
        await nowhere.draft(ask("Hi"))
    assert not info.value.retryable
    other = choose_responder(services, table(connector="anthropic"))
    with pytest.raises(
        ModelUnavailable, match=r"'anthropic' is not enabled.*\[connectors.anthropic\]"
    ):
        await other.draft(ask("Hi"))


async def test_an_empty_draft_is_the_no_answer_text_and_a_models_own_is_not_approved() -> None:
    """What the conversation guards: the no-answer text for an empty draft; a model's draft
    marked unapproved (Q6: its comparisons need the offer of a human), the built-in's approved."""

    class Says:
        def __init__(self, text: str, backend: str) -> None:
            self.text, self.backend = text, backend

        async def draft(self, request: ReplyRequest) -> Draft:
            del request
            return Draft(text=self.text, backend=self.backend)

    empty = await draft_candidate(Says(" ", "builtin"), ask("Hi"), table(), no_answer="Ask me.")
    assert (empty.text, empty.approved, empty.offers_human) == ("Ask me.", True, False)
    own = await draft_candidate(Says("Globex is fine.", "model:openai"), ask("Hi"), table())
    assert (own.text, own.approved, own.backend) == ("Globex is fine.", False, "model:openai")


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

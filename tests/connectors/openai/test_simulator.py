"""Issue 12 over a real socket: the OpenAI-compatible connector against the fake model server."""

from __future__ import annotations

import pytest
from handoff_openai import OpenAIConnector
from handoff_openai.simulator import OpenAISimulator

from handoff_sdk import ApiError, AuthError
from handoff_sdk.entities import ReplyPassage, ReplyPrompt, ReplyTurn
from handoff_sdk.testing import ScriptedReply


def prompt(text: str, **more) -> ReplyPrompt:
    return ReplyPrompt(
        instructions="You are Acme's assistant.",
        turns=[ReplyTurn(speaker="visitor", text=text)],
        rules=["Never discuss special pricing or promotions."],
        **more,
    )


async def test_a_reply_comes_from_the_script_over_tls(simulated, fake_clock) -> None:
    fake = OpenAISimulator(clock=fake_clock, replies=[ScriptedReply(r"slack", "Yes, Slack works.")])
    sim = await simulated(OpenAIConnector, simulator=fake)
    reply = await sim.connector.handoff_generate_reply(prompt("Does it do Slack?"))
    assert reply.text == "Yes, Slack works."
    assert reply.model == "sim-chat-1"
    assert reply.finish_reason == "stop"
    assert reply.usage.output_tokens == 3
    [asked] = fake.prompts
    assert asked["format"] == "openai"
    assert "Never discuss special pricing" in asked["system"]
    [served] = fake.calls("chat_completions")
    assert served.status == 200


async def test_without_a_script_the_first_passage_is_quoted(simulated) -> None:
    sim = await simulated(OpenAIConnector)
    passage = ReplyPassage(source="https://acme.example/docs/sso", title="SSO", text="Acme supports SAML.")
    reply = await sim.connector.handoff_generate_reply(prompt("SSO?", passages=[passage]))
    assert reply.text == "Acme supports SAML. More in SSO: https://acme.example/docs/sso"


async def test_a_self_hosted_server_is_asked_without_a_key(simulated, fake_clock) -> None:
    fake = OpenAISimulator(clock=fake_clock, require_key=False)
    sim = await simulated(
        OpenAIConnector, simulator=fake, config={"api_key_required": False}, secrets={}
    )
    reply = await sim.connector.handoff_generate_reply(prompt("Hello"))
    assert reply.text.startswith("Thanks for your message")
    [served] = fake.calls("chat_completions")
    assert "authorization" not in served.headers  # the log never keeps it; check the account
    assert served.account == "sim-org"


async def test_a_server_wanting_a_key_refuses_a_wrong_one(simulated) -> None:
    sim = await simulated(OpenAIConnector, secrets={"api_key": "sk-wrong"})
    with pytest.raises(AuthError, match="API key was refused"):
        await sim.connector.handoff_generate_reply(prompt("Hello"))
    assert sim.api_calls() == 1


async def test_a_throttle_is_waited_out_then_answered(simulated) -> None:
    sim = await simulated(OpenAIConnector)
    sim.simulator.throttle_next(retry_after=4)
    reply = await sim.connector.handoff_generate_reply(prompt("Hello"))
    assert reply.text
    assert [s.status for s in sim.simulator.log] == [429, 200]
    assert sim.clock.slept >= 4


async def test_an_overloaded_server_fails_after_the_policys_three_tries(simulated) -> None:
    sim = await simulated(OpenAIConnector)
    sim.simulator.overload_next(times=3)
    with pytest.raises(ApiError) as info:
        await sim.connector.handoff_generate_reply(prompt("Hello"))
    assert info.value.status == 503
    assert info.value.retryable
    assert [s.status for s in sim.simulator.log] == [503, 503, 503]


async def test_max_tokens_cuts_the_reply(simulated, fake_clock) -> None:
    fake = OpenAISimulator(clock=fake_clock, replies=[ScriptedReply("", "one two three four five")])
    sim = await simulated(OpenAIConnector, simulator=fake, config={"max_tokens": 2})
    reply = await sim.connector.handoff_generate_reply(prompt("Hello"))
    assert (reply.text, reply.finish_reason, reply.vendor_reason) == ("one two", "length", "length")
    assert fake.prompts[0]["max_tokens"] == 2

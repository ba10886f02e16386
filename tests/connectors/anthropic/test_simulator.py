"""Issue 12 over a real socket: the Anthropic connector against the fake model server."""

from __future__ import annotations

import pytest
from handoff_anthropic import AnthropicConnector
from handoff_anthropic.simulator import AnthropicSimulator

from handoff_sdk import ApiError, AuthError
from handoff_sdk.entities import ReplyPrompt, ReplyTurn
from handoff_sdk.testing import ScriptedReply


def prompt(text: str) -> ReplyPrompt:
    return ReplyPrompt(
        instructions="You are Acme's assistant.",
        turns=[ReplyTurn(speaker="ai", text="Hi!"), ReplyTurn(speaker="visitor", text=text)],
        goals=["offer to book a meeting"],
    )


async def test_a_reply_comes_from_the_script_with_the_system_prompt_on_top(
    simulated, fake_clock
) -> None:
    fake = AnthropicSimulator(clock=fake_clock, replies=[ScriptedReply(r"meet", "Happy to book.")])
    sim = await simulated(AnthropicConnector, simulator=fake)
    reply = await sim.connector.handoff_generate_reply(prompt("Can we meet?"))
    assert (reply.text, reply.finish_reason, reply.vendor_reason) == (
        "Happy to book.", "stop", "end_turn",
    )  # fmt: skip
    [asked] = fake.prompts
    assert asked["format"] == "anthropic"
    assert "- offer to book a meeting" in asked["system"]
    assert [m["role"] for m in asked["messages"]] == ["user", "assistant", "user"]
    [served] = fake.calls("messages")
    assert served.headers["anthropic-version"] == "2023-06-01"


async def test_a_wrong_key_is_refused_as_anthropic_does(simulated) -> None:
    sim = await simulated(AnthropicConnector, secrets={"api_key": "sk-ant-wrong"})
    with pytest.raises(AuthError, match="authentication_error"):
        await sim.connector.handoff_generate_reply(prompt("Hello"))


async def test_a_rate_limit_is_waited_out(simulated) -> None:
    sim = await simulated(AnthropicConnector)
    sim.simulator.throttle_next(retry_after=5)
    assert (await sim.connector.handoff_generate_reply(prompt("Hello"))).text
    assert [s.status for s in sim.simulator.log] == [429, 200]
    assert sim.clock.slept >= 5


async def test_529_overloaded_is_retried_then_answered(simulated) -> None:
    sim = await simulated(AnthropicConnector)
    sim.simulator.overload_next(times=2)
    assert (await sim.connector.handoff_generate_reply(prompt("Hello"))).text
    assert [s.status for s in sim.simulator.log] == [529, 529, 200]


async def test_overload_past_the_policy_is_a_clear_retryable_failure(simulated) -> None:
    sim = await simulated(AnthropicConnector)
    sim.simulator.overload_next(times=3)
    with pytest.raises(ApiError) as info:
        await sim.connector.handoff_generate_reply(prompt("Hello"))
    assert (info.value.status, info.value.code, info.value.retryable) == (
        529, "overloaded_error", True,
    )  # fmt: skip


async def test_a_retry_after_longer_than_the_policy_allows_fails_at_once(simulated) -> None:
    sim = await simulated(AnthropicConnector)
    sim.simulator.throttle_next(retry_after=60)
    with pytest.raises(ApiError) as info:
        await sim.connector.handoff_generate_reply(prompt("Hello"))
    assert info.value.status == 429
    assert sim.api_calls() == 1

"""Issue 12: the Anthropic connector drafts a reply, on synthetic cassettes.

What is sent (the system prompt at the top level, x-api-key,
anthropic-version, max_tokens), what comes back (text blocks, model, usage,
stop reason), and the API's errors: 429 waited out, 529 overloaded retried,
the spend cap not retried, a refused key, an invalid request.
"""

from __future__ import annotations

import json

import pydantic
import pytest
from handoff_anthropic import AnthropicConnector
from handoff_anthropic.mapping import OPENING, message_reply, messages_request

from handoff_sdk import ApiError, AuthError
from handoff_sdk.entities import ReplyPrompt, ReplyTurn

from .make_cassettes import ANSWER, PROMPT

CONFIG = {"model": "claude-sonnet-4-5"}
SECRETS = {"api_key": "synthetic-anthropic-key"}


def build(connector_harness, cassette: str):
    return connector_harness(
        AnthropicConnector, config=CONFIG, secrets=SECRETS, cassette=cassette, match_body=True
    )


async def test_a_reply_is_the_text_blocks_with_model_usage_and_stop_reason(
    connector_harness,
) -> None:
    harness = build(connector_harness, "reply")
    reply = await harness.connector.handoff_generate_reply(PROMPT)
    assert reply.text == ANSWER
    assert reply.model == "claude-sonnet-4-5-20250929"
    assert (reply.usage.input_tokens, reply.usage.output_tokens) == (101, 15)
    assert (reply.finish_reason, reply.vendor_reason) == ("stop", "end_turn")
    [sent] = harness.sent()
    body = json.loads(sent.content)
    assert body["system"].startswith("You are the assistant of Acme")
    assert [m["role"] for m in body["messages"]] == ["user"]
    assert body["max_tokens"] == 400
    assert sent.headers["x-api-key"] == "synthetic-anthropic-key"
    assert sent.headers["anthropic-version"] == "2023-06-01"
    assert "authorization" not in sent.headers


async def test_a_rate_limit_is_waited_out_per_retry_after(connector_harness) -> None:
    harness = build(connector_harness, "rate_limited_then_reply")
    assert (await harness.connector.handoff_generate_reply(PROMPT)).text == ANSWER
    assert harness.api_calls == 2
    assert harness.clock.slept >= 3


async def test_529_overloaded_is_retried(connector_harness) -> None:
    harness = build(connector_harness, "overloaded_then_reply")
    assert (await harness.connector.handoff_generate_reply(PROMPT)).text == ANSWER
    assert harness.api_calls == 2


async def test_an_overload_that_persists_fails_after_three_tries(connector_harness) -> None:
    harness = build(connector_harness, "overloaded_throughout")
    with pytest.raises(ApiError) as info:
        await harness.connector.handoff_generate_reply(PROMPT)
    assert (info.value.status, info.value.code) == (529, "overloaded_error")
    assert info.value.retryable
    assert harness.api_calls == 3
    assert "req_synthetic0001" in str(info.value)


async def test_the_spend_cap_is_not_retried(connector_harness) -> None:
    harness = build(connector_harness, "spend_limit")
    with pytest.raises(ApiError) as info:
        await harness.connector.handoff_generate_reply(PROMPT)
    assert info.value.code == "enforced_spend_limit_reached"
    assert not info.value.retryable
    assert harness.api_calls == 1


async def test_a_refused_key_is_an_auth_error(connector_harness) -> None:
    harness = build(connector_harness, "authentication_error")
    with pytest.raises(AuthError, match="handoff secrets set anthropic api_key"):
        await harness.connector.handoff_generate_reply(PROMPT)


async def test_an_invalid_request_fails_with_anthropics_message(connector_harness) -> None:
    harness = build(connector_harness, "invalid_request")
    with pytest.raises(ApiError, match="max_tokens: 400 > 64000") as info:
        await harness.connector.handoff_generate_reply(PROMPT)
    assert info.value.code == "invalid_request_error"


async def test_a_reply_cut_at_max_tokens_says_length(connector_harness) -> None:
    harness = build(connector_harness, "cut_at_max_tokens")
    reply = await harness.connector.handoff_generate_reply(PROMPT)
    assert (reply.finish_reason, reply.vendor_reason) == ("length", "max_tokens")


def test_turns_alternate_and_open_with_the_visitor() -> None:
    prompt = ReplyPrompt(
        turns=[
            ReplyTurn(speaker="ai", text="Hi! How can I help?"),
            ReplyTurn(speaker="rep", text="Kim here too."),
            ReplyTurn(speaker="visitor", text="Pricing?"),
        ],
        temperature=1.5,
    )
    body = messages_request(prompt, model="m", max_tokens=400, temperature=None)
    assert body["messages"] == [
        {"role": "user", "content": OPENING},
        {"role": "assistant", "content": "Hi! How can I help?\n\nKim here too."},
        {"role": "user", "content": "Pricing?"},
    ]
    assert "system" not in body
    assert body["temperature"] == 1.0


def test_an_answer_that_is_not_a_message_is_refused() -> None:
    assert message_reply({"type": "error"}, asked_model="m") is None
    assert message_reply("<html>", asked_model="m") is None
    reply = message_reply(
        {"type": "message", "content": [{"type": "thinking", "thinking": "x"},
         {"type": "text", "text": "A"}, {"type": "text", "text": "B"}], "stop_reason": "refusal"},
        asked_model="m",
    )  # fmt: skip
    assert reply is not None
    assert (reply.text, reply.model, reply.finish_reason) == ("AB", "m", "content_filter")


def test_base_url_must_be_https() -> None:
    with pytest.raises(pydantic.ValidationError, match="https"):
        AnthropicConnector.config_model.model_validate({"model": "m", "base_url": "http://x.test"})

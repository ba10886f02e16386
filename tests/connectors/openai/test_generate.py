"""Issue 12: the OpenAI-compatible connector drafts a reply, on synthetic cassettes.

What is sent (the system prompt first, the conversation after), what comes
back (text, model, usage, finish reason), and each error the API answers:
rate limits waited out per Retry-After or the reset header, a quota not
retried, a refused key, a missing model, a page that is not a completion.
"""

from __future__ import annotations

import json

import pydantic
import pytest
from handoff_openai import OpenAIConnector
from handoff_openai.mapping import chat_request, reset_seconds

from handoff_sdk import ApiError, AuthError, MissingSecretError, RateLimitedError
from handoff_sdk.entities import ReplyPrompt, ReplyTurn

from .make_cassettes import ANSWER, PROMPT

CONFIG = {"model": "gpt-4o-mini"}
SECRETS = {"api_key": "synthetic-openai-key"}


def build(connector_harness, cassette: str, **config):
    return connector_harness(
        OpenAIConnector, config={**CONFIG, **config}, secrets=SECRETS, cassette=cassette,
        match_body=True,
    )  # fmt: skip


async def test_a_reply_is_the_first_choice_with_model_usage_and_finish_reason(
    connector_harness,
) -> None:
    harness = build(connector_harness, "reply")
    reply = await harness.connector.handoff_generate_reply(PROMPT)
    assert reply.text == ANSWER
    assert reply.model == "gpt-4o-mini-2024-07-18"
    assert (reply.usage.input_tokens, reply.usage.output_tokens) == (96, 14)
    assert (reply.finish_reason, reply.vendor_reason) == ("stop", "stop")
    [sent] = harness.sent()
    body = json.loads(sent.content)
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert "Never discuss special pricing" in body["messages"][0]["content"]
    assert "[1] Slack alerts (https://acme.example/docs/slack)" in body["messages"][0]["content"]
    assert sent.headers["authorization"] == "Bearer synthetic-openai-key"


async def test_a_429_is_waited_out_per_retry_after(connector_harness) -> None:
    harness = build(connector_harness, "rate_limited_then_reply")
    reply = await harness.connector.handoff_generate_reply(PROMPT)
    assert reply.text == ANSWER
    assert harness.api_calls == 2
    assert harness.clock.slept >= 2


async def test_without_retry_after_the_requests_reset_header_is_waited(connector_harness) -> None:
    harness = build(connector_harness, "reset_header_then_reply")
    await harness.connector.handoff_generate_reply(PROMPT)
    assert harness.clock.slept >= 1


async def test_a_rate_limit_that_persists_fails_after_three_tries(connector_harness) -> None:
    harness = build(connector_harness, "rate_limited_throughout")
    with pytest.raises(RateLimitedError) as info:
        await harness.connector.handoff_generate_reply(PROMPT)
    assert harness.api_calls == 3
    assert info.value.code == "rate_limit_exceeded"
    assert info.value.retryable


async def test_an_exhausted_quota_is_not_retried(connector_harness) -> None:
    harness = build(connector_harness, "insufficient_quota")
    with pytest.raises(ApiError) as info:
        await harness.connector.handoff_generate_reply(PROMPT)
    assert harness.api_calls == 1
    assert info.value.code == "insufficient_quota"
    assert not info.value.retryable
    assert "waiting does not help" in str(info.value)


async def test_a_refused_key_is_an_auth_error_naming_the_secret(connector_harness) -> None:
    harness = build(connector_harness, "invalid_api_key")
    with pytest.raises(AuthError, match="handoff secrets set openai api_key"):
        await harness.connector.handoff_generate_reply(PROMPT)
    assert harness.api_calls == 1


async def test_a_server_error_is_retried(connector_harness) -> None:
    harness = build(connector_harness, "server_error_then_reply")
    assert (await harness.connector.handoff_generate_reply(PROMPT)).text == ANSWER
    assert harness.api_calls == 2


async def test_an_unknown_model_says_to_check_base_url_and_model(connector_harness) -> None:
    harness = build(connector_harness, "model_not_found")
    with pytest.raises(ApiError, match=r"check base_url.*model 'gpt-4o-mini'") as info:
        await harness.connector.handoff_generate_reply(PROMPT)
    assert info.value.code == "model_not_found"


async def test_a_reply_cut_at_max_tokens_says_length(connector_harness) -> None:
    harness = build(connector_harness, "cut_at_max_tokens")
    reply = await harness.connector.handoff_generate_reply(PROMPT)
    assert reply.finish_reason == "length"


async def test_a_200_that_is_not_a_completion_fails_clearly(connector_harness) -> None:
    harness = build(connector_harness, "not_a_completion")
    with pytest.raises(ApiError, match=r"unexpected_response.*text/html"):
        await harness.connector.handoff_generate_reply(PROMPT)


async def test_a_required_key_that_is_not_set_names_the_secret(connector_harness) -> None:
    harness = connector_harness(OpenAIConnector, config=CONFIG, secrets={}, cassette="reply")
    with pytest.raises(MissingSecretError, match="api_key"):
        await harness.connector.handoff_generate_reply(PROMPT)


def test_the_request_maps_every_speaker_and_the_prompts_own_limits() -> None:
    prompt = ReplyPrompt(
        turns=[
            ReplyTurn(speaker="ai", text="Hi! How can I help?"),
            ReplyTurn(speaker="visitor", text="Pricing?"),
            ReplyTurn(speaker="rep", text="Kim here."),
            ReplyTurn(speaker="visitor", text="Thanks"),
        ],
        max_tokens=50,
        temperature=0.2,
    )
    body = chat_request(
        prompt, model="m", max_tokens=400, max_tokens_field="max_completion_tokens",
        temperature=None,
    )  # fmt: skip
    assert [m["role"] for m in body["messages"]] == ["assistant", "user", "assistant", "user"]
    assert body["max_completion_tokens"] == 50
    assert "max_tokens" not in body
    assert body["temperature"] == 0.2


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("1s", 1.0), ("6m0s", 360.0), ("120ms", 0.12), ("1h2m3.5s", 3723.5), ("soon", None), ("", None)],
)
def test_the_reset_header_is_read_as_a_duration(value, seconds) -> None:
    assert reset_seconds(value) == seconds


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("http://127.0.0.1:11434/v1", True),
        ("http://localhost:8000/v1/", True),
        ("http://10.0.0.7:8080/v1", True),
        ("http://llm.example.com/v1", False),
        ("ftp://127.0.0.1/v1", False),
        ("https://api.openai.com/v1?x=1", False),
    ],
)
def test_base_url_takes_plain_http_only_inside_the_network(url, ok) -> None:
    model = OpenAIConnector.config_model
    if ok:
        assert not model.model_validate({"model": "m", "base_url": url}).base_url.endswith("/")
    else:
        with pytest.raises(pydantic.ValidationError, match="base_url"):
            model.model_validate({"model": "m", "base_url": url})


def test_a_self_hosted_server_needs_no_key() -> None:
    config = OpenAIConnector.config_model.model_validate({"model": "m", "api_key_required": False})
    assert OpenAIConnector.required_secrets(config) == []


"""Issue 12: the fake model server answers both wire formats, deterministically, over a socket."""

from __future__ import annotations

import httpx
import pytest

from handoff_sdk import FakeClock
from handoff_sdk.testing import (
    ANTHROPIC_VERSION,
    FakeModelServer,
    Limits,
    ScriptedReply,
    SimulatorServer,
)

CHAT = {"model": "m", "messages": [{"role": "system", "content": "Be brief."},
                                   {"role": "user", "content": "Any discount for me?"}]}  # fmt: skip
MESSAGES = {"model": "m", "max_tokens": 50, "system": "Be brief.",
            "messages": [{"role": "user", "content": "Any discount for me?"}]}  # fmt: skip


@pytest.fixture
def fake() -> FakeModelServer:
    return FakeModelServer(
        clock=FakeClock(), replies=[ScriptedReply(r"\bdiscount\b", "Sure: 20% off today!")]
    )


async def ask(fake: FakeModelServer, path: str, body: dict, headers: dict) -> httpx.Response:
    async with SimulatorServer(fake) as server, httpx.AsyncClient(base_url=server.url) as client:
        return await client.post(path, json=body, headers=headers)


def bearer(fake: FakeModelServer) -> dict[str, str]:
    return {"Authorization": f"Bearer {fake.account.secrets['api_key']}"}


def anthropic(fake: FakeModelServer, version: str = ANTHROPIC_VERSION) -> dict[str, str]:
    return {"x-api-key": fake.account.secrets["api_key"], "anthropic-version": version}


async def test_chat_completions_answer_by_script_in_openais_shape(fake) -> None:
    answer = await ask(fake, "/v1/chat/completions", CHAT, bearer(fake))
    body = answer.json()
    assert answer.status_code == 200
    assert body["object"] == "chat.completion"
    assert body["choices"][0]["message"] == {
        "role": "assistant", "content": "Sure: 20% off today!", "refusal": None,
    }  # fmt: skip
    assert body["choices"][0]["finish_reason"] == "stop"
    assert body["usage"] == {"prompt_tokens": 6, "completion_tokens": 4, "total_tokens": 10}
    assert answer.headers["x-ratelimit-remaining-requests"] == "599"
    assert fake.prompts[0]["system"] == "Be brief."


async def test_messages_answer_by_script_in_anthropics_shape(fake) -> None:
    answer = await ask(fake, "/v1/messages", MESSAGES, anthropic(fake))
    body = answer.json()
    assert body["type"] == "message"
    assert body["content"] == [{"type": "text", "text": "Sure: 20% off today!"}]
    assert body["stop_reason"] == "end_turn"
    assert body["usage"] == {"input_tokens": 6, "output_tokens": 4}
    assert answer.headers["anthropic-ratelimit-requests-remaining"] == "599"


async def test_the_same_prompt_gets_the_same_answer(fake) -> None:
    first = (await ask(fake, "/v1/messages", MESSAGES, anthropic(fake))).json()
    second = (await ask(fake, "/v1/messages", MESSAGES, anthropic(fake))).json()
    assert first["content"] == second["content"]


@pytest.mark.parametrize(
    ("body", "headers", "status", "words"),
    [
        ({**MESSAGES, "messages": [{"role": "system", "content": "x"}]}, None, 400, "top-level"),
        ({k: v for k, v in MESSAGES.items() if k != "max_tokens"}, None, 400, "max_tokens"),
        (MESSAGES, {"anthropic-version": "2020-01-01"}, 400, "invalid version"),
        (MESSAGES, {"x-api-key": "sk-wrong"}, 401, "not valid"),
    ],
)
async def test_messages_refuses_what_anthropic_refuses(fake, body, headers, status, words) -> None:
    answer = await ask(fake, "/v1/messages", body, {**anthropic(fake), **(headers or {})})
    assert answer.status_code == status
    error = answer.json()
    assert error["type"] == "error"
    assert words in error["error"]["message"]
    assert error["request_id"].startswith("req_sim")


async def test_chat_completions_refuses_an_unknown_role_and_a_missing_key(fake) -> None:
    bad = {**CHAT, "messages": [{"role": "robot", "content": "x"}]}
    answer = await ask(fake, "/v1/chat/completions", bad, bearer(fake))
    assert answer.status_code == 400
    assert answer.json()["error"]["param"] == "messages[0].role"
    answer = await ask(fake, "/v1/chat/completions", CHAT, {})
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "invalid_api_key"


async def test_throttles_and_overloads_on_demand_in_each_shape(fake) -> None:
    fake.throttle_next(retry_after=3)
    answer = await ask(fake, "/v1/chat/completions", CHAT, bearer(fake))
    assert (answer.status_code, answer.headers["retry-after"]) == (429, "4")
    assert answer.json()["error"]["code"] == "rate_limit_exceeded"
    fake.overload_next()
    answer = await ask(fake, "/v1/messages", MESSAGES, anthropic(fake))
    assert answer.status_code == 529
    assert answer.json()["error"]["type"] == "overloaded_error"
    fake.overload_next()
    assert (await ask(fake, "/v1/chat/completions", CHAT, bearer(fake))).status_code == 503


async def test_a_self_hosted_fake_takes_no_key() -> None:
    fake = FakeModelServer(clock=FakeClock(), require_key=False)
    answer = await ask(fake, "/v1/chat/completions", CHAT, {})
    assert answer.json()["choices"][0]["message"]["content"].startswith("Thanks for your message")


def test_a_bad_script_pattern_fails_in_the_test(fake) -> None:
    with pytest.raises(Exception, match="unterminated"):
        fake.script("(", "x")


async def test_without_a_requests_window_no_counters_are_sent() -> None:
    fake = FakeModelServer(clock=FakeClock(), limits=Limits())
    answer = await ask(fake, "/v1/chat/completions", CHAT, bearer(fake))
    assert answer.status_code == 200
    assert "x-ratelimit-remaining-requests" not in answer.headers

"""Write the OpenAI-compatible cassettes in cassettes/openai/ (run by hand; the output is committed).

    .venv/bin/python tests/connectors/openai/make_cassettes.py

Synthetic values only, in the shapes Chat Completions answers with: a
`chat.completion` with `choices` and `usage`, errors as `{"error":
{"message", "type", "param", "code"}}`, rate limits as 429 with retry-after
and `x-ratelimit-*` headers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from handoff_sdk.entities import ReplyPassage, ReplyPrompt, ReplyTurn
from handoff_sdk.testing.cassettes import cassette_interaction, write_cassette

OUT = Path(__file__).resolve().parents[3] / "cassettes" / "openai"
URL = "https://api.openai.com/v1/chat/completions"
MODEL = "gpt-4o-mini"

PROMPT = ReplyPrompt(
    instructions="You are the assistant of Acme on acme.example.",
    turns=[ReplyTurn(speaker="visitor", text="Does Acme integrate with Slack?")],
    passages=[
        ReplyPassage(
            source="https://acme.example/docs/slack",
            title="Slack alerts",
            text="Acme posts alerts to any Slack channel.",
        )
    ],
    rules=["Never discuss special pricing or promotions."],
)
"""The prompt the tests send (tests/connectors/openai/test_generate.py builds the same)."""

REQUEST = {
    "model": MODEL,
    "messages": [
        {"role": "system", "content": PROMPT.system_prompt()},
        {"role": "user", "content": "Does Acme integrate with Slack?"},
    ],
    "max_tokens": 400,
}
ANSWER = "Yes: Acme posts alerts to any Slack channel. More: https://acme.example/docs/slack"


def completion(text: str = ANSWER, finish: str = "stop", tokens: int = 14) -> dict[str, Any]:
    return {
        "id": "chatcmpl-synthetic0001",
        "object": "chat.completion",
        "created": 1767603600,
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text, "refusal": None},
                "logprobs": None,
                "finish_reason": finish,
            }
        ],
        "usage": {"prompt_tokens": 96, "completion_tokens": tokens, "total_tokens": 96 + tokens},
        "system_fingerprint": "fp_synthetic",
    }


def error(message: str, kind: str, code: str | None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


LIMITS = {
    "x-ratelimit-limit-requests": "500",
    "x-ratelimit-remaining-requests": "499",
    "x-ratelimit-reset-requests": "120ms",
    "x-request-id": "req_synthetic0001",
}


def call(status: int, body: Any, headers: dict[str, str] | None = None) -> dict[str, Any]:
    return cassette_interaction(
        "POST",
        URL,
        request_body=REQUEST,
        request_headers={"Authorization": "REDACTED"},
        status=status,
        response_body=body,
        response_headers={"Content-Type": "application/json", **(headers or LIMITS)},
    )


RATE = error(
    "Rate limit reached for gpt-4o-mini in organization org-synthetic on requests per min "
    "(RPM): Limit 500, Used 500, Requested 1. Please try again in 120ms.",
    "requests",
    "rate_limit_exceeded",
)

CASSETTES: dict[str, list[dict[str, Any]]] = {
    "reply": [call(200, completion())],
    "rate_limited_then_reply": [
        call(429, RATE, {"retry-after": "2", "x-ratelimit-remaining-requests": "0"}),
        call(200, completion()),
    ],
    "reset_header_then_reply": [
        call(429, RATE, {"x-ratelimit-reset-requests": "1s", "x-ratelimit-remaining-requests": "0"}),
        call(200, completion()),
    ],
    "rate_limited_throughout": [
        call(429, RATE, {"retry-after": "1"}),
        call(429, RATE, {"retry-after": "1"}),
        call(429, RATE, {"retry-after": "1"}),
    ],
    "insufficient_quota": [
        call(
            429,
            error(
                "You exceeded your current quota, please check your plan and billing details.",
                "insufficient_quota",
                "insufficient_quota",
            ),
        )
    ],
    "invalid_api_key": [
        call(
            401,
            error(
                "Incorrect API key provided: sk-synth***0000. You can find your API key at "
                "https://platform.openai.com/account/api-keys.",
                "invalid_request_error",
                "invalid_api_key",
            ),
        )
    ],
    "server_error_then_reply": [
        call(500, error("The server had an error while processing your request.", "server_error", None)),
        call(200, completion()),
    ],
    "model_not_found": [
        call(
            404,
            error(
                "The model `gpt-4o-mini` does not exist or you do not have access to it.",
                "invalid_request_error",
                "model_not_found",
            ),
        )
    ],
    "cut_at_max_tokens": [call(200, completion("Yes: Acme posts alerts to", "length", 400))],
    "not_a_completion": [
        cassette_interaction(
            "POST",
            URL,
            request_body=REQUEST,
            request_headers={"Authorization": "REDACTED"},
            response_body="<html><body>Sign in to the proxy</body></html>",
            response_headers={"Content-Type": "text/html"},
        )
    ],
}


def main() -> None:
    """Write every cassette."""
    OUT.mkdir(parents=True, exist_ok=True)
    for name, interactions in CASSETTES.items():
        write_cassette(OUT / f"{name}.yaml", interactions)
        print(f"wrote {OUT / name}.yaml")


if __name__ == "__main__":
    main()

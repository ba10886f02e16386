"""Write the Anthropic cassettes in cassettes/anthropic/ (run by hand; the output is committed).

    .venv/bin/python tests/connectors/anthropic/make_cassettes.py

Synthetic values only, in the shapes the Messages API answers with: a
`message` with text content blocks, `stop_reason` and `usage`; errors as
`{"type": "error", "error": {"type", "message"}, "request_id"}`; 429
`rate_limit_error` with retry-after, 529 `overloaded_error`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from handoff_sdk.entities import ReplyPassage, ReplyPrompt, ReplyTurn
from handoff_sdk.testing.cassettes import cassette_interaction, write_cassette

OUT = Path(__file__).resolve().parents[3] / "cassettes" / "anthropic"
URL = "https://api.anthropic.com/v1/messages"
MODEL = "claude-sonnet-4-5"

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

REQUEST = {
    "model": MODEL,
    "max_tokens": 400,
    "messages": [{"role": "user", "content": "Does Acme integrate with Slack?"}],
    "system": PROMPT.system_prompt(),
}
ANSWER = "Yes: Acme posts alerts to any Slack channel. More: https://acme.example/docs/slack"


def message(text: str = ANSWER, stop: str = "end_turn", tokens: int = 15) -> dict[str, Any]:
    return {
        "id": "msg_synthetic0001",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5-20250929",
        "content": [{"type": "text", "text": text}],
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": {
            "input_tokens": 101,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "output_tokens": tokens,
        },
    }


def error(kind: str, text: str, **details: str) -> dict[str, Any]:
    body: dict[str, Any] = {"type": kind, "message": text}
    if details:
        body["details"] = details
    return {"type": "error", "error": body, "request_id": "req_synthetic0001"}


LIMITS = {
    "anthropic-ratelimit-requests-limit": "50",
    "anthropic-ratelimit-requests-remaining": "49",
    "anthropic-ratelimit-requests-reset": "2026-01-05T09:00:01Z",
    "request-id": "req_synthetic0001",
}


def call(status: int, body: Any, headers: dict[str, str] | None = None) -> dict[str, Any]:
    return cassette_interaction(
        "POST",
        URL,
        request_body=REQUEST,
        request_headers={"x-api-key": "REDACTED", "anthropic-version": "2023-06-01"},
        status=status,
        response_body=body,
        response_headers={"Content-Type": "application/json", **(headers or LIMITS)},
    )


RATE = error("rate_limit_error", "This request would exceed the rate limit for your organization.")
OVERLOADED = error("overloaded_error", "Overloaded")

CASSETTES: dict[str, list[dict[str, Any]]] = {
    "reply": [call(200, message())],
    "rate_limited_then_reply": [
        call(429, RATE, {"retry-after": "3", "anthropic-ratelimit-requests-remaining": "0"}),
        call(200, message()),
    ],
    "overloaded_then_reply": [call(529, OVERLOADED, {}), call(200, message())],
    "overloaded_throughout": [call(529, OVERLOADED, {})] * 3,
    "spend_limit": [
        call(
            429,
            error(
                "rate_limit_error",
                "You have reached your specified API usage limits.",
                error_code="enforced_spend_limit_reached",
            ),
            {},
        )
    ],
    "authentication_error": [call(401, error("authentication_error", "invalid x-api-key"), {})],
    "invalid_request": [
        call(
            400,
            error("invalid_request_error", "max_tokens: 400 > 64000, which is the maximum"),
            {},
        )
    ],
    "cut_at_max_tokens": [call(200, message("Yes: Acme posts alerts", "max_tokens", 400))],
}


def main() -> None:
    """Write every cassette."""
    OUT.mkdir(parents=True, exist_ok=True)
    for name, interactions in CASSETTES.items():
        write_cassette(OUT / f"{name}.yaml", interactions)
        print(f"wrote {OUT / name}.yaml")


if __name__ == "__main__":
    main()

"""A ReplyPrompt as a Chat Completions request, and its answer as a ModelReply. Pure."""

from __future__ import annotations

import re
from typing import Any, Literal

from handoff_sdk.entities import ModelReply, ReplyPrompt, TokenUsage

__all__ = ["FINISH", "chat_request", "model_reply", "reset_seconds"]

FINISH: dict[str, Literal["stop", "length", "content_filter", "other"]] = {
    "stop": "stop",
    "eos": "stop",  # some self-hosted servers
    "length": "length",
    "content_filter": "content_filter",
}
"""Chat Completions' `finish_reason` in the hub's words; anything else (tool_calls) is other."""

_ROLE = {"visitor": "user", "ai": "assistant", "rep": "assistant"}
"""Who said a turn, as Chat Completions names it: the company's side is the assistant."""


def chat_request(
    prompt: ReplyPrompt,
    *,
    model: str,
    max_tokens: int,
    max_tokens_field: str,
    temperature: float | None,
) -> dict[str, Any]:
    """The request body: the system prompt first, then each turn, oldest first."""
    messages: list[dict[str, str]] = []
    system = prompt.system_prompt()
    if system:
        messages.append({"role": "system", "content": system})
    messages += [{"role": _ROLE[turn.speaker], "content": turn.text} for turn in prompt.turns]
    body: dict[str, Any] = {
        "model": model,
        "messages": messages,
        max_tokens_field: prompt.max_tokens or max_tokens,
    }
    chosen = prompt.temperature if prompt.temperature is not None else temperature
    if chosen is not None:
        body["temperature"] = chosen
    return body


def model_reply(body: Any, *, asked_model: str) -> ModelReply | None:
    """The first choice as a ModelReply; None when the body is not a chat completion."""
    if not isinstance(body, dict):
        return None
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        return None
    choice = choices[0]
    message = choice.get("message")
    if not isinstance(message, dict):
        return None
    content = message.get("content")
    if isinstance(content, list):  # a few servers answer content parts
        content = "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    text = content if isinstance(content, str) else ""
    raw_reason = choice.get("finish_reason")
    reason = str(raw_reason) if raw_reason is not None else None
    found = body.get("usage")
    usage: dict[str, Any] = found if isinstance(found, dict) else {}
    return ModelReply(
        text=text.strip(),
        model=str(body.get("model") or asked_model),
        usage=TokenUsage(
            input_tokens=_count(usage.get("prompt_tokens")),
            output_tokens=_count(usage.get("completion_tokens")),
        ),
        finish_reason=FINISH.get(reason or "", "other"),
        vendor_reason=reason,
    )


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def reset_seconds(value: str | None) -> float | None:
    """OpenAI's `x-ratelimit-reset-*` ('1s', '6m0s', '20ms', '1h2m3.5s') in seconds, or None."""
    if not value:
        return None
    parts = _DURATION.findall(value.strip())
    if not parts or "".join(n + u for n, u in parts) != value.strip():
        return None
    return sum(float(n) * _UNIT[u] for n, u in parts)

"""A ReplyPrompt as a Messages API request, and its answer as a ModelReply. Pure."""

from __future__ import annotations

from typing import Any, Literal

from handoff_sdk.entities import ModelReply, ReplyPrompt, TokenUsage

__all__ = ["FINISH", "OPENING", "message_reply", "messages_request"]

FINISH: dict[str, Literal["stop", "length", "content_filter", "other"]] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "refusal": "content_filter",
}
"""The Messages API's `stop_reason` in the hub's words; tool_use, pause_turn... are other."""

OPENING = "(The visitor opened the chat.)"
"""The user turn put first when the conversation opens with the AI rep's greeting: the
Messages API expects the conversation to start with the user."""

_ROLE = {"visitor": "user", "ai": "assistant", "rep": "assistant"}


def messages_request(
    prompt: ReplyPrompt, *, model: str, max_tokens: int, temperature: float | None
) -> dict[str, Any]:
    """The request body: `system` at the top level, turns alternating user and assistant.

    Consecutive turns of one side (a rep's message after the AI rep's) are
    joined into one message, as the API wants roles to alternate.
    """
    messages: list[dict[str, str]] = []
    for turn in prompt.turns:
        role = _ROLE[turn.speaker]
        if messages and messages[-1]["role"] == role:
            messages[-1]["content"] += "\n\n" + turn.text
        else:
            messages.append({"role": role, "content": turn.text})
    if messages and messages[0]["role"] == "assistant":
        messages.insert(0, {"role": "user", "content": OPENING})
    body: dict[str, Any] = {
        "model": model,
        "max_tokens": prompt.max_tokens or max_tokens,
        "messages": messages,
    }
    system = prompt.system_prompt()
    if system:
        body["system"] = system
    chosen = prompt.temperature if prompt.temperature is not None else temperature
    if chosen is not None:
        body["temperature"] = min(chosen, 1.0)  # the Messages API accepts 0 to 1
    return body


def message_reply(body: Any, *, asked_model: str) -> ModelReply | None:
    """The text blocks, joined, as a ModelReply; None when the body is not a message."""
    if not isinstance(body, dict) or body.get("type") != "message":
        return None
    content = body.get("content")
    if not isinstance(content, list):
        return None
    text = "".join(
        str(block.get("text", ""))
        for block in content
        if isinstance(block, dict) and block.get("type") == "text"
    )
    raw_reason = body.get("stop_reason")
    reason = str(raw_reason) if raw_reason is not None else None
    found = body.get("usage")
    usage: dict[str, Any] = found if isinstance(found, dict) else {}
    read = sum(
        _count(usage.get(k))
        for k in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
    )
    return ModelReply(
        text=text.strip(),
        model=str(body.get("model") or asked_model),
        usage=TokenUsage(input_tokens=read, output_tokens=_count(usage.get("output_tokens"))),
        finish_reason=FINISH.get(reason or "", "other"),
        vendor_reason=reason,
    )


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0

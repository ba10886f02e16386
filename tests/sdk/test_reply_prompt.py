"""Issue 12: the reply-generation hook's types: one rendering of the prompt for every backend."""

from __future__ import annotations

import pydantic
import pytest

from handoff_sdk import hookspecs
from handoff_sdk.entities import ModelReply, ReplyPassage, ReplyPrompt, ReplyTurn


def test_the_system_prompt_holds_instructions_rules_goals_and_passages_in_order() -> None:
    prompt = ReplyPrompt(
        instructions="You are Acme's assistant.",
        turns=[ReplyTurn(speaker="visitor", text="Hi")],
        passages=[ReplyPassage(source="https://acme.example/a", title="A", text=" Alpha. ")],
        goals=["offer to book a meeting"],
        rules=["Never discuss special pricing.", "Never link the demo page."],
    )
    text = prompt.system_prompt()
    assert text.startswith("You are Acme's assistant.")
    assert "1. Never discuss special pricing.\n2. Never link the demo page." in text
    assert "- offer to book a meeting" in text
    assert "[1] A (https://acme.example/a)\nAlpha." in text
    assert text.index("Rules") < text.index("- offer") < text.index("[1] A")


def test_an_empty_prompt_renders_nothing_but_a_conversation_is_required() -> None:
    assert ReplyPrompt(turns=[ReplyTurn(speaker="visitor", text="Hi")]).system_prompt() == ""
    with pytest.raises(pydantic.ValidationError, match="turns"):
        ReplyPrompt(turns=[])
    with pytest.raises(pydantic.ValidationError, match="speaker"):
        ReplyTurn(speaker="bot", text="Hi")  # type: ignore[arg-type]


def test_a_reply_names_why_the_model_stopped_in_one_vocabulary() -> None:
    reply = ModelReply(text="Hello", model="m", finish_reason="length", vendor_reason="max_tokens")
    assert reply.usage.input_tokens == 0
    with pytest.raises(pydantic.ValidationError, match="finish_reason"):
        ModelReply(text="x", model="m", finish_reason="end_turn")  # type: ignore[arg-type]


def test_generate_reply_is_a_capability_but_not_a_write() -> None:
    assert "handoff_generate_reply" in hookspecs.CAPABILITY_HOOKS
    assert "handoff_generate_reply" not in hookspecs.WRITE_HOOKS

"""The Anthropic connector passes the SDK contract, on cassettes and over a socket."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import httpx
from handoff_anthropic import AnthropicConnector

from handoff_sdk.entities import ReplyPrompt, ReplyTurn
from handoff_sdk.testing import ConnectorContract, ContractCase

PROMPT = ReplyPrompt(
    instructions="You are the assistant of Acme on acme.example.",
    turns=[ReplyTurn(speaker="visitor", text="Does Acme integrate with Slack?")],
)


class TestAnthropicContract(ConnectorContract):
    """One message: the AI rep's reply (issue 12)."""

    connector_class = AnthropicConnector
    config: ClassVar[dict[str, Any]] = {"model": "claude-sonnet-4-5"}
    secrets: ClassVar[dict[str, str]] = {"api_key": "synthetic-anthropic-key"}
    cases: ClassVar[Sequence[ContractCase]] = [
        ContractCase("handoff_generate_reply", {"prompt": PROMPT}, "reply")
    ]

    @staticmethod
    def expired_token_response() -> httpx.Response:
        """Anthropic refuses a bad key with 401 authentication_error."""
        return httpx.Response(
            401,
            json={"type": "error", "error": {"type": "authentication_error",
                  "message": "invalid x-api-key"}, "request_id": "req_synthetic"},
        )  # fmt: skip

"""The OpenAI-compatible connector passes the SDK contract, on cassettes and over a socket."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import httpx
from handoff_openai import OpenAIConnector

from handoff_sdk.entities import ReplyPrompt, ReplyTurn
from handoff_sdk.testing import ConnectorContract, ContractCase

PROMPT = ReplyPrompt(
    instructions="You are the assistant of Acme on acme.example.",
    turns=[ReplyTurn(speaker="visitor", text="Does Acme integrate with Slack?")],
)


class TestOpenAIContract(ConnectorContract):
    """One chat completion: the AI rep's reply (issue 12)."""

    connector_class = OpenAIConnector
    config: ClassVar[dict[str, Any]] = {"model": "gpt-4o-mini"}
    secrets: ClassVar[dict[str, str]] = {"api_key": "synthetic-openai-key"}
    cases: ClassVar[Sequence[ContractCase]] = [
        ContractCase("handoff_generate_reply", {"prompt": PROMPT}, "reply")
    ]

    @staticmethod
    def expired_token_response() -> httpx.Response:
        """OpenAI refuses a bad key with 401 invalid_api_key."""
        return httpx.Response(
            401,
            json={"error": {"message": "Incorrect API key provided", "type":
                  "invalid_request_error", "param": None, "code": "invalid_api_key"}},
        )  # fmt: skip

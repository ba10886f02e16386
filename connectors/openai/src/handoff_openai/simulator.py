"""An OpenAI-compatible model server, simulated for tests and `handoff sandbox` (issue 12).

The SDK's deterministic fake model (`handoff_sdk.testing.FakeModelServer`),
pointed at by the `openai` connector: `POST /v1/chat/completions` with a
Bearer key, scripted replies, OpenAI's error object and rate-limit headers,
429 with Retry-After and 503 overload on demand. It also answers
Anthropic's `/v1/messages`, as every fake model server does.
"""

from __future__ import annotations

from typing import Any

from handoff_sdk.testing import FakeModelServer, SimAccount

__all__ = ["OpenAISimulator"]


class OpenAISimulator(FakeModelServer):
    """The fake model server as the `openai` connector's simulator."""

    name = "openai"

    def connector_config(self, url: str) -> dict[str, Any]:
        """`[connectors.openai]` pointing here: base_url at its /v1, the fake's model."""
        return {"base_url": f"{url}/v1", "model": self.model}

    def connector_secrets(self, account: SimAccount | None = None) -> dict[str, str]:
        """The organisation's API key."""
        return {"api_key": (account or self.account).secrets["api_key"]}

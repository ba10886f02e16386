"""Anthropic's Messages API, simulated for tests and `handoff sandbox` (issue 12).

The SDK's deterministic fake model (`handoff_sdk.testing.FakeModelServer`),
pointed at by the `anthropic` connector: `POST /v1/messages` with
`x-api-key` and `anthropic-version`, scripted replies as text blocks,
Anthropic's error shape (`{"type": "error", "error": {...}}`), 429
`rate_limit_error` with retry-after and 529 `overloaded_error` on demand,
`anthropic-ratelimit-requests-*` headers. It also answers OpenAI's
`/v1/chat/completions`, as every fake model server does.
"""

from __future__ import annotations

from typing import Any

from handoff_sdk.testing import FakeModelServer, SimAccount

__all__ = ["AnthropicSimulator"]


class AnthropicSimulator(FakeModelServer):
    """The fake model server as the `anthropic` connector's simulator."""

    name = "anthropic"

    def connector_config(self, url: str) -> dict[str, Any]:
        """`[connectors.anthropic]` pointing here, asking for the fake's model."""
        return {"base_url": url, "model": self.model}

    def connector_secrets(self, account: SimAccount | None = None) -> dict[str, str]:
        """The organisation's API key."""
        return {"api_key": (account or self.account).secrets["api_key"]}

"""handoff-anthropic: the AI rep's model over Anthropic's Messages API."""

from __future__ import annotations

from .connector import AnthropicConfig, AnthropicConnector

__all__ = ["AnthropicConfig", "AnthropicConnector"]

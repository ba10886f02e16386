"""handoff-openai: the AI rep's model over any OpenAI-compatible Chat Completions server."""

from __future__ import annotations

from .connector import OpenAIConfig, OpenAIConnector

__all__ = ["OpenAIConfig", "OpenAIConnector"]

"""Entry point `handoff.openai`: tells the hub which connector classes this package offers."""

from __future__ import annotations

from handoff_sdk import Connector, hookimpl

from .connector import OpenAIConnector


@hookimpl
def handoff_connectors() -> list[type[Connector]]:
    """The OpenAI-compatible Chat Completions connector."""
    return [OpenAIConnector]

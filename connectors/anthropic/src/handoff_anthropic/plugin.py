"""Entry point `handoff.anthropic`: tells the hub which connector classes this package offers."""

from __future__ import annotations

from handoff_sdk import Connector, hookimpl

from .connector import AnthropicConnector


@hookimpl
def handoff_connectors() -> list[type[Connector]]:
    """The Anthropic Messages API connector."""
    return [AnthropicConnector]

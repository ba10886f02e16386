"""Entry point `handoff.slack`: tells the hub which connector classes this package offers."""

from __future__ import annotations

from handoff_sdk import Connector, hookimpl

from .connector import SlackConnector


@hookimpl
def handoff_connectors() -> list[type[Connector]]:
    """The Slack connector."""
    return [SlackConnector]

"""Entry point `handoff.email`: tells the hub which connector classes this package offers."""

from __future__ import annotations

from handoff_sdk import Connector, hookimpl

from .connector import EmailConnector


@hookimpl
def handoff_connectors() -> list[type[Connector]]:
    """The email connector."""
    return [EmailConnector]

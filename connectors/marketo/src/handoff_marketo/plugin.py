"""Entry point of the `handoff` group: tells the hub this package offers the Marketo connector."""

from __future__ import annotations

from handoff_sdk import Connector, hookimpl

from .connector import MarketoConnector

__all__ = ["handoff_connectors"]


@hookimpl
def handoff_connectors() -> list[type[Connector]]:
    """Discovery: the connector classes this package offers."""
    return [MarketoConnector]

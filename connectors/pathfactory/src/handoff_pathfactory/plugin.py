"""Entry point of the `handoff` group: tells the hub which connector this package offers."""

from __future__ import annotations

from handoff_sdk import Connector, hookimpl

from .connector import PathfactoryConnector


@hookimpl
def handoff_connectors() -> list[type[Connector]]:
    """The PathFactory connector."""
    return [PathfactoryConnector]

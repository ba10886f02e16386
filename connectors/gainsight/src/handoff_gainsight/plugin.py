"""Entry point of the `handoff` group: tells the hub which connector this package offers."""

from __future__ import annotations

from handoff_sdk import Connector, hookimpl

from .connector import GainsightConnector


@hookimpl
def handoff_connectors() -> list[type[Connector]]:
    """The Gainsight connector."""
    return [GainsightConnector]

"""Entry point `handoff` -> `6sense`: tells the hub which connector this package offers."""

from __future__ import annotations

from handoff_sdk import Connector, hookimpl

from .connector import SixsenseConnector

__all__ = ["handoff_connectors"]


@hookimpl
def handoff_connectors() -> list[type[Connector]]:
    """The hub discovers the 6sense connector through this hook."""
    return [SixsenseConnector]

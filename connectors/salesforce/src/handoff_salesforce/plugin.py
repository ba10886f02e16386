"""Entry point of the `handoff` group: tells the hub this package offers Salesforce."""

from __future__ import annotations

from handoff_sdk import Connector, hookimpl

from .connector import SalesforceConnector


@hookimpl
def handoff_connectors() -> list[type[Connector]]:
    """The connector classes in this package."""
    return [SalesforceConnector]

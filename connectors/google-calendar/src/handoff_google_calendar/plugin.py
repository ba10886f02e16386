"""Entry point of the `handoff` group: tells the hub which connector classes this package offers."""

from __future__ import annotations

from handoff_sdk import Connector, hookimpl

from .connector import GoogleCalendarConnector

__all__ = ["handoff_connectors"]


@hookimpl
def handoff_connectors() -> list[type[Connector]]:
    """The Google Calendar connector."""
    return [GoogleCalendarConnector]

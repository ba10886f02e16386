"""The installed connectors, as the CLI's commands look them up: warnings shown once, in yellow."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

from handoff.cli import voice
from handoff.errors import UnknownConnectorError

if TYPE_CHECKING:
    from handoff.plugins import Discovery

__all__ = ["discover_quietly", "resolve_connector"]


def discover_quietly() -> Discovery:
    """The installed connectors; each broken package is one `warning:` line on stderr."""
    from handoff import plugins

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", plugins.PluginWarning)
        found = plugins.discover()
    for problem in found.problems:
        voice.warning(problem)
    return found


def resolve_connector(found: Discovery, name: str) -> None:
    """Refuse a connector name no installed package offers, listing the installed ones."""
    if name not in found.connectors:
        raise UnknownConnectorError(name, list(found.connectors))

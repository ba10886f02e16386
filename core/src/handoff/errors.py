"""Errors the hub reports to the person at the keyboard: one line, what and where."""

from __future__ import annotations

__all__ = ["ConfigFileError", "HandoffError", "UnknownConnectorError"]


class HandoffError(Exception):
    """A user-facing error; the CLI prints it without a traceback."""


class ConfigFileError(HandoffError):
    """handoff.toml is unreadable or holds a bad value; names the file, table and key."""


class UnknownConnectorError(HandoffError):
    """A connector name that no installed package offers; lists the installed ones."""

    def __init__(self, name: str, installed: list[str], where: str = "") -> None:
        listing = ", ".join(sorted(installed)) or "none"
        super().__init__(f"{where}unknown connector '{name}'; installed connectors: {listing}")
        self.name = name
        self.installed = installed

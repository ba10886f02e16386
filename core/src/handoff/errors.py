"""Errors the hub reports to the person at the keyboard: one line, what and where."""

from __future__ import annotations

__all__ = ["ConfigFileError", "HandoffError", "UnknownConnectorError"]


class HandoffError(Exception):
    """A user-facing error; the CLI prints it without a traceback."""


class ConfigFileError(HandoffError):
    """handoff.toml is unreadable or holds a bad value; names the file, table and key.

    `problems` lists each problem on its own (what `handoff check` prints one
    per line); the message joins them.
    """

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or [message]


class UnknownConnectorError(HandoffError):
    """A connector name that no installed package offers; lists the installed ones."""

    def __init__(self, name: str, installed: list[str], where: str = "") -> None:
        listing = ", ".join(sorted(installed)) or "none"
        super().__init__(f"{where}unknown connector '{name}'; installed connectors: {listing}")
        self.name = name
        self.installed = installed

"""The `handoff` command line, one module per command (see `handoff.cli.app`)."""

from __future__ import annotations

from handoff.cli.app import cli, main

__all__ = ["cli", "main"]

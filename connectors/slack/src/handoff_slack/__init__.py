"""handoff-slack: channel posts with @mentions, by bot token or incoming webhook."""

from __future__ import annotations

from .connector import SlackConfig, SlackConnector

__all__ = ["SlackConfig", "SlackConnector"]

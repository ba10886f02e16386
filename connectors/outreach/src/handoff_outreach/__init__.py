"""handoff-outreach: the Outreach connector of handoff."""

from __future__ import annotations

from .connector import OutreachConfig, OutreachConnector

__all__ = ["OutreachConfig", "OutreachConnector"]

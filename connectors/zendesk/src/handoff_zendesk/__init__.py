"""handoff-zendesk: the Zendesk Support connector of handoff."""

from __future__ import annotations

from .connector import ZendeskConfig, ZendeskConnector

__all__ = ["ZendeskConfig", "ZendeskConnector"]

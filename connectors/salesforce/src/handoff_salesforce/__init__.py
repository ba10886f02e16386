"""handoff-salesforce: the Salesforce CRM connector of handoff."""

from __future__ import annotations

from .config import AccountFields, SalesforceConfig
from .connector import SalesforceConnector

__all__ = ["AccountFields", "SalesforceConfig", "SalesforceConnector"]

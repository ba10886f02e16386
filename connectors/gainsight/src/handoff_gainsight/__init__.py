"""handoff-gainsight: Gainsight CS survey responses (NPS, CSAT, post-churn) as P5 events."""

from __future__ import annotations

from .connector import GainsightConfig, GainsightConnector

__all__ = ["GainsightConfig", "GainsightConnector"]

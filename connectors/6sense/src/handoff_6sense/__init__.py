"""handoff-6sense: identify a website visitor's company by IP with 6sense (rule Q1)."""

from __future__ import annotations

from .connector import DEFAULT_BASE_URL, SixsenseConfig, SixsenseConnector

__all__ = ["DEFAULT_BASE_URL", "SixsenseConfig", "SixsenseConnector"]

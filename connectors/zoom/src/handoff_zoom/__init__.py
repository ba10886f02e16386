"""handoff-zoom: the Zoom connector of handoff."""

from __future__ import annotations

from .connector import URL_VALIDATION_EVENT, ZoomAccountCredentials, ZoomConfig, ZoomConnector

__all__ = ["URL_VALIDATION_EVENT", "ZoomAccountCredentials", "ZoomConfig", "ZoomConnector"]

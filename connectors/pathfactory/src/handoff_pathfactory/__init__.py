"""handoff-pathfactory: PathFactory content engagement as Fast Moving Buyer events (P5)."""

from __future__ import annotations

from .connector import FastMovingBuyerConfig, PathfactoryConfig, PathfactoryConnector

__all__ = ["FastMovingBuyerConfig", "PathfactoryConfig", "PathfactoryConnector"]

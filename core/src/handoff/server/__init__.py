"""`handoff serve`: the HTTP intake (hub API under /v1, webhooks, health, metrics)."""

from __future__ import annotations

from handoff.server.app import create_app, metrics_app
from handoff.server.intake import Intake

__all__ = ["Intake", "create_app", "metrics_app"]

"""Connector health (ops): each connector's calls, errors, throttles, retries and latency.

Read from the hub's own Prometheus series (`ConnectorMetrics.health`, the
counters and histograms `GET /metrics` exports), so the page and a
Prometheus dashboard never disagree. Counts since this server process
started, of the calls it made; a worker run as its own process counts its
own (`handoff worker --metrics`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response

from handoff.api_keys import Scope
from handoff.connector_metrics import ConnectorMetrics
from handoff.console.web import ConsolePages, NavItem, Viewer, render, require_role
from handoff_sdk import REQUEST_OUTCOMES

__all__ = ["connector_pages"]

PROBLEMS = tuple(o for o in REQUEST_OUTCOMES if o != "ok")
"""The HTTP outcomes that are not an answer: shown as their own columns."""


def connector_pages() -> ConsolePages:
    """The Connectors page: one summary row per connector, then each one's hooks and tries."""
    router = APIRouter()

    @router.get("/connectors")
    async def connectors_page(
        request: Request, _viewer: Annotated[Viewer, require_role(Scope.OPS)]
    ) -> Response:
        """Calls by hook and outcome, HTTP tries by outcome, retries, latency: per connector."""
        source: Callable[[], ConnectorMetrics | None] | None = getattr(
            request.app.state, "connector_metrics", None
        )
        metrics = source() if source is not None else None
        return render(
            request,
            "connectors.html",
            {
                "enabled": metrics is not None,
                "connectors": metrics.health() if metrics is not None else [],
                "outcomes": REQUEST_OUTCOMES,
                "problems": PROBLEMS,
            },
        )

    return ConsolePages(
        router=router, nav=(NavItem("Connectors", "/connectors", (Scope.OPS,), order=55),)
    )

"""`handoff serve`: the hub's API and webhooks, with the worker in the same process if asked."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import click

from handoff.cli.options import (
    config_option,
    database_option,
    log_to_stderr,
    open_store_for,
    worker_options,
    worker_settings_for,
)

__all__ = ["serve"]


@click.command("serve")
@config_option
@database_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, help="Port to listen on.")
@click.option("--with-worker", is_flag=True, help="Also run a worker in this process.")
@worker_options
def serve(  # noqa: PLR0917 - click passes each option
    config_path: Path | None,
    database: str | None,
    host: str,
    port: int,
    with_worker: bool,
    worker: dict[str, Any],
) -> None:
    """Receive events: the hub's API under /v1, webhooks at /webhooks/CONNECTOR.

    The OpenAPI document is at /openapi.json, readiness at /health (503 while
    the database cannot be written or the in-process worker is backing off),
    liveness at /health/live, Prometheus metrics at /metrics. An event is
    stored durably before the 2xx; while the database is unavailable the API
    answers 503 and stores nothing. The worker options apply to --with-worker.
    """
    import uvicorn

    from handoff.config import load_config
    from handoff.flow import Services
    from handoff.flows import FlowSet
    from handoff.hub import Hub
    from handoff_sdk import SystemClock

    config = load_config(config_path)
    settings = worker_settings_for(config, worker)
    log_to_stderr()
    store = open_store_for(config_path, database, wait=True)
    clock = SystemClock()
    hub = Hub(config, clock=clock) if config.enabled() else None
    flows = FlowSet(Services(config, store, clock, lambda: hub))
    app = flows.app(with_worker=with_worker, worker_settings=settings)
    try:
        uvicorn.run(app, host=host, port=port, log_level="info", access_log=False)
    finally:
        if hub is not None:
            asyncio.run(hub.aclose())

"""`handoff serve`: the hub's API and webhooks, with the worker in the same process if asked."""

from __future__ import annotations

import asyncio
import gc
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
@click.option(
    "--metrics-address",
    metavar="HOST:PORT",
    default=None,
    help="Also serve /metrics WITHOUT a key on this address (e.g. 10.0.0.5:9100, reachable "
    "by the metrics scraper only); on the API's port /metrics needs an ops key.",
)
@click.option(
    "--header-timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    metavar="SECONDS",
    help="Close a connection whose request line and headers have not all arrived this many "
    "seconds after it opened (or after the next request's first byte), answering 408, so "
    "slow-loris clients hold no connection for longer. [default: 10] The body has its own 30 s.",
)
@worker_options
def serve(  # noqa: PLR0917 - click passes each option
    config_path: Path | None,
    database: str | None,
    host: str,
    port: int,
    with_worker: bool,
    metrics_address: str | None,
    header_timeout: float | None,
    worker: dict[str, Any],
) -> None:
    """Receive events: the hub's API under /v1, webhooks at /webhooks/CONNECTOR.

    The OpenAPI document is at /openapi.json, readiness at /health (503 while
    the database cannot be written or the in-process worker is backing off),
    liveness at /health/live, Prometheus metrics at /metrics. An event is
    stored durably before the 2xx; while the database is unavailable the API
    answers 503 and stores nothing. The worker options apply to --with-worker.
    Every /v1 route and /metrics needs an API key (`handoff keys create`);
    --metrics-address serves /metrics without one on a separate listener.
    The web console is at /console (users from `handoff users add`).
    """
    import uvicorn

    from handoff.config import load_config
    from handoff.flow import Services
    from handoff.flows import FlowSet
    from handoff.hub import Hub
    from handoff.server.listener import HEADER_TIMEOUT_S
    from handoff_sdk import SystemClock

    config = load_config(config_path)
    settings = worker_settings_for(config, worker)
    log_to_stderr()
    store = open_store_for(config_path, database, wait=True)
    clock = SystemClock()
    hub = Hub(config, clock=clock) if config.enabled() else None
    flows = FlowSet(Services(config, store, clock, lambda: hub))
    app = flows.app(with_worker=with_worker, worker_settings=settings)
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": "info",
        "access_log": False,
        "header_timeout": HEADER_TIMEOUT_S if header_timeout is None else header_timeout,
    }
    # The modules, routes and models built so far live as long as the server: frozen out of
    # the cyclic collector's full scans, which otherwise cost a fifth of intake's CPU (issue 8).
    gc.freeze()
    try:
        if metrics_address is None:
            from handoff.server.listener import header_deadline

            seconds = options.pop("header_timeout")
            uvicorn.run(app, http=header_deadline(seconds), **options)
        else:
            asyncio.run(_serve_with_metrics(app, options, _listen_address(metrics_address)))
    finally:
        if hub is not None:
            asyncio.run(hub.aclose())


def _listen_address(value: str) -> tuple[str, int]:
    """HOST:PORT of --metrics-address ([::1]:9100 for IPv6)."""
    from handoff.errors import HandoffError

    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise HandoffError(f"--metrics-address '{value}': expected HOST:PORT, e.g. 127.0.0.1:9100")
    return host.strip("[]"), int(port)


async def _serve_with_metrics(app: Any, options: dict[str, Any], metrics: tuple[str, int]) -> None:
    """The API with uvicorn `options`, /metrics alone (no key) on `metrics`; Ctrl-C stops both."""
    import contextlib
    from collections.abc import Iterator

    import uvicorn

    from handoff.server import metrics_app
    from handoff.server.listener import uvicorn_config

    class Beside(uvicorn.Server):
        """The metrics listener: the API's server takes the signals and stops it."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    api = uvicorn.Server(uvicorn_config(app, **options))
    beside = Beside(
        uvicorn_config(
            metrics_app(app),
            header_timeout=options["header_timeout"],
            host=metrics[0],
            port=metrics[1],
            log_level="warning",
            access_log=False,
            lifespan="off",
        )
    )
    task = asyncio.create_task(beside.serve())
    try:
        await api.serve()
    finally:
        beside.should_exit = True
        await task

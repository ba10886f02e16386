"""`handoff worker`: the outbox's worker, run until stopped (or idle)."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
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

__all__ = ["worker"]


def _stop_on_signals(stop: Callable[[], None]) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop)


@click.command("worker")
@config_option
@database_option
@worker_options
@click.option("--until-idle", is_flag=True, help="Exit once no job is queued or running.")
@click.option(
    "--metrics",
    "metrics_address",
    metavar="HOST:PORT",
    default=None,
    help="Serve Prometheus metrics of this worker's connector calls and HTTP tries at "
    "http://HOST:PORT/metrics (off by default; bind it where only your monitoring reaches).",
)
def worker(
    config_path: Path | None,
    database: str | None,
    worker: dict[str, Any],
    until_idle: bool,
    metrics_address: str | None,
) -> None:
    """Run the outbox: fire due timers, claim due jobs, call the connectors, retry, give up.

    Start several (on PostgreSQL, on as many machines as you like) to share the
    load. Each job runs under its kind's timeout. When the database is
    unreachable the worker waits, retries (1 s doubling to 30 s) and resumes by
    itself; it never exits for an outage. SIGTERM or Ctrl-C lets the jobs in
    hand finish first.
    """
    from handoff.config import load_config
    from handoff.connector_metrics import parse_listen_address
    from handoff.errors import HandoffError
    from handoff.flow import Services
    from handoff.flows import FlowSet, install_periodic
    from handoff.hub import Hub
    from handoff.runtime import Worker
    from handoff_sdk import SystemClock

    config = load_config(config_path)
    settings = worker_settings_for(config, worker)
    listen = None
    if metrics_address is not None:
        try:
            listen = parse_listen_address(metrics_address)
        except ValueError as exc:
            raise HandoffError(f"--metrics: {exc}") from None
    log_to_stderr()
    store = open_store_for(config_path, database, wait=True)

    async def run() -> None:
        clock = SystemClock()
        async with Hub(config, clock=clock) as hub:
            flows = FlowSet(Services(config, store, clock, lambda: hub))
            await asyncio.to_thread(install_periodic, store, flows.periodic(), now=clock.now())
            runner = Worker.configured(
                store,
                settings,
                hub=hub,
                clock=clock,
                events=flows.event_handler(),
                handlers=flows.job_runners(),
                observers=flows.observers(),
            )
            _stop_on_signals(runner.stop)
            exporter = None
            if listen is not None:
                try:
                    exporter = hub.metrics.serve(*listen)
                except OSError as exc:
                    raise HandoffError(
                        f"--metrics: cannot listen on {metrics_address}: {exc}"
                    ) from None
                click.echo(f"metrics at http://{metrics_address}/metrics", err=True)
            stats = await runner.run(until_idle=until_idle)
            if exporter is not None:
                exporter.shutdown()
            click.echo(
                f"worker stopped: {stats.done} done, {stats.retried} retried, {stats.dead} dead"
            )

    click.echo(
        f"worker on {store.describe()}, concurrency {settings.concurrency}, "
        f"lease {settings.lease_seconds:g} s, job timeout {settings.job_timeout_seconds:g} s",
        err=True,
    )
    asyncio.run(run())

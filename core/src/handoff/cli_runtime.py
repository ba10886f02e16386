"""The runtime's commands (`handoff db`, `serve`, `worker`, `jobs`, `explain`), added to the CLI.

Imports of the runtime happen inside each command, so `handoff --help` stays fast.
"""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from handoff.cli_options import (
    config_option,
    database_option,
    log_to_stderr,
    open_store_for,
    worker_options,
    worker_settings_for,
)
from handoff.config import load_config
from handoff.errors import HandoffError
from handoff.flow import Services
from handoff.flows import FlowSet, install_periodic
from handoff.hub import Hub
from handoff_sdk import SystemClock

__all__ = ["RUNTIME_COMMANDS"]

F = TypeVar("F", bound=Callable[..., Any])


@click.group("db")
def db() -> None:
    """Create and migrate the hub's database (SQLite by default, PostgreSQL by URL)."""


@db.command("upgrade")
@config_option
@database_option
@click.option("--revision", default="head", show_default=True, help="Target revision.")
def db_upgrade(config_path: Path | None, database: str | None, revision: str) -> None:
    """Create the tables, or migrate them to this version of handoff."""
    from handoff.store import upgrade  # noqa: PLC0415

    store = open_store_for(config_path, database, migrated=False)
    reached = upgrade(store, revision)
    click.echo(f"{store.describe()}: at schema revision {reached}")


@db.command("current")
@config_option
@database_option
def db_current(config_path: Path | None, database: str | None) -> None:
    """Show the database's schema revision and the one this handoff needs."""
    from handoff.store import current_revision, head_revision  # noqa: PLC0415

    store = open_store_for(config_path, database, migrated=False)
    click.echo(
        f"{store.describe()}: at {current_revision(store) or 'none'}, needs {head_revision()}"
    )


def _stop_on_signals(stop: Callable[[], None]) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop)


@click.command("worker")
@config_option
@database_option
@worker_options
@click.option("--until-idle", is_flag=True, help="Exit once no job is queued or running.")
def worker(
    config_path: Path | None, database: str | None, worker: dict[str, Any], until_idle: bool
) -> None:
    """Run the outbox: fire due timers, claim due jobs, call the connectors, retry, give up.

    Start several (on PostgreSQL, on as many machines as you like) to share the
    load. Each job runs under its kind's timeout. When the database is
    unreachable the worker waits, retries (1 s doubling to 30 s) and resumes by
    itself; it never exits for an outage. SIGTERM or Ctrl-C lets the jobs in
    hand finish first.
    """
    from handoff.runtime import Worker  # noqa: PLC0415

    config = load_config(config_path)
    settings = worker_settings_for(config, worker)
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
            )
            _stop_on_signals(runner.stop)
            stats = await runner.run(until_idle=until_idle)
            click.echo(
                f"worker stopped: {stats.done} done, {stats.retried} retried, {stats.dead} dead"
            )

    click.echo(
        f"worker on {store.describe()}, concurrency {settings.concurrency}, "
        f"lease {settings.lease_seconds:g} s, job timeout {settings.job_timeout_seconds:g} s",
        err=True,
    )
    asyncio.run(run())


@click.group("jobs")
def jobs() -> None:
    """List, retry and discard the outbox's jobs."""


@jobs.command("list")
@config_option
@database_option
@click.option(
    "--state",
    "states",
    multiple=True,
    type=click.Choice(["queued", "running", "done", "dead"]),
    help="Only jobs in this state (repeatable).",
)
@click.option("--limit", default=50, show_default=True, help="How many, newest first.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def jobs_list(
    config_path: Path | None,
    database: str | None,
    states: tuple[str, ...],
    limit: int,
    as_json: bool,
) -> None:
    """Show jobs, newest first, with their state, attempts and last error."""
    from handoff.runtime import job_counts, list_jobs  # noqa: PLC0415

    store = open_store_for(config_path, database)
    with store.sessions() as session:
        rows = list_jobs(session, states=states, limit=limit)
        counts = job_counts(session)
    items = [
        {
            "id": job.id,
            "state": job.state,
            "kind": job.kind,
            "connector": job.connector,
            "hook": job.hook,
            "attempts": job.attempts,
            "run_after": job.run_after.isoformat(),
            "idempotency_key": job.idempotency_key,
            "last_error": job.last_error,
        }
        for job in rows
    ]
    if as_json:
        click.echo(json.dumps({"counts": counts, "jobs": items}, indent=2))
        return
    click.echo("  ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "no jobs")
    for item in items:
        target = f"{item['connector']}.{item['hook']}" if item["hook"] else item["kind"]
        line = f"{item['id']:>8}  {item['state']:<7} {item['attempts']:>2}x  {target}"
        click.echo(line + (f"  ({item['last_error']})" if item["last_error"] else ""))


def _operator_change(
    action: str, ids: tuple[int, ...], config_path: Path | None, database: str | None
) -> int:
    from handoff.runtime import audit, discard_jobs, retry_jobs  # noqa: PLC0415

    if not ids:
        raise HandoffError(f"give the ids of the jobs to {action}")
    now = SystemClock().now()
    store = open_store_for(config_path, database)
    with store.transaction() as session:
        change = retry_jobs if action == "retry" else discard_jobs
        changed = change(session, list(ids), now=now)
        audit(
            session,
            actor="cli",
            action=f"jobs.{action}",
            now=now,
            details={"ids": list(ids), "changed": changed},
        )
    return changed


@jobs.command("retry")
@config_option
@database_option
@click.argument("ids", nargs=-1, type=int)
def jobs_retry(config_path: Path | None, database: str | None, ids: tuple[int, ...]) -> None:
    """Queue dead jobs IDS again, due now, with a fresh attempt budget."""
    changed = _operator_change("retry", ids, config_path, database)
    click.echo(f"{changed} job(s) queued again")


@jobs.command("discard")
@config_option
@database_option
@click.argument("ids", nargs=-1, type=int)
def jobs_discard(config_path: Path | None, database: str | None, ids: tuple[int, ...]) -> None:
    """Give up on queued or dead jobs IDS (they stay listed, as dead)."""
    changed = _operator_change("discard", ids, config_path, database)
    click.echo(f"{changed} job(s) discarded")


@click.command("explain")
@config_option
@database_option
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def explain(config_path: Path | None, database: str | None, ref: str, as_json: bool) -> None:
    """Show the decisions about REF and why, with the jobs each one caused.

    REF is 'event:ID', 'decision:ID', 'TYPE:ID' (e.g. 'conversation:c-42'), or a
    bare id matched against subjects and event dedupe keys.
    """
    from handoff.runtime.explain import explain_ref, render_text  # noqa: PLC0415

    store = open_store_for(config_path, database)
    with store.sessions() as session:
        report = explain_ref(session, ref)
    if as_json:
        click.echo(json.dumps(report, indent=2, default=str))
        return
    if not report["events"] and not report["decisions"]:
        raise HandoffError(f"nothing is recorded about '{ref}'")
    click.echo(render_text(report))


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
    import uvicorn  # noqa: PLC0415

    from handoff.server import create_app  # noqa: PLC0415

    config = load_config(config_path)
    settings = worker_settings_for(config, worker)
    log_to_stderr()
    store = open_store_for(config_path, database, wait=True)
    clock = SystemClock()
    hub = Hub(config, clock=clock) if config.enabled() else None
    flows = FlowSet(Services(config, store, clock, lambda: hub))
    app = create_app(
        store,
        config=config,
        hub=hub,
        clock=clock,
        with_worker=with_worker,
        worker_settings=settings,
        events=flows.event_handler(),
        handlers=flows.job_runners(),
        periodic=flows.periodic(),
    )
    try:
        uvicorn.run(app, host=host, port=port, log_level="info", access_log=False)
    finally:
        if hub is not None:
            asyncio.run(hub.aclose())


RUNTIME_COMMANDS: list[click.Command] = [db, worker, jobs, explain, serve]
"""Commands the `handoff` group adds; the runtime appends its own."""

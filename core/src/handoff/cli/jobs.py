"""`handoff jobs`: list, retry and discard the outbox's jobs."""

from __future__ import annotations

import json
from pathlib import Path

import click

from handoff.cli.options import config_option, database_option, json_option, open_store_for
from handoff.errors import HandoffError

__all__ = ["jobs"]


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
    type=click.Choice(["queued", "running", "done", "dead", "failing"]),
    help="Only jobs in this state (repeatable); failing: queued again after an error.",
)
@click.option("--limit", default=50, show_default=True, help="How many, newest first.")
@json_option
def jobs_list(
    config_path: Path | None,
    database: str | None,
    states: tuple[str, ...],
    limit: int,
    as_json: bool,
) -> None:
    """Show jobs, newest first, with their state, attempts and last error."""
    from handoff.runtime import job_counts, list_jobs

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
    from handoff.runtime import operator_change
    from handoff_sdk import SystemClock

    if not ids:
        raise HandoffError(f"give the ids of the jobs to {action}")
    store = open_store_for(config_path, database)
    with store.transaction() as session:
        return operator_change(session, action, ids, actor="cli", now=SystemClock().now())


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

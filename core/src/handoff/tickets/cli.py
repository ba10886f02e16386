"""`handoff tickets`: the follow-up queue (Z6) and why a ticket was passed (Z1-Z5).

Imports of the store happen inside each command, so `handoff --help` stays fast.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click

from handoff.cli.options import json_option, open_store_for, store_options
from handoff.config import load_config
from handoff.errors import HandoffError

__all__ = ["tickets"]


def _require_flow(config_path: Path | None) -> None:
    from handoff.tickets.flow import TICKETS  # noqa: PLC0415 - pydantic, only when run

    if TICKETS.settings_of(load_config(config_path)).tickets is None:
        raise HandoffError("no [tickets] table in handoff.toml: the tickets flow is off")


@click.group("tickets")
def tickets() -> None:
    """Support tickets passed to sales (Z1-Z6): the follow-up queue, and why.

    The flow passes a sales request to its rep with a macro, ticks
    "Escalated to Sales" and notes why (Z2, Z4); each day it reviews the
    escalated tickets and pings Slack about the unanswered ones (Z6).
    """


@tickets.command("review")
@store_options
@click.option("--all", "include_all", is_flag=True, help="Also tickets that dropped out.")
@json_option
def review(
    config_path: Path | None, database: str | None, include_all: bool, as_json: bool
) -> None:
    """The follow-up queue, like a personal view of "Escalated to Sales" = checked (Z6).

    One line per escalated ticket the hub follows: its kind, rep, how long
    ago it was escalated, the Slack pings so far and what the last review
    did. Answered, solved and unticked tickets drop out (--all shows them).
    """
    from handoff.tickets.queue import queue  # noqa: PLC0415

    _require_flow(config_path)
    store = open_store_for(config_path, database)
    now = datetime.now(UTC)
    with store.sessions() as session:
        rows = [row.as_json(now) for row in queue(session, include_dropped=include_all)]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("No escalated ticket is waiting for sales.")
        return
    click.echo(f"{'ticket':>8}  {'kind':<12} {'age':>7}  {'pings':>5}  {'last':<9} rep / subject")
    for row in rows:
        age = f"{row['age_hours']:.0f}h" if row["age_hours"] is not None else "-"
        click.echo(
            f"{row['ticket_id']:>8}  {row['kind'] or '-'!s:<12} {age:>7}  {row['pings']:>5}  "
            f"{row['last_action']:<9} {row['rep'] or 'unassigned'}: {row['subject']}"
        )
    click.echo(f"{len(rows)} ticket(s)")


@tickets.command("explain")
@store_options
@click.argument("ticket_id")
@json_option
def explain(config_path: Path | None, database: str | None, ticket_id: str, as_json: bool) -> None:
    """Why ticket TICKET_ID was passed (or not) and each follow-up, with their jobs.

    Every decision names the rules that matched (Z1-Z6), those that did not
    and why, and what would have changed the outcome.
    """
    from handoff.runtime.explain import explain_ref, render_text  # noqa: PLC0415
    from handoff.tickets.kinds import DECISION_KINDS, SUBJECT  # noqa: PLC0415

    if not ticket_id.isdigit():
        raise HandoffError(f"ticket id {ticket_id!r}: expected the help desk's number, e.g. 5001")
    store = open_store_for(config_path, database)
    with store.sessions() as session:
        report = explain_ref(session, f"{SUBJECT}:{ticket_id}")
    report["decisions"] = [d for d in report["decisions"] if d["kind"] in DECISION_KINDS]
    report["events"] = []
    if as_json:
        click.echo(json.dumps(report, indent=2, default=str))
        return
    if not report["decisions"]:
        raise HandoffError(f"nothing is decided about ticket {ticket_id}")
    click.echo(render_text(report))

"""`handoff explain`: the decisions about one thing, and why; or a round robin's ledger."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click

from handoff.cli.events import moment
from handoff.cli.options import config_option, database_option, json_option, open_store_for
from handoff.errors import HandoffError

__all__ = ["explain"]


@click.command("explain")
@config_option
@database_option
@click.argument("ref")
@click.argument("pool", required=False)
@click.option(
    "--since", default="7d", show_default=True, help="rotation: start (ISO 8601, or 24h, 7d ago)."
)
@click.option("--until", default=None, help="rotation: end, exclusive. Default: now.")
@json_option
def explain(  # noqa: PLR0917 - click passes each option
    config_path: Path | None,
    database: str | None,
    ref: str,
    pool: str | None,
    since: str,
    until: str | None,
    as_json: bool,
) -> None:
    """Show the decisions about REF and why, with the jobs each one caused.

    REF is 'event:ID', 'decision:ID', 'TYPE:ID' (e.g. 'conversation:c-42'), or a
    bare id matched against subjects and event dedupe keys.

    `handoff explain rotation POOL` is the round robin's fairness ledger over
    --since/--until: each member's weight, share and turns taken, the skips
    and why, and who is next and why.
    """
    if ref == "rotation" or ref.startswith("rotation:"):
        _rotation(config_path, database, pool or ref.partition(":")[2], since, until, as_json)
        return
    if pool is not None:
        raise HandoffError(f"explain takes one REF; got '{ref}' and '{pool}'")
    from handoff.runtime.explain import explain_ref, render_text

    store = open_store_for(config_path, database)
    with store.sessions() as session:
        report = explain_ref(session, ref)
    if as_json:
        click.echo(json.dumps(report, indent=2, default=str))
        return
    if not report["events"] and not report["decisions"]:
        raise HandoffError(f"nothing is recorded about '{ref}'")
    click.echo(render_text(report))


def _rotation(  # noqa: PLR0917 - the command's options, passed on
    config_path: Path | None,
    database: str | None,
    pool: str,
    since: str,
    until: str | None,
    as_json: bool,
) -> None:
    """The fairness ledger of POOL's round robin."""
    from handoff.rules.ledger import rotation_ledger

    if not pool:
        raise HandoffError("explain rotation POOL: name the pool (a team, e.g. 'sdr-emea')")
    now = datetime.now(UTC)
    start = moment(since, now, "--since")
    end = moment(until, now, "--until") or now
    assert start is not None
    store = open_store_for(config_path, database)
    with store.sessions() as session:
        ledger = rotation_ledger(session, pool, since=start, until=end)
    if ledger is None:
        raise HandoffError(f"round robin '{pool}' never turned (no turn of rr:{pool} is recorded)")
    if as_json:
        click.echo(json.dumps(ledger.to_json(), indent=2, default=str))
        return
    click.echo("\n".join(ledger.lines()))

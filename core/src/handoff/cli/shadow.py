"""`handoff shadow report`: where the `[shadow]` candidate decided otherwise than the live hub."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click

from handoff.cli.events import moment
from handoff.cli.options import json_option, open_store_for, store_options

__all__ = ["shadow"]


@click.group("shadow")
def shadow() -> None:
    """The candidate `[shadow]` names, decided beside the live configuration: where it differs."""


@shadow.command("report")
@store_options
@click.option("--since", required=True, help="Start: ISO 8601 date/time, or 24h, 7d, 2w ago.")
@click.option("--until", default=None, help="End, exclusive (same forms). Default: now.")
@json_option
def shadow_report_command(
    config_path: Path | None,
    database: str | None,
    since: str,
    until: str | None,
    as_json: bool,
) -> None:
    """Where the shadow decided otherwise than the live hub: per flow, with the load.

    The shadow (`[shadow] config = "candidate.toml"` in handoff.toml) decides
    every event the workers decide, on the same context, in a database of
    its own, and never acts: its jobs are captured, the live cursors and
    counts never move. This pairs each live decision with the shadow's.
    """
    from handoff.config import load_config
    from handoff.replay.shadow import shadow_report

    now = datetime.now(UTC)
    start = moment(since, now, "--since")
    assert start is not None
    end = moment(until, now, "--until")
    config = load_config(config_path, required=config_path is not None)
    store = open_store_for(config_path, database)
    report = shadow_report(config, store, since=start, until=end)
    if as_json:
        click.echo(json.dumps(report.to_json(), indent=2, default=str))
        return
    click.echo("\n".join(report.text_lines()))

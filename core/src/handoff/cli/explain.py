"""`handoff explain`: the decisions about one thing, and why."""

from __future__ import annotations

import json
from pathlib import Path

import click

from handoff.cli.options import config_option, database_option, json_option, open_store_for
from handoff.errors import HandoffError

__all__ = ["explain"]


@click.command("explain")
@config_option
@database_option
@click.argument("ref")
@json_option
def explain(config_path: Path | None, database: str | None, ref: str, as_json: bool) -> None:
    """Show the decisions about REF and why, with the jobs each one caused.

    REF is 'event:ID', 'decision:ID', 'TYPE:ID' (e.g. 'conversation:c-42'), or a
    bare id matched against subjects and event dedupe keys.
    """
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

"""`handoff replay`: exported events decided again through the whole hub, and a candidate."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import click

from handoff.cli.options import config_option, json_option

__all__ = ["replay_command"]


@click.command("replay")
@click.argument("events_file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option(
    "--candidate",
    "candidate_path",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=None,
    help="A TOML file of flow tables ([routing], [tickets], ...) to compare with the live ones.",
)
@config_option
@json_option
def replay_command(
    events_file: Path, candidate_path: Path | None, config_path: Path | None, as_json: bool
) -> None:
    """Decide exported events again through the whole hub; with a candidate, what changes.

    EVENTS_FILE is what `handoff events export` writes.
    Every enabled flow decides each event on the context it was decided on,
    on a simulated clock that fires the timers as the events' times pass.
    Jobs are captured, never run; no connector is called and the live store
    is not touched. Without --candidate: every decision. With it: what
    would change, per flow, and the load per rep, pool and team before and
    after. The live configuration is --config's.
    """
    from handoff.cli.progress import bar
    from handoff.config import load_candidate, load_config
    from handoff.replay.compare import replay
    from handoff.replay.format import read_lines

    live = load_config(config_path, required=config_path is not None)
    candidate = load_candidate(live, candidate_path) if candidate_path else None
    lines = list(read_lines(events_file))
    with bar(f"replaying {events_file.name}", len(lines)) as advance:
        report = asyncio.run(replay(lines, live, candidate, progress=advance))
    if as_json:
        click.echo(json.dumps(report.to_json(), indent=2, default=str))
        return
    click.echo("\n".join(report.text_lines()))

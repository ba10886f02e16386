"""`handoff events export`: the stored events of a period, with what each was decided on."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from handoff.cli.options import store_options
from handoff.errors import HandoffError

__all__ = ["events", "moment"]


def moment(text: str | None, now: datetime, name: str) -> datetime | None:
    """`--since`/`--until` as given (ISO 8601 or '24h' ago); None when not given."""
    from handoff.moments import parse_moment

    if text is None:
        return None
    try:
        return parse_moment(text, now, name)
    except ValueError as exc:
        raise HandoffError(str(exc)) from None


@click.group("events")
def events() -> None:
    """The stored events: export a period of them for `handoff replay`."""


@events.command("export")
@store_options
@click.option("--since", required=True, help="Start: ISO 8601 date/time, or 24h, 7d, 2w ago.")
@click.option("--until", default=None, help="End, exclusive (same forms). Default: now.")
@click.option(
    "--source",
    "sources",
    multiple=True,
    help="Only events from this source ('hub', 'zendesk', ...); repeat for several.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write to this file instead of the standard output.",
)
def events_export(  # noqa: PLR0917 - click passes each option
    config_path: Path | None,
    database: str | None,
    since: str,
    until: str | None,
    sources: tuple[str, ...],
    output: Path | None,
) -> None:
    """Write the events received in a period, with the context each was decided on.

    The output is the events file `handoff replay` reads (JSON Lines,
    version 1, docs/replay.md): a header, one line per event in the order
    the hub decided them, and a last line that moves the clock to the end.
    """
    from handoff.cli.options import open_store_for
    from handoff.cli.progress import bar
    from handoff.replay.export import count_events, export_lines

    now = datetime.now(UTC)
    start = moment(since, now, "--since")
    end = moment(until, now, "--until")
    store = open_store_for(config_path, database)
    handle = output.open("w", encoding="utf-8") if output else sys.stdout
    try:
        with store.sessions() as session:
            total = count_events(session, since=start, until=end, sources=sources)
            lines = export_lines(session, now=now, since=start, until=end, sources=sources)
            with bar("exporting events", total) as advance:
                for line in lines:
                    handle.write(json.dumps(line, separators=(",", ":"), default=str) + "\n")
                    if line["kind"] == "event":
                        advance(1)
    finally:
        if output:
            handle.close()
    if output:
        click.echo(f"{total} events written to {output}", err=True)

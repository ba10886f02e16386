"""The routing commands (`handoff route`, `handoff replay`), added to the CLI.

Imports of the routing engine happen inside each command, so `handoff --help` stays fast.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from handoff.cli.options import config_option
from handoff.config import load_config
from handoff.errors import HandoffError

if TYPE_CHECKING:
    from handoff.chat.routing.config import RoutingConfig

__all__ = ["replay_command", "route_command"]


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise HandoffError(f"{path}: cannot be read: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise HandoffError(f"{path}: not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise HandoffError(f"{path}: expected a JSON object")
    return data


def _when(value: Any, where: str) -> datetime:
    if value is None:
        return datetime.now(UTC)
    try:
        when = datetime.fromisoformat(str(value))
    except ValueError:
        raise HandoffError(f"{where}: not an ISO 8601 time: {value!r}") from None
    if when.tzinfo is None:
        raise HandoffError(f"{where}: the time needs a time zone, e.g. 2026-01-05T12:00:00Z")
    return when


def _current_routing(config_path: Path | None) -> RoutingConfig:
    """The `[routing]` of handoff.toml; no table routes nobody (every chat unrouted)."""
    from handoff.chat.flow import CHAT  # noqa: PLC0415
    from handoff.chat.routing.config import RoutingConfig  # noqa: PLC0415

    config = load_config(config_path, required=config_path is not None)
    return CHAT.settings_of(config).routing or RoutingConfig()


@click.command("route")
@click.argument("visitor", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@config_option
@click.option("--explain", is_flag=True, help="Print every rule, skip and the counterfactual.")
@click.option("--json", "as_json", is_flag=True, help="Print the decision as JSON.")
def route_command(config_path: Path | None, visitor: Path, explain: bool, as_json: bool) -> None:
    """Route one visitor (VISITOR.json, see docs/routing.md) with the configured rules.

    Nothing is written and no connector is called: availability comes from the
    file's `availability` object, round robins start at their first member.
    """
    from handoff.chat.routing.availability import AvailabilitySnapshot  # noqa: PLC0415
    from handoff.chat.routing.engine import route  # noqa: PLC0415
    from handoff.rules import MemoryRotation  # noqa: PLC0415

    try:
        config = _current_routing(config_path)
        data = _read_json(visitor)
        now = _when(data.get("now"), f"{visitor}: now")
        try:
            snapshot = AvailabilitySnapshot.from_json(data.get("availability") or {}, now)
        except ValueError as exc:
            raise HandoffError(f"{visitor}: availability: {exc}") from None
        context = {k: v for k, v in data.items() if k not in ("now", "availability")}
        decision = route(context, config, snapshot, MemoryRotation())
    except (HandoffError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps(decision.to_json(), indent=2, default=str))
        return
    lines = decision.lines()
    click.echo("\n".join(lines if explain else lines[:1]))


@click.command("replay")
@click.argument("events", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option(
    "--rules",
    "rules_path",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    required=True,
    help="The candidate rules: a TOML file with a [routing] table (or its keys at the top).",
)
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def replay_command(events: Path, rules_path: Path, config_path: Path | None, as_json: bool) -> None:
    """Replay recorded chat requests (EVENTS.jsonl) through the current and candidate rules.

    Each line is one `handoff route` input with its own `now` (a frozen clock).
    Nothing is written and no connector is called. Reports the visitors who
    would go elsewhere and the load per rep and per pool before and after.
    """
    import tomllib  # noqa: PLC0415

    from handoff.chat.routing.config import load_routing  # noqa: PLC0415
    from handoff.chat.routing.replay import read_events, replay  # noqa: PLC0415

    try:
        current = _current_routing(config_path)
        try:
            raw = tomllib.loads(rules_path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise HandoffError(f"{rules_path}: not valid TOML: {exc}") from None
        table = raw.get("routing", raw)
        if not isinstance(table, dict):
            raise HandoffError(f"{rules_path}: routing: expected a table")
        candidate = load_routing(table, rules_path)
        report = replay(read_events(events), current, candidate)
    except (HandoffError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps(report.to_json(), indent=2, default=str))
        return
    click.echo("\n".join(report.lines()))

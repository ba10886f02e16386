"""The routing command (`handoff route`), added to the CLI.

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

__all__ = ["route_command"]


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

"""The conversation commands (`handoff experiences`, `handoff metrics`, `handoff misroutes`).

Imports of the store happen inside each command, so `handoff --help` stays fast.
"""

from __future__ import annotations

import getpass
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from handoff.cli.options import json_option, open_store_for, store_options
from handoff.config import load_config
from handoff.errors import HandoffError

if TYPE_CHECKING:
    pass

__all__ = ["experiences", "metrics", "misroutes"]


def _now() -> datetime:
    return datetime.now(UTC)


@click.group("experiences")
def experiences() -> None:
    """The chat experiences (Q8, Q9): list them, roll the AI ones back, restore them."""


@experiences.command("list")
@store_options
@json_option
def experiences_list(config_path: Path | None, database: str | None, as_json: bool) -> None:
    """Each configured experience: language, mode, twin and whether it is live now."""
    from handoff.chat.experiences import experience_states  # noqa: PLC0415
    from handoff.chat.flow import CHAT  # noqa: PLC0415

    catalog = CHAT.settings_of(load_config(config_path)).catalog()
    store = open_store_for(config_path, database)
    with store.sessions() as session:
        states = experience_states(session, catalog)
    rows: list[dict[str, Any]] = [
        {
            "id": e.id,
            "name": e.name,
            "language": e.language,
            "mode": e.mode.value,
            "ai": e.is_ai,
            "twin": e.twin,
            "enabled": states[e.id],
            "ai_takeover_seconds": e.ai_takeover_seconds,
        }
        for e in catalog.experiences.values()
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("No experiences configured ([[experiences]] in handoff.toml).")
        return
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        mark = "on " if r["enabled"] else "off"
        twin = f"  twin {r['twin']}" if r["twin"] else ""
        click.echo(f"{mark}  {r['name']:<{width}}  {r['id']}  {r['language']}  {r['mode']}{twin}")


def _switch_command(name: str, restore: bool) -> click.Command:
    @click.command(name)
    @store_options
    @click.option("--actor", default=None, help="Who is switching (audited). Default: $USER.")
    def command(config_path: Path | None, database: str | None, actor: str | None) -> None:
        from handoff.chat.experiences import restore_ai, rollback_ai  # noqa: PLC0415
        from handoff.chat.flow import CHAT  # noqa: PLC0415

        catalog = CHAT.settings_of(load_config(config_path)).catalog()
        if not catalog.ai():
            raise HandoffError(
                f"no AI experience is configured (a name ending '- AI'): nothing to {name}"
            )
        who = actor or getpass.getuser()
        store = open_store_for(config_path, database)
        with store.transaction() as session:
            switch = restore_ai if restore else rollback_ai
            changes = switch(session, catalog, actor=who, now=_now())
        for change in changes:
            click.echo(f"{change.name}: {'on' if change.enabled else 'off'}")
        click.echo(
            f"{len(changes)} experience(s) switched by {who}"
            if changes
            else "Nothing to switch: already in that state."
        )

    command.help = (
        "Q8: every AI experience back on and its traditional twin off (audited, idempotent)."
        if restore
        else "Q8: every AI experience off and its traditional twin on, in one audited "
        "transaction (idempotent)."
    )
    return command


experiences.add_command(_switch_command("rollback-ai", restore=False))
experiences.add_command(_switch_command("restore-ai", restore=True))


@click.group("metrics")
def metrics() -> None:
    """Performance metrics computed from the stored events (Q15)."""


@metrics.command("reps")
@store_options
@json_option
@click.option("--since", required=True, help="Start: ISO 8601 date/time, or 24h, 7d, 2w.")
@click.option("--until", default=None, help="End (exclusive): ISO 8601 or relative. Default: now.")
@click.option("--timezone", default="UTC", show_default=True, help="IANA zone of the hours.")
def metrics_reps(  # noqa: PLR0917 - click passes each option
    config_path: Path | None,
    database: str | None,
    as_json: bool,
    since: str,
    until: str | None,
    timezone: str,
) -> None:
    """Performance per rep: pounces, waits with and without a conversation, online time (Q15).

    Online time is given in total and per hour of the day in --timezone.
    """
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError  # noqa: PLC0415

    from handoff.chat.conversations import parse_moment, rep_metrics  # noqa: PLC0415

    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise HandoffError(f"--timezone: unknown IANA time zone '{timezone}'") from None
    now = _now()
    try:
        start = parse_moment(since, now, "--since")
        end = parse_moment(until, now, "--until") if until else now
    except ValueError as exc:
        raise HandoffError(str(exc)) from None
    end = min(end, now)  # nothing is known after now
    if end <= start:
        raise HandoffError("--until must be after --since")
    store = open_store_for(config_path, database)
    with store.sessions() as session:
        found = rep_metrics(session, start, end, timezone=timezone)
    rows = [m.to_json() for m in found]
    if as_json:
        report = {"since": start.isoformat(), "until": end.isoformat(), "timezone": timezone}
        click.echo(json.dumps({**report, "reps": rows}, indent=2))
        return
    click.echo(f"Rep metrics from {start.isoformat()} to {end.isoformat()} ({timezone})")
    if not rows:
        click.echo("No rep activity in that period.")
        return
    for r in rows:
        hours = [h for h, sec in r["available_by_hour"].items() if sec > 0]
        click.echo(
            f"{r['rep_id']}\n"
            f"  pounce: {r['sessions_routed_for_pouncing']} session(s) routed, "
            f"{r['pounces']} pounce(s), {r['successful_pounce_conversations']} successful\n"
            f"  waited: {r['waited_sessions']} session(s), {r['waited_with_conversation']} "
            f"with a conversation, {r['waited_without_conversation']} without\n"
            f"  meetings booked: {r['meetings_booked']}\n"
            f"  available: {r['available_seconds'] / 3600:.2f} h"
            + (f" (hours {', '.join(hours)})" if hours else "")
        )


@click.group("misroutes")
def misroutes() -> None:
    """Conversations reps flagged as misrouted (Q19), for ops to review."""


@misroutes.command("list")
@store_options
@json_option
def misroutes_list(config_path: Path | None, database: str | None, as_json: bool) -> None:
    """Each flag, with the flagged decision's outcome and explanation."""
    from handoff.chat.conversations import list_misroutes  # noqa: PLC0415

    store = open_store_for(config_path, database)
    with store.sessions() as session:
        flags = list_misroutes(session)
    if as_json:
        click.echo(json.dumps(flags, indent=2, default=str))
        return
    if not flags:
        click.echo("No misrouted conversations flagged.")
        return
    for flag in flags:
        decision = flag["decision"]
        click.echo(
            f"flag {flag['flag_id']}  by {flag['rep']} at {flag['flagged_at']}: {flag['reason']}"
        )
        if decision.get("missing"):
            click.echo(f"  decision {decision['id']} no longer exists")
            continue
        rules = ", ".join(decision["rule_ids"]) or "no rule id"
        click.echo(f"  decision {decision['id']}  {decision['kind']} about {decision['subject']}")
        click.echo(f"  rules    {rules}")
        click.echo(f"  outcome  {json.dumps(decision['outcome'], sort_keys=True, default=str)}")
        for key, value in decision["explanation"].items():
            text = value if isinstance(value, str) else json.dumps(value, default=str)
            click.echo(f"  because  {key}: {text}")

"""`handoff leads ...`: look at a lead, move its status, and see why (D1-D8, Q16).

Every command works on the database directly (as `handoff explain` does),
so it needs no running server. A refused change is `error: ...` on stderr
and exit status 1, naming what is allowed instead; nothing changes.
Imports of the store happen inside each command, so `handoff --help` stays
fast.
"""

from __future__ import annotations

import getpass
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from handoff.cli.options import json_option, open_store_for, store_options
from handoff.config import load_config
from handoff.errors import HandoffError

if TYPE_CHECKING:
    from handoff.leads.settings import LeadsConfig

__all__ = ["leads"]


def _now() -> datetime:
    return datetime.now(UTC)


def _config(config_path: Path | None) -> LeadsConfig:
    """The `[leads]` table; an error when the flow is off."""
    from handoff.leads.flow import LEADS  # noqa: PLC0415

    found = LEADS.settings_of(load_config(config_path)).leads
    if found is None:
        raise HandoffError("the leads flow is off: add a [leads] table to handoff.toml")
    return found


def _actor(given: str | None) -> str:
    return given or f"cli:{getpass.getuser()}"


@click.group("leads")
def leads() -> None:
    """The lead lifecycle (D1-D8): show a lead, move its status, record Soft-BANT, claim it.

    A lead is named by its email. Every change is stored with who made it and
    why, and decided by the same rules as the API's.
    """


def _show_text(lead: dict[str, Any]) -> None:
    owner = lead["owner"]
    click.echo(f"{lead['email']}  status {lead['status'] or '(subscriber only)'}")
    who = owner["name"] or owner["rep"] or owner["id"] or "nobody"
    click.echo(f"  owner    {who}" + (f" (team {lead['team']})" if lead["team"] else ""))
    if lead["claim"]:
        click.echo(f"  claim    offered to team {lead['claim']['team']}, not claimed yet")
    click.echo(
        f"  score    {lead['score']}" + (f", MQL {lead['mql_at']}" if lead["mql_at"] else "")
    )
    if lead["bant"]:
        click.echo(f"  BANT     {json.dumps(lead['bant'], sort_keys=True)}")
    if lead["opt_out"] or lead["opt_out_until"]:
        until = f" until {lead['opt_out_until']}" if lead["opt_out_until"] else ""
        click.echo(f"  opt-out  yes{until}")
    for t in lead["history"]:
        came = t["from"] or "(new)"
        click.echo(f"  {t['at']}  {came} -> {t['to']}  by {t['actor']}: {t['reason']}")


@leads.command("show")
@click.argument("email")
@store_options
@json_option
def show(email: str, config_path: Path | None, database: str | None, as_json: bool) -> None:
    """A lead: status, owner, score and its breakdown, Soft-BANT, and its history."""
    from handoff.leads.records import get_lead, lead_json, transitions_of  # noqa: PLC0415

    store = open_store_for(config_path, database)
    with store.sessions() as session:
        row = get_lead(session, email, lock=False)
        if row is None:
            raise HandoffError(f"no lead {email.strip().lower()}")
        lead = lead_json(row, transitions_of(session, email))
    if as_json:
        click.echo(json.dumps(lead, indent=2))
    else:
        _show_text(lead)


@leads.command("transition")
@click.argument("email")
@click.argument("status")
@click.option("--reason", required=True, help="Why: kept in the lead's history.")
@click.option("--actor", default=None, help="Who moves it (default: cli:<your user name>).")
@store_options
def transition(  # noqa: PLR0917 - click passes each option
    email: str,
    status: str,
    reason: str,
    actor: str | None,
    config_path: Path | None,
    database: str | None,
) -> None:
    """Move a lead to STATUS. Refused, naming the allowed next statuses, outside the machine.

    Example: handoff leads transition kim@acme.example "Attempt 1" --reason "called"
    """
    from handoff.leads.transitions import (  # noqa: PLC0415
        decide_transition,
        store_and_decide,
        transition_event,
    )

    config = _config(config_path)
    store = open_store_for(config_path, database)
    now = _now()
    event = transition_event(
        email, status, reason=reason, actor=_actor(actor), key=uuid.uuid4().hex, source="cli"
    )
    with store.transaction() as session:
        store_and_decide(
            session,
            event,
            lambda record: decide_transition(session, config.status, record, now=now, strict=True),
            now=now,
        )
    click.echo(f"{email.strip().lower()} is now {status}")


@leads.command("explain")
@click.argument("email")
@store_options
@json_option
def explain(email: str, config_path: Path | None, database: str | None, as_json: bool) -> None:
    """Every event and decision about a lead, with why (the lead's `handoff explain`)."""
    from handoff.runtime.explain import explain_ref, render_text  # noqa: PLC0415

    store = open_store_for(config_path, database)
    with store.sessions() as session:
        report = explain_ref(session, f"lead:{email.strip().lower()}")
    if as_json:
        click.echo(json.dumps(report, indent=2, default=str))
    elif not report["events"] and not report["decisions"]:
        raise HandoffError(f"nothing is known about lead {email.strip().lower()}")
    else:
        click.echo(render_text(report))

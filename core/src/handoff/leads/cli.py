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
    breakdown = lead["score_breakdown"] or {}
    for kind, part in sorted((breakdown.get("behaviour") or {}).items()):
        click.echo(f"           {kind}: {part['points']:g} ({part['events']} events)")
    for match in (breakdown.get("demographic") or {}).get("matched") or []:
        click.echo(f"           {match['rule']}: {match['points']:+g}")
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


def _request(  # noqa: PLR0917 - one request, its parts
    config_path: Path | None,
    database: str | None,
    event_type: str,
    email: str,
    payload: dict[str, Any],
    decide_name: str,
) -> dict[str, Any]:
    """Store a request event about a lead and decide it now, as the API does."""
    from handoff.leads import handler  # noqa: PLC0415
    from handoff.leads.records import get_lead, lead_json, lead_key, transitions_of  # noqa: PLC0415
    from handoff.leads.transitions import store_and_decide  # noqa: PLC0415
    from handoff_sdk.entities import Event  # noqa: PLC0415

    config = _config(config_path)
    store = open_store_for(config_path, database)
    now = _now()
    lead = lead_key(email)
    event = Event(
        type=event_type,
        source="cli",
        dedupe_key=f"{decide_name}:{uuid.uuid4().hex}",
        payload={"lead": lead, **payload, "subject": {"type": "lead", "id": lead}},
    )
    decide = getattr(handler, decide_name)
    with store.transaction() as session:
        store_and_decide(
            session,
            event,
            lambda record: decide(session, config, record, now=now, strict=True),
            now=now,
        )
    with store.sessions() as session:
        row = get_lead(session, lead, lock=False)
        assert row is not None
        return lead_json(row, transitions_of(session, lead))


@leads.command("bant")
@click.argument("email")
@click.option("--budget/--no-budget", default=None, help="Budget met (or not).")
@click.option("--authority/--no-authority", default=None, help="Authority met (or not).")
@click.option("--need/--no-need", default=None, help="Need met (or not).")
@click.option("--timeline/--no-timeline", default=None, help="Timeline met (or not).")
@click.option("--actor", default=None, help="Who records it (default: cli:<your user name>).")
@store_options
@json_option
def bant(  # noqa: PLR0917 - click passes each option
    email: str,
    budget: bool | None,
    authority: bool | None,
    need: bool | None,
    timeline: bool | None,
    actor: str | None,
    config_path: Path | None,
    database: str | None,
    as_json: bool,
) -> None:
    """Record Soft-BANT for a lead (D3): 2 of 4 met -> Qualified and passed to sales.

    An answer left out keeps what was recorded before.
    Example: handoff leads bant kim@acme.example --budget --need
    """
    answers = {
        k: v
        for k, v in {
            "budget": budget,
            "authority": authority,
            "need": need,
            "timeline": timeline,
        }.items()
        if v is not None
    }
    if not answers:
        raise click.UsageError("give at least one of --budget, --authority, --need, --timeline")
    from handoff.leads.kinds import LEAD_BANT  # noqa: PLC0415

    lead = _request(
        config_path,
        database,
        LEAD_BANT,
        email,
        {"answers": answers, "actor": _actor(actor)},
        "decide_bant",
    )
    if as_json:
        click.echo(json.dumps(lead, indent=2))
    else:
        met = ", ".join(lead["bant"].get("met") or []) or "none"
        click.echo(f"{lead['email']} is now {lead['status']} (Soft-BANT met: {met})")


@leads.command("claim")
@click.argument("email")
@click.option("--rep", required=True, help="The rep claiming it ([[leads.assignment.reps]] id).")
@store_options
@json_option
def claim(
    email: str, rep: str, config_path: Path | None, database: str | None, as_json: bool
) -> None:
    """Claim a lead offered to your team (D2, first notice first route): the first claim wins.

    Example: handoff leads claim kenji@example.jp --rep aki
    """
    from handoff.leads.kinds import LEAD_CLAIM  # noqa: PLC0415

    lead = _request(config_path, database, LEAD_CLAIM, email, {"rep": rep}, "decide_claim")
    if as_json:
        click.echo(json.dumps(lead, indent=2))
    else:
        click.echo(f"{lead['email']} is now {rep}'s ({lead['status']})")

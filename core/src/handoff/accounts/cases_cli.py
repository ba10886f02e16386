"""`handoff cases`: open a case by hand (P6), list the latest cases and hand-offs (P4-P6)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import click

from handoff.cli.options import json_option, open_store_for, store_options
from handoff.config import load_config
from handoff.errors import HandoffError

__all__ = ["cases"]


def _require(config_path: Path | None) -> None:
    from handoff.accounts.flow import ACCOUNTS  # noqa: PLC0415

    if ACCOUNTS.settings_of(load_config(config_path)).cases is None:
        raise HandoffError("no [cases] table in handoff.toml: cases are off")


@click.group("cases")
def cases() -> None:
    """Cases for the Pooled AE team (P4-P6).

    Signals open cases by themselves ([[cases.signals]]: Contact Us form,
    NPS/CSAT and post-churn surveys, PQL hand raises, Fast Moving Buyer);
    self-service ops open one by hand for any other hand raise.
    """


@cases.command("create")
@store_options
@click.option("--email", default=None, help="The customer's email.")
@click.option("--account", "account_id", default=None, help="The CRM account's id.")
@click.option("--subject", "subject_line", required=True, help="The case's subject.")
@click.option("--description", default=None, help="What the customer asked for.")
@click.option("--source", default="Manual", show_default=True, help="How they raised their hand.")
@click.option("--by", "requested_by", required=True, help="Who opens it.")
@click.option("--id", "request_id", default=None, help="Your id for it (the same id opens once).")
@json_option
def create(  # noqa: PLR0917 - click passes each option
    config_path: Path | None,
    database: str | None,
    email: str | None,
    account_id: str | None,
    subject_line: str,
    description: str | None,
    source: str,
    requested_by: str,
    request_id: str | None,
    as_json: bool,
) -> None:
    """Open a case for a pooled customer's hand raise by hand (P6).

    Stored like POST /v1/cases; the worker finds the account and opens the
    case in the CRM for the Pooled AE team.
    """
    from pydantic import ValidationError  # noqa: PLC0415

    from handoff.accounts.intake import CaseRequest  # noqa: PLC0415
    from handoff.accounts.kinds import CASE_REQUEST  # noqa: PLC0415
    from handoff.runtime import record_events  # noqa: PLC0415
    from handoff_sdk import SystemClock  # noqa: PLC0415
    from handoff_sdk.entities import Event  # noqa: PLC0415

    _require(config_path)
    try:
        body = CaseRequest(
            id=request_id or f"cli-{uuid.uuid4().hex}",
            email=email,
            account_id=account_id,
            subject_line=subject_line,
            description=description,
            source=source,
            requested_by=requested_by,
        )
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'request'}: {e['msg']}" for e in exc.errors()
        )
        raise HandoffError(problems) from None
    store = open_store_for(config_path, database)
    now = SystemClock().now()
    event = Event(
        type=CASE_REQUEST,
        source="hub",
        dedupe_key=f"{CASE_REQUEST}:{body.id}",
        occurred_at=now,
        payload=body.to_payload(),
    )
    with store.transaction() as session:
        [stored] = record_events(session, [event], now=now)
    if as_json:
        answer = {"id": body.id, "event_id": stored.id, "duplicate": not stored.created}
        click.echo(json.dumps(answer, indent=2))
        return
    state = "already received" if not stored.created else "stored"
    click.echo(f"case request {body.id} {state} (event {stored.id}); the worker opens the case")


@cases.command("list")
@store_options
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 1000))
@json_option
def list_cases(config_path: Path | None, database: str | None, limit: int, as_json: bool) -> None:
    """The latest cases and hand-offs, newest first, with their source and why (P4-P6)."""
    from handoff.accounts.queries import case_rows  # noqa: PLC0415

    _require(config_path)
    store = open_store_for(config_path, database)
    with store.sessions() as session:
        rows = case_rows(session, limit)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("No case yet.")
        return
    for r in rows:
        click.echo(
            f"{r['decided_at'][:16]}  {r['action']:<5} {r['source'] or '-':<28} "
            f"{r['subject'] or '; '.join(r['why'] or [])}  [{', '.join(r['rule_ids'])}]"
        )

"""`handoff accounts`: the pooled accounts' commands (P1-P3, Q14).

Re-rank the pool, see a tier and why, set or clear an override, read
the rank history and the signals (P1-P3, Q14).

Heavy imports happen inside each command, so `handoff --help` stays fast.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from handoff.cli.options import json_option, open_store_for, store_options
from handoff.config import load_config
from handoff.errors import HandoffError

if TYPE_CHECKING:
    from handoff.accounts.config import AccountsConfig
    from handoff.config import HubConfig

__all__ = ["accounts"]


def _settings(config_path: Path | None) -> tuple[HubConfig, AccountsConfig]:
    from handoff.accounts.flow import ACCOUNTS  # noqa: PLC0415 - pydantic, only when run

    config = load_config(config_path)
    found = ACCOUNTS.settings_of(config).accounts
    if found is None:
        raise HandoffError("no [accounts] table in handoff.toml: pooled accounts are off")
    return config, found


def _echo_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, default=str))


@click.group("accounts")
def accounts() -> None:
    """Pooled SMB accounts (P1-P3, Q14): tiers, the weekly re-rank, overrides, history.

    The pool (P1) and the tier table (P2) are the [accounts] table of
    handoff.toml. The worker re-ranks the pool on `[accounts.rerank]
    schedule`; `handoff accounts rerank` runs it now.
    """


@accounts.command("rerank")
@store_options
@click.option("--dry-run", is_flag=True, help="Rank and show the moves; store and write nothing.")
@json_option
def rerank(config_path: Path | None, database: str | None, dry_run: bool, as_json: bool) -> None:
    """Re-rank every pooled account now (P3), with a progress bar and the moves between tiers.

    Reads the pool from the CRM a page at a time, ranks each account on the
    tier table, records every change in the rank history and writes the
    changed tiers back in batches (200 per call). An AE's override holds;
    the run records what the auto rank would have been. Runs the worker
    here until the queue is empty (as `handoff worker --until-idle`).
    """
    config, settings = _settings(config_path)
    store = open_store_for(config_path, database)
    result = asyncio.run(_rerank(config, settings, store, dry_run, as_json))
    if as_json:
        _echo_json(result)
        return
    moves: dict[str, int] = result["moves"]
    verb = "would move" if dry_run else "moved"
    click.echo(
        f"{result['accounts']} pooled account(s) ranked; {sum(moves.values())} {verb}"
        + ("" if dry_run else f", {result['writes']} written to {settings.crm}")
    )
    for move, count in moves.items():
        click.echo(f"  {move}: {count}")
    if result.get("held"):
        click.echo(f"  {result['held']} held by an AE's override")


async def _rerank(
    config: HubConfig, settings: AccountsConfig, store: Any, dry_run: bool, quiet: bool
) -> dict[str, Any]:
    from handoff.accounts.runners import read_pool, run_id  # noqa: PLC0415
    from handoff.cli.progress import bar, step  # noqa: PLC0415
    from handoff.flow import Services  # noqa: PLC0415
    from handoff.flows import FlowSet  # noqa: PLC0415
    from handoff.hub import Hub  # noqa: PLC0415
    from handoff.runtime import Worker  # noqa: PLC0415
    from handoff_sdk import SystemClock  # noqa: PLC0415

    clock = SystemClock()
    bars = contextlib.ExitStack()
    advance: Callable[[int], None] | None = None
    shown = 0

    def progress(read: int, total: int | None) -> None:
        nonlocal advance, shown
        if quiet:
            return
        if advance is None:
            advance = bars.enter_context(bar("reading the pool", max(total or read, 1)))
        advance(read - shown)
        shown = read

    async with Hub(config, clock=clock) as hub:
        with bars:
            if dry_run:
                return await _preview(hub, settings, store, clock.now(), progress)
            flows = FlowSet(Services(config, store, clock, lambda: hub))
            worker = Worker(
                store,
                hub=hub,
                clock=clock,
                events=flows.event_handler(),
                handlers=flows.job_runners(),
            )
            # What is queued first (an AE's rank set through the hub), so the run reads it.
            await worker.run(until_idle=True)
            run = f"{run_id(clock.now())}-cli-{uuid.uuid4().hex[:6]}"
            found = await read_pool(
                hub, store, settings, run=run, now=clock.now(), progress=progress
            )
        with contextlib.nullcontext() if quiet else step("ranking and writing back"):
            await worker.run(until_idle=True)
        return await asyncio.to_thread(_summary, store, found.run, found.accounts)


async def _preview(
    hub: Any, settings: AccountsConfig, store: Any, now: Any, progress: Any
) -> dict[str, Any]:
    from handoff.accounts.pool import pool_query  # noqa: PLC0415
    from handoff.accounts.rank_handler import state_of  # noqa: PLC0415
    from handoff.accounts.rerank import plan_rank  # noqa: PLC0415
    from handoff.accounts.runners import pool_owner  # noqa: PLC0415
    from handoff.accounts.store import AccountRankRow  # noqa: PLC0415

    owner = await pool_owner(hub, settings)
    where = pool_query(settings.pool, owner)
    cursor: str | None = None
    moves: Counter[str] = Counter()
    read = held = 0
    while True:
        page = await hub.list_accounts(settings.crm, where, [], cursor)
        with store.sessions() as session:
            for account in page.accounts:
                account_id = account.id_in(settings.crm) or ""
                state = state_of(session.get(AccountRankRow, account_id))
                plan = plan_rank(account, account_id, state, settings, now)
                if plan.write_tier:
                    moves[f"{plan.crm_tier or 'none'} -> {plan.write_tier}"] += 1
                if plan.override is not None:
                    held += 1
        read += len(page.accounts)
        progress(read, page.total)
        cursor = page.cursor
        if not cursor:
            break
    return {"dry_run": True, "accounts": read, "moves": dict(sorted(moves.items())), "held": held}


def _summary(store: Any, run: str, accounts_read: int) -> dict[str, Any]:
    from sqlalchemy import select  # noqa: PLC0415

    from handoff.accounts.kinds import RANK_DECISION  # noqa: PLC0415
    from handoff.accounts.queries import run_moves  # noqa: PLC0415
    from handoff.store import Decision  # noqa: PLC0415

    with store.sessions() as session:
        moves = run_moves(session, run)
        done = session.scalar(
            select(Decision).where(
                Decision.kind == RANK_DECISION,
                Decision.subject_type == "rerank",
                Decision.subject_id == run,
            )
        )
    writes = int(done.outcome.get("writes", 0)) if done else 0
    return {"run": run, "accounts": accounts_read, "moves": moves, "writes": writes}


@accounts.command("show")
@store_options
@click.argument("account_id")
@json_option
def show(config_path: Path | None, database: str | None, account_id: str, as_json: bool) -> None:
    """An account's tier, its auto rank, an override, and why, criterion by criterion (P2)."""
    from handoff.accounts.queries import rank_of  # noqa: PLC0415

    _settings(config_path)
    store = open_store_for(config_path, database)
    with store.sessions() as session:
        found = rank_of(session, account_id)
    if found is None:
        raise HandoffError(
            f"account {account_id} has not been ranked (run `handoff accounts rerank`)"
        )
    if as_json:
        _echo_json(found)
        return
    click.echo(f"{found['name'] or account_id}: {found['tier']} (auto rank {found['auto_tier']})")
    if found["override"]:
        o = found["override"]
        click.echo(
            f"  override {o['tier']} by {o['by']} at {o['at']}: {o['why']} (holds until cleared)"
        )
    for line in (found["explanation"] or {}).get("summary", []):
        click.echo(f"  {line}")
    for row in (found["explanation"] or {}).get("rows", []):
        for check in row["criteria"]:
            click.echo(f"    {row['row']}: {'met' if check['met'] else 'not met'}: {check['why']}")


@accounts.command("history")
@store_options
@click.argument("account_id")
@json_option
def history(config_path: Path | None, database: str | None, account_id: str, as_json: bool) -> None:
    """Every rank change of an account (P3): when, auto or who, from, to, why."""
    from handoff.accounts.queries import history_rows  # noqa: PLC0415

    _settings(config_path)
    store = open_store_for(config_path, database)
    with store.sessions() as session:
        rows = history_rows(session, account_id)
    if as_json:
        _echo_json(rows)
        return
    if not rows:
        click.echo(f"No rank change is recorded for {account_id}.")
        return
    for r in rows:
        click.echo(
            f"{r['at']}  {r['kind']:<7} {r['actor']:<20} "
            f"{r['from'] or 'none'} -> {r['to'] or 'none'}  {r['why']}"
        )


def _override(config_path: Path | None, database: str | None, payload: dict[str, Any]) -> int:
    from handoff.accounts.overrides import override_event  # noqa: PLC0415
    from handoff.runtime import record_events  # noqa: PLC0415
    from handoff_sdk import SystemClock  # noqa: PLC0415

    store = open_store_for(config_path, database)
    now = SystemClock().now()
    event = override_event(
        payload["account_id"],
        payload["tier"],
        by=payload["by"],
        why=payload["why"],
        request_id=f"cli:{uuid.uuid4().hex}",
        now=now,
    )
    with store.transaction() as session:
        [stored] = record_events(session, [event], now=now)
    return stored.id


@accounts.command("set-rank")
@store_options
@click.argument("account_id")
@click.argument("tier")
@click.option("--by", required=True, help="The AE making the change (kept in the history).")
@click.option("--why", default=None, help="Why (kept in the history).")
@json_option
def set_rank(  # noqa: PLR0917 - click passes each option
    config_path: Path | None,
    database: str | None,
    account_id: str,
    tier: str,
    by: str,
    why: str | None,
    as_json: bool,
) -> None:
    """Set an account's rank by hand (P3); it holds until `clear-override`.

    The worker records it in the history and writes it (and the history
    line) to the CRM.
    """
    _config, settings = _settings(config_path)
    if tier not in settings.tier_names():
        raise HandoffError(f"tier {tier!r}: expected one of {settings.tier_names()}")
    event_id = _override(
        config_path, database, {"account_id": account_id, "tier": tier, "by": by, "why": why}
    )
    if as_json:
        _echo_json({"account_id": account_id, "tier": tier, "by": by, "event_id": event_id})
        return
    click.echo(f"{account_id}: {tier} set by {by} (event {event_id}; the worker writes it)")


@accounts.command("clear-override")
@store_options
@click.argument("account_id")
@click.option("--by", required=True, help="The AE clearing it (kept in the history).")
@click.option("--why", default=None, help="Why (kept in the history).")
@json_option
def clear_override(  # noqa: PLR0917 - click passes each option
    config_path: Path | None,
    database: str | None,
    account_id: str,
    by: str,
    why: str | None,
    as_json: bool,
) -> None:
    """Clear an AE's override (P3): the auto rank applies again."""
    _settings(config_path)
    event_id = _override(
        config_path, database, {"account_id": account_id, "tier": None, "by": by, "why": why}
    )
    if as_json:
        _echo_json({"account_id": account_id, "tier": None, "by": by, "event_id": event_id})
        return
    click.echo(f"{account_id}: override cleared by {by} (event {event_id})")


@accounts.command("tiers")
@store_options
@json_option
def tiers(config_path: Path | None, database: str | None, as_json: bool) -> None:
    """How many pooled accounts hold each tier now (P2)."""
    from handoff.accounts.queries import tier_counts  # noqa: PLC0415

    _settings(config_path)
    store = open_store_for(config_path, database)
    with store.sessions() as session:
        counts = tier_counts(session)
    if as_json:
        _echo_json(counts)
        return
    for tier, count in sorted(counts.items()):
        click.echo(f"{tier:<12} {count}")


@accounts.command("signals")
@store_options
@click.argument("account_id")
@json_option
def signals(config_path: Path | None, database: str | None, account_id: str, as_json: bool) -> None:
    """An account's engagement and intent readings over time, newest first (Q14)."""
    from handoff.accounts.queries import signal_rows  # noqa: PLC0415

    _settings(config_path)
    store = open_store_for(config_path, database)
    with store.sessions() as session:
        rows = signal_rows(session, account_id)
    if as_json:
        _echo_json(rows)
        return
    for r in rows:
        click.echo(f"{r['at']}  {r['name']:<20} {r['value']!s:<12} {r['source']}")

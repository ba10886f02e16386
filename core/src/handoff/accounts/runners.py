"""The accounts flow's jobs: the weekly re-rank's read of the pool (P3).

`read_pool` pages through the pooled accounts (the pool's criteria as the
CRM's query, SOQL paged by the connector) and stores each page as a
RERANK_PAGE event, then a RERANK_DONE event: the worker decides them in
order like any other event (`rank_handler`), so the run can be explained
and decided again. The `accounts.rerank` periodic job and `handoff accounts
rerank` both call it.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from handoff.accounts.config import AccountsConfig
from handoff.accounts.kinds import RERANK_DONE, RERANK_PAGE
from handoff.accounts.pool import pool_query
from handoff.errors import HandoffError
from handoff.runtime import ClaimedJob, JobFailedError, record_events
from handoff.runtime.worker import JobRunner
from handoff.store import Store
from handoff_sdk import Clock
from handoff_sdk.entities import Account, Event

if TYPE_CHECKING:
    from handoff.hub import Hub

__all__ = ["PoolRead", "pool_owner", "read_pool", "rerank_runner", "run_id"]

Progress = Callable[[int, int | None], None]
"""Told (accounts read so far, accounts in all when the CRM says) after each page."""


@dataclass(frozen=True)
class PoolRead:
    """What one read of the pool stored."""

    run: str
    pages: int
    accounts: int


def run_id(now: datetime) -> str:
    """A run's name: when it started (UTC), e.g. '20261207T050000'."""
    return now.strftime("%Y%m%dT%H%M%S")


def _subject(run: str) -> dict[str, str]:
    return {"type": "rerank", "id": run}


async def pool_owner(hub: Hub, settings: AccountsConfig) -> str:
    """The Pooled Sales User's CRM id (P1); a HandoffError naming the email when not found."""
    owner = await hub.find_user(settings.crm, settings.pool.owner_email)
    owner_id = owner.id_in(settings.crm) if owner else None
    if not owner_id:
        raise HandoffError(
            f"accounts.pool.owner_email: no active {settings.crm} user has the email "
            f"{settings.pool.owner_email!r}"
        )
    return owner_id


def compact(account: Account) -> dict[str, Any]:
    """An account as a page event holds it: what the rank reads, nothing empty."""
    return account.model_dump(mode="json", exclude_none=True, exclude_defaults=True)


async def read_pool(
    hub: Hub,
    store: Store,
    settings: AccountsConfig,
    *,
    run: str,
    now: datetime,
    progress: Progress | None = None,
) -> PoolRead:
    """Store the pooled accounts as RERANK_PAGE events, then RERANK_DONE (P1, P3)."""
    owner_id = await pool_owner(hub, settings)
    where = pool_query(settings.pool, owner_id)
    fields = [settings.history_field] if settings.history_field else []
    page_no = read = 0
    # One page read ahead: the next page comes over the network while this one is stored
    # (which waits while the worker decides the page before: one writer at a time).
    ahead = asyncio.ensure_future(hub.list_accounts(settings.crm, where, fields, None))
    while True:
        try:
            page = await ahead
        except BaseException:
            ahead.cancel()
            raise
        if page.cursor:
            ahead = asyncio.ensure_future(
                hub.list_accounts(settings.crm, where, fields, page.cursor)
            )
        event = Event(
            type=RERANK_PAGE,
            source="hub",
            dedupe_key=f"{RERANK_PAGE}:{run}:{page_no}",
            occurred_at=now,
            payload={
                "run": run,
                "page": page_no,
                "owner_id": owner_id,
                "accounts": [compact(a) for a in page.accounts],
                "subject": _subject(run),
            },
        )
        try:
            await asyncio.to_thread(_store, store, event, now)
        except BaseException:
            if page.cursor:
                ahead.cancel()
            raise
        page_no += 1
        read += len(page.accounts)
        if progress is not None:
            progress(read, page.total)
        if not page.cursor:
            break
    done = Event(
        type=RERANK_DONE,
        source="hub",
        dedupe_key=f"{RERANK_DONE}:{run}",
        occurred_at=now,
        payload={"run": run, "pages": page_no, "accounts": read, "subject": _subject(run)},
    )
    await asyncio.to_thread(_store, store, done, now)
    return PoolRead(run, page_no, read)


def _store(store: Store, event: Event, now: datetime) -> None:
    with store.transaction() as session:
        record_events(session, [event], now=now)


_SAFE = re.compile(r"[^A-Za-z0-9_.:-]+")


def rerank_runner(
    store: Store, clock: Clock, hub: Callable[[], Hub | None], settings: AccountsConfig
) -> JobRunner:
    """Run the weekly re-rank's read (P3): the pages become events the worker decides."""

    async def run(job: ClaimedJob) -> dict[str, Any] | None:
        connectors = hub()
        if connectors is None or settings.crm not in connectors.implementing(
            "handoff_list_accounts"
        ):
            raise JobFailedError(
                f"job {job.id}: connector '{settings.crm}' is not enabled or cannot list accounts",
                permanent=True,
            )
        now = clock.now()
        name = f"{run_id(now)}-{_SAFE.sub('_', job.idempotency_key)[-40:]}"
        try:
            found = await read_pool(connectors, store, settings, run=name, now=now)
        except HandoffError as exc:
            raise JobFailedError(f"job {job.id}: {exc}", permanent=True) from None
        return {"run": found.run, "pages": found.pages, "accounts": found.accounts}

    return run

"""Account engagement and intent over time (Q14).

A time series per account in the store,
and its daily write to the CRM's Account fields (the "Account 360"), in batches.

- A SIGNAL event (POST /v1/account-signals: page views, 6sense intent and
  buying stage, content engagement, Marketo activity) is one row of
  `account_signals`.
- The `accounts.signals` periodic job sums each counted signal over the last
  `window_days` and takes the latest value of the others (a text, such as a
  buying stage, is always the latest), per account, and writes them to the
  fields `[accounts.account_360] fields` names: hook jobs of `write_batch`
  accounts each, 200 per CRM call.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from handoff.accounts.config import AccountsConfig
from handoff.accounts.kinds import SIGNAL
from handoff.accounts.store import SignalRow
from handoff.runtime import ClaimedJob, EventHandler, JobSpec, enqueue
from handoff.runtime.worker import JobRunner
from handoff.store import EventRecord, Store
from handoff_sdk import Clock
from handoff_sdk.entities import AccountUpdate

if TYPE_CHECKING:
    from handoff.hub import Hub

__all__ = ["SignalsHandler", "account_360", "signals_runner"]

LATEST = frozenset({"intent_score", "buying_stage", "profile_fit"})
"""Signals whose latest reading is the value (a score, a stage); the others are counted."""


class SignalsHandler(EventHandler):
    """Keeps each account's signals as a time series (Q14)."""

    def decide(
        self, session: Session, event: EventRecord, context: dict[str, Any], now: datetime
    ) -> None:
        """One row per reading."""
        if event.type != SIGNAL:
            return
        payload = event.payload
        value = payload.get("value")
        number = float(value) if isinstance(value, int | float) else None
        session.execute(
            insert(SignalRow),
            [
                {
                    "account_id": str(payload["account_id"]),
                    "name": str(payload["name"]),
                    "at": event.occurred_at or now,
                    "number": number,
                    "text": None if number is not None else str(value)[:200],
                    "source": str(payload.get("source") or "api"),
                    "event_id": event.id,
                }
            ],
        )


def account_360(
    session: Session, settings: AccountsConfig, now: datetime
) -> dict[str, dict[str, Any]]:
    """Each account's Account 360 values (Q14).

    Counted signals summed over the window, the
    others at their latest reading (Q14).
    """
    cfg = settings.account_360
    if cfg is None or not cfg.fields:
        return {}
    since = now - timedelta(days=cfg.window_days)
    found: dict[str, dict[str, Any]] = {}
    rows = session.execute(
        select(SignalRow.account_id, SignalRow.name, SignalRow.number, SignalRow.text)
        .where(SignalRow.name.in_(list(cfg.fields)))
        .where(SignalRow.at <= now)
        .order_by(SignalRow.account_id, SignalRow.at, SignalRow.id)
    )
    for account_id, name, number, text in rows:
        values = found.setdefault(account_id, {})
        if text is not None or name in LATEST:
            values[name] = text if text is not None else number
        else:
            values.setdefault(name, 0.0)
    recent = session.execute(
        select(SignalRow.account_id, SignalRow.name, SignalRow.number)
        .where(SignalRow.name.in_([n for n in cfg.fields if n not in LATEST]))
        .where(SignalRow.at > since, SignalRow.at <= now, SignalRow.number.is_not(None))
    )
    for account_id, name, number in recent:
        values = found.setdefault(account_id, {})
        if not isinstance(values.get(name), str):
            values[name] = float(values.get(name) or 0.0) + float(number or 0.0)
    return found


def signals_runner(
    store: Store, clock: Clock, hub: Callable[[], Hub | None], settings: AccountsConfig
) -> JobRunner:
    """Run the daily Account 360 write: the accounts' values as batched hook jobs (Q14)."""

    async def run(job: ClaimedJob) -> dict[str, Any] | None:
        cfg = settings.account_360
        if cfg is None:
            return {"accounts": 0}
        now = clock.now()

        def write() -> dict[str, Any]:
            with store.transaction() as session:
                values = account_360(session, settings, now)
                updates = [
                    AccountUpdate(
                        account_id=account_id,
                        fields={cfg.fields[name]: value for name, value in sorted(found.items())},
                    )
                    for account_id, found in sorted(values.items())
                ]
                size = settings.rerank.write_batch
                day = now.strftime("%Y-%m-%d")
                jobs = [
                    JobSpec.call(
                        settings.crm,
                        "handoff_update_accounts",
                        f"accounts:signals:{day}:{start // size}",
                        updates=updates[start : start + size],
                    )
                    for start in range(0, len(updates), size)
                ]
                new = enqueue(session, jobs, now=now)
            return {"accounts": len(updates), "jobs": len(jobs), "new_jobs": new}

        return await asyncio.to_thread(write)

    return run

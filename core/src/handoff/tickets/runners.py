"""The tickets flow's periodic jobs: the daily review tick (Z6) and the help-desk poll.

- `tickets.review` writes one REVIEW_EVENT per tick (deduplicated on the
  tick's job key, so a tick fired twice reviews once); the handler then reads
  the escalated tickets and decides on each, like any other event.
- `tickets.poll` (when `[tickets] poll` is set) asks the help desk for tickets
  changed since the stored cursor, stores them as events and moves the cursor
  in the same transaction: a crash between the two re-reads, never skips.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from handoff.runtime import ClaimedJob, JobFailedError, record_events
from handoff.runtime.worker import JobRunner
from handoff.store import Cursor, Store, dialect_insert
from handoff.tickets.kinds import REVIEW_EVENT
from handoff_sdk import Clock
from handoff_sdk.entities import Event, PollResult

if TYPE_CHECKING:
    from handoff.hub import Hub

__all__ = ["poll_cursor_name", "poll_runner", "review_runner"]


def review_runner(store: Store, clock: Clock) -> JobRunner:
    """Run a review tick: store the day's REVIEW_EVENT (the worker then decides it)."""

    async def run(job: ClaimedJob) -> dict[str, Any] | None:
        now = clock.now()
        event = Event(
            type=REVIEW_EVENT,
            source="hub",
            dedupe_key=f"{REVIEW_EVENT}:{job.idempotency_key}",
            occurred_at=now,
            payload={"tick": job.idempotency_key},
        )

        def write() -> int:
            with store.transaction() as session:
                [stored] = record_events(session, [event], now=now)
            return stored.id

        return {"event_id": await asyncio.to_thread(write)}

    return run


def poll_cursor_name(connector: str) -> str:
    """The row of the `cursors` table holding where the poll of `connector` goes on."""
    return f"tickets.poll:{connector}"


def _save_poll(store: Store, name: str, result: PollResult, now: datetime) -> int:
    with store.transaction() as session:
        stored = record_events(session, result.events, now=now)
        statement = (
            dialect_insert(session, Cursor.__table__)
            .values(name=name, position=0, value=result.cursor, updated_at=now)
            .on_conflict_do_update(
                index_elements=["name"], set_={"value": result.cursor, "updated_at": now}
            )
        )
        session.execute(statement)
    return sum(1 for s in stored if s.created)


def _load_cursor(store: Store, name: str) -> str | None:
    with store.sessions() as session:
        return session.scalar(select(Cursor.value).where(Cursor.name == name))


def poll_runner(
    store: Store, clock: Clock, hub: Callable[[], Hub | None], connector: str
) -> JobRunner:
    """Run a poll: the help desk's changes since the cursor become events (Z2-Z6 intake)."""

    async def run(job: ClaimedJob) -> dict[str, Any] | None:
        connectors = hub()
        if connectors is None or connector not in connectors.implementing("handoff_poll_events"):
            raise JobFailedError(
                f"job {job.id}: connector '{connector}' is not enabled or cannot be polled",
                permanent=True,
            )
        name = poll_cursor_name(connector)
        cursor = await asyncio.to_thread(_load_cursor, store, name)
        result = await connectors.poll_events(connector, cursor)
        new = await asyncio.to_thread(_save_poll, store, name, result, clock.now())
        return {"events": len(result.events), "new": new, "cursor": result.cursor}

    return run

"""Durable intake with group commit: many requests, one transaction, then every 2xx.

Each request hands its events to one writer task and waits. The writer takes
everything waiting (up to `max_batch`), stores it in ONE transaction (events
plus the jobs that will process them), commits, and only then wakes the
requests, which answer 2xx. With SQLite's single writer and a synchronous
commit this turns one disk flush per event into one per batch; nothing is
acknowledged before it is on disk.

When the database is unavailable (down, full, read-only), every request of
the batch fails with `StoreUnavailableError` (the API answers 503 and the
sender retries); nothing was acknowledged, so nothing is lost. The log names
the error without the events' contents.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.exc import SQLAlchemyError

from handoff.runtime.events import StoredEvent, record_events
from handoff.store import Store, StoreUnavailableError, describe_store_error, is_unavailable
from handoff_sdk import Clock
from handoff_sdk.entities import Event

__all__ = ["Intake"]

log = logging.getLogger("handoff.intake")


@dataclass
class _Pending:
    events: Sequence[Event]
    done: asyncio.Future[list[StoredEvent]] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class Intake:
    """The one writer of received events; `submit` returns once they are committed."""

    def __init__(self, store: Store, clock: Clock, *, max_batch: int = 512) -> None:
        self.store = store
        self.clock = clock
        self.max_batch = max_batch
        self.batches = 0
        self._queue: asyncio.Queue[_Pending] | None = None
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def submit(self, events: Sequence[Event]) -> list[StoredEvent]:
        """Store events durably (once per source + dedupe key); one result per event."""
        loop = asyncio.get_running_loop()
        if self._queue is None or self._task is None or self._task.done() or self._loop is not loop:
            self._loop = loop
            self._queue = asyncio.Queue()
            self._task = asyncio.create_task(self._run(self._queue), name="handoff-intake")
        pending = _Pending(events)
        await self._queue.put(pending)
        return await pending.done

    async def aclose(self) -> None:
        """Stop the writer (after what it holds is written)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self, queue: asyncio.Queue[_Pending]) -> None:
        while True:
            batch = [await queue.get()]
            while len(batch) < self.max_batch and not queue.empty():
                batch.append(queue.get_nowait())
            await self._write(batch)

    async def _write(self, batch: list[_Pending]) -> None:
        try:
            results = await asyncio.to_thread(self._store_all, batch)
        except Exception as exc:
            if is_unavailable(exc):
                self._unavailable(batch, exc)
                return
            # One bad request must not fail its neighbours: write them one by one.
            for pending in batch:
                await self._write_one(pending)
            return
        for pending, result in zip(batch, results, strict=True):
            if not pending.done.done():
                pending.done.set_result(result)

    async def _write_one(self, pending: _Pending) -> None:
        try:
            [result] = await asyncio.to_thread(self._store_all, [pending])
        except Exception as exc:
            if is_unavailable(exc):
                self._unavailable([pending], exc)
                return
            log.error(
                "could not store %d event(s): %s",
                len(pending.events),
                describe_store_error(exc),
                exc_info=not isinstance(exc, SQLAlchemyError),  # a driver's text may quote rows
            )
            if not pending.done.done():
                pending.done.set_exception(exc)
            return
        if not pending.done.done():
            pending.done.set_result(result)

    def _unavailable(self, batch: list[_Pending], exc: Exception) -> None:
        problem = describe_store_error(exc)
        self.store.health.failed(exc, now=self.clock.now())
        log.error(
            "could not store %d request(s), answered 503: the database is unavailable (%s)",
            len(batch),
            problem,
        )
        for pending in batch:
            if not pending.done.done():
                pending.done.set_exception(StoreUnavailableError(problem))

    def _store_all(self, batch: list[_Pending]) -> list[list[StoredEvent]]:
        flat = [event for pending in batch for event in pending.events]
        with self.store.transaction() as session:
            stored = record_events(session, flat, now=self.clock.now())
        self.store.health.succeeded()
        self.batches += 1
        results: list[list[StoredEvent]] = []
        start = 0
        for pending in batch:
            results.append(stored[start : start + len(pending.events)])
            start += len(pending.events)
        return results

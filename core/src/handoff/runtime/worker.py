"""The worker: fires due timers, claims due jobs under a lease, runs them, records the outcome.

One loop per process; `concurrency` jobs in flight at once. Every database
call runs in a thread so the event loop (shared with the HTTP server under
`handoff serve --with-worker`) never blocks on the database. Time comes from
the injected Clock: a test advances a FakeClock instead of waiting.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from pydantic_core import to_jsonable_python
from sqlalchemy import select

from handoff.errors import HandoffError
from handoff.runtime.events import EVENT_KIND, EventHandler
from handoff.runtime.jobs import (
    HOOK_KIND,
    ClaimedJob,
    claim_jobs,
    complete_job,
    decode_hook_arguments,
    fail_job,
)
from handoff.runtime.timers import fire_due_timers
from handoff.store import EventRecord, Job, JobState, Store
from handoff_sdk import ApiError, Clock, ConfigError, SystemClock

if TYPE_CHECKING:
    from handoff.hub import Hub

__all__ = ["JobFailedError", "Worker", "WorkerStats"]

log = logging.getLogger("handoff.worker")

JobRunner = Callable[[ClaimedJob], Awaitable[dict[str, Any] | None]]
"""A handler for a custom job kind: returns a JSON-able result, raises on failure."""


class JobFailedError(HandoffError):
    """A job handler's failure; `permanent` ones go dead at once instead of being retried."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class _LeaseLostError(Exception):
    """Our lease ran out and another worker took the job; drop our outcome."""


@dataclass
class WorkerStats:
    """What this worker did, for logs, metrics and tests."""

    claimed: int = 0
    done: int = 0
    retried: int = 0
    dead: int = 0
    lease_lost: int = 0
    timers_fired: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"


def _permanent(exc: BaseException) -> bool:
    """Errors retrying cannot fix: a refused request, bad config, bad arguments."""
    if isinstance(exc, JobFailedError):
        return exc.permanent
    if isinstance(exc, ApiError):
        return not exc.retryable
    return isinstance(exc, ConfigError | ValidationError | HandoffError)


class Worker:
    """Runs the outbox: `run()` until stopped, or `run_once()` per tick (what tests call)."""

    def __init__(
        self,
        store: Store,
        *,
        hub: Hub | None = None,
        clock: Clock | None = None,
        concurrency: int = 10,
        lease: timedelta = timedelta(minutes=5),
        poll_interval: float = 1.0,
        events: EventHandler | None = None,
        handlers: dict[str, JobRunner] | None = None,
    ) -> None:
        if concurrency < 1:
            raise HandoffError("worker concurrency must be at least 1")
        self.store = store
        self.hub = hub
        self.clock = clock or SystemClock()
        self.concurrency = concurrency
        self.lease = lease
        self.poll_interval = poll_interval
        self.events = events or EventHandler()
        self.handlers: dict[str, JobRunner] = dict(handlers or {})
        self.stats = WorkerStats()
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        """Finish the jobs in hand, then return from `run()`."""
        self._stopping.set()

    async def run(self, *, until_idle: bool = False) -> WorkerStats:
        """Loop: tick; when there is nothing to do, wait `poll_interval` on the clock.

        `until_idle` returns once no job is queued or running (anywhere), for
        batch runs and benchmarks.
        """
        while not self._stopping.is_set():
            worked = await self.run_once()
            if worked:
                continue
            if until_idle and not await asyncio.to_thread(self._anything_pending):
                break
            await self.clock.sleep(self.poll_interval)
        return self.stats

    def _anything_pending(self) -> bool:
        pending = [JobState.QUEUED.value, JobState.RUNNING.value]
        with self.store.sessions() as session:
            return session.scalar(select(Job.id).where(Job.state.in_(pending)).limit(1)) is not None

    async def run_once(self) -> int:
        """One tick: fire due timers, claim up to `concurrency` due jobs, run them all.

        Returns how many jobs and timers it handled (0: nothing was due).
        """
        now = self.clock.now()
        fired = await asyncio.to_thread(fire_due_timers, self.store, now=now)
        self.stats.timers_fired += fired
        jobs = await asyncio.to_thread(
            claim_jobs, self.store, now=now, lease=self.lease, limit=self.concurrency
        )
        self.stats.claimed += len(jobs)
        if not jobs:
            return fired
        outcomes = await asyncio.gather(*(self._run(job) for job in jobs))
        await asyncio.to_thread(self._record, list(zip(jobs, outcomes, strict=True)))
        return fired + len(jobs)

    async def _run(self, job: ClaimedJob) -> tuple[str, Any]:
        """Run one job; ('done', result) / ('failed', exc) / ('recorded', None) / ('lost', None)."""
        self.stats.by_kind[job.kind] = self.stats.by_kind.get(job.kind, 0) + 1
        try:
            if job.kind == EVENT_KIND:
                await self._process_event(job)
                return "recorded", None
            return "done", await self._execute(job)
        except _LeaseLostError:
            return "lost", None
        except Exception as exc:
            log.warning("job %s (%s) failed: %s", job.id, job.kind, _describe(exc))
            return "failed", exc

    async def _execute(self, job: ClaimedJob) -> dict[str, Any] | None:
        if job.kind == HOOK_KIND:
            if self.hub is None or job.hook is None or job.connector is None:
                raise JobFailedError(
                    f"job {job.id}: a hook job needs a hub, a connector and a hook", permanent=True
                )
            arguments = decode_hook_arguments(job.hook, job.payload)
            value = await self.hub.call(
                job.hook, job.connector, idempotency_key=job.idempotency_key, **arguments
            )
            result: Any = to_jsonable_python(value)
            return result if isinstance(result, dict) else {"value": result}
        runner = self.handlers.get(job.kind)
        if runner is None:
            raise JobFailedError(f"job {job.id}: no handler for kind '{job.kind}'", permanent=True)
        return await runner(job)

    async def _process_event(self, job: ClaimedJob) -> None:
        """Enrich outside any transaction, then decide + mark processed + finish the job at once."""
        event_id = int(job.payload["event_id"])
        event = await asyncio.to_thread(self._load_event, event_id)
        context = await self.events.enrich(self.hub, event)
        await asyncio.to_thread(self._decide, job, event_id, context)

    def _load_event(self, event_id: int) -> EventRecord:
        with self.store.sessions() as session:
            event = session.get(EventRecord, event_id)
        if event is None:
            raise JobFailedError(f"event {event_id} no longer exists", permanent=True)
        return event

    def _decide(self, job: ClaimedJob, event_id: int, context: dict[str, Any]) -> None:
        now = self.clock.now()
        with self.store.transaction() as session:
            event = session.get(EventRecord, event_id)
            if event is None:
                raise JobFailedError(f"event {event_id} no longer exists", permanent=True)
            if event.processed_at is None:
                self.events.decide(session, event, context, now)
                event.processed_at = now
            if not complete_job(session, job, now=now):
                raise _LeaseLostError  # rolls back the decisions with it
        self.stats.done += 1

    def _record(self, outcomes: list[tuple[ClaimedJob, tuple[str, Any]]]) -> None:
        now = self.clock.now()
        with self.store.transaction() as session:
            for job, (status, value) in outcomes:
                if status == "recorded":
                    continue
                if status == "lost":
                    self.stats.lease_lost += 1
                elif status == "done":
                    if complete_job(session, job, now=now, result=value):
                        self.stats.done += 1
                    else:
                        self.stats.lease_lost += 1
                        log.warning("job %s: lease lost before it was recorded done", job.id)
                else:
                    state = fail_job(
                        session, job, _describe(value), now=now, permanent=_permanent(value)
                    )
                    if state is JobState.DEAD:
                        self.stats.dead += 1
                    elif state is JobState.QUEUED:
                        self.stats.retried += 1
                    else:
                        self.stats.lease_lost += 1

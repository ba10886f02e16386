"""The worker: fires due timers, claims due jobs under a lease, runs them, records each outcome.

One loop per process, `concurrency` jobs in flight at once. A slot freed by a
finished job is refilled at the next claim, so one slow job never holds the
others; each job runs under its kind's timeout and its outcome is recorded as
soon as it finishes. Every database call runs in a thread so the event loop
(shared with the HTTP server under `handoff serve --with-worker`) never
blocks on the database.

When the database is unreachable (restarting, full, read-only) the loop does
not exit: it backs off (1 s doubling to 30 s), says so in the log and in
`status` (which /health reports), and resumes by itself. Time comes from the
injected Clock: a test advances a FakeClock instead of waiting.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from pydantic_core import to_jsonable_python
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from handoff.config import WorkerSettings
from handoff.errors import HandoffError
from handoff.runtime.events import (
    EVENT_KIND,
    EventHandler,
    EventObserver,
    decide_event,
    stored_by,
)
from handoff.runtime.jobs import (
    HOOK_KIND,
    ClaimedJob,
    claim_jobs,
    complete_job,
    decode_hook_arguments,
    fail_job,
)
from handoff.runtime.timers import fire_due_timers
from handoff.store import (
    EventRecord,
    Job,
    JobState,
    Store,
    describe_store_error,
    is_unavailable,
)
from handoff_sdk import ApiError, Clock, ConfigError, SystemClock

if TYPE_CHECKING:
    from handoff.hub import Hub

__all__ = [
    "DEFAULT_JOB_TIMEOUT_S",
    "DEFAULT_LEASE",
    "JobFailedError",
    "JobRunner",
    "Worker",
    "WorkerState",
    "WorkerStats",
    "WorkerStatus",
]

log = logging.getLogger("handoff.worker")

JobRunner = Callable[[ClaimedJob], Awaitable[dict[str, Any] | None]]
"""A handler for a custom job kind: returns a JSON-able result, raises on failure."""

DEFAULT_JOB_TIMEOUT_S = 60.0
"""Seconds a job may run before it counts as failed ("timed out") and is retried."""

DEFAULT_LEASE = timedelta(minutes=5)
"""How long a claimed job belongs to its worker; longer than any job's timeout."""

OUTAGE_BACKOFF_S = (1.0, 30.0)
"""First and longest wait between tries while the database is unreachable."""


class JobFailedError(HandoffError):
    """A job handler's failure; `permanent` ones go dead at once instead of being retried."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class _LeaseLostError(Exception):
    """Our lease ran out and another worker took the job; drop our outcome."""


class WorkerState(StrEnum):
    """What the worker loop is doing, for /health and the log."""

    STARTING = "starting"
    RUNNING = "running"
    BACKING_OFF = "backing_off"
    STOPPED = "stopped"


@dataclass(frozen=True)
class WorkerStatus:
    """The loop's state since when, and while backing off: why, and when it tries again."""

    state: WorkerState
    since: datetime
    problem: str | None = None
    retry_at: datetime | None = None


@dataclass
class WorkerStats:
    """What this worker did, for logs, metrics and tests."""

    claimed: int = 0
    done: int = 0
    retried: int = 0
    dead: int = 0
    lease_lost: int = 0
    timed_out: int = 0
    timers_fired: int = 0
    outages: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)


_Outcome = tuple[str, Any]
"""('done', result) / ('failed', exception) / ('recorded', None) / ('lost', None)."""

_Pending = tuple[ClaimedJob, _Outcome, "asyncio.Future[JobState | None]"]
"""An outcome waiting to be written, and the future its job's task awaits."""


def _settle(
    written: asyncio.Future[JobState | None],
    state: JobState | None = None,
    *,
    error: BaseException | None = None,
) -> None:
    if written.done():
        return
    if error is not None:
        written.set_exception(error)
    else:
        written.set_result(state)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, SQLAlchemyError):
        return describe_store_error(exc)  # never the statement's parameters
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
        lease: timedelta = DEFAULT_LEASE,
        poll_interval: float = 1.0,
        events: EventHandler | None = None,
        handlers: dict[str, JobRunner] | None = None,
        job_timeout: float = DEFAULT_JOB_TIMEOUT_S,
        timeouts: Mapping[str, float] | None = None,
        observers: Sequence[EventObserver] = (),
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
        self.job_timeout = job_timeout
        self.timeouts = dict(timeouts or {})
        self.observers = tuple(observers)
        """Told of each event once decided and committed (shadow mode); never acting."""
        for kind, seconds in {"every kind": job_timeout, **self.timeouts}.items():
            if not 0 < seconds < lease.total_seconds():
                raise HandoffError(
                    f"job timeout for {kind} ({seconds:g} s) must be above 0 and shorter than "
                    f"the lease ({lease.total_seconds():g} s): a job still running when its "
                    "lease ends is taken by another worker and runs twice"
                )
        self.stats = WorkerStats()
        self._stopping = asyncio.Event()
        self._in_flight: set[asyncio.Task[None]] = set()
        self._status = WorkerStatus(WorkerState.STARTING, self.clock.now())
        self._failed_tries = 0
        self._timers_checked: float | None = None
        self._outcomes: list[_Pending] = []
        self._recorder: asyncio.Task[None] | None = None

    @classmethod
    def configured(cls, store: Store, settings: WorkerSettings, **parts: Any) -> Worker:
        """A worker with `[worker]`'s knobs (concurrency, lease, poll, timeouts) and `parts`."""
        return cls(
            store,
            concurrency=settings.concurrency,
            lease=timedelta(seconds=settings.lease_seconds),
            poll_interval=settings.poll_seconds,
            job_timeout=settings.job_timeout_seconds,
            timeouts=settings.job_timeouts,
            **parts,
        )

    @property
    def status(self) -> WorkerStatus:
        """Running, backing off from an outage (and why), or stopped: what /health reports."""
        return self._status

    def timeout_for(self, kind: str) -> float:
        """Seconds a job of `kind` may run: its own timeout, else the default."""
        return self.timeouts.get(kind, self.job_timeout)

    def stop(self) -> None:
        """Finish the jobs in hand, then return from `run()`."""
        self._stopping.set()

    async def run(self, *, until_idle: bool = False) -> WorkerStats:
        """Loop until stopped: claim into free slots, wait for a slot or the poll interval.

        A database outage (or any error of the loop itself) never ends the
        loop: it backs off and tries again. `until_idle` returns once no job
        is queued or running (anywhere), for batch runs and benchmarks.
        """
        try:
            while not self._stopping.is_set():
                try:
                    claimed, asked = await self._fill()
                    idle = not claimed and not self._in_flight
                    if idle and until_idle and not await asyncio.to_thread(self._anything_pending):
                        break
                except Exception as exc:  # the loop must outlive any failure; it says so
                    await self._back_off(exc)
                    continue
                self._running()
                # Every slot busy: wait for one to free. Some left empty: nothing more is
                # due now, so wait for a slot or the poll interval, whichever comes first.
                await self._wait(for_slot=claimed == asked)
        finally:
            if self._in_flight:
                await asyncio.gather(*self._in_flight, return_exceptions=True)
            self._status = WorkerStatus(WorkerState.STOPPED, self.clock.now())
        return self.stats

    async def run_once(self) -> int:
        """One tick: fire due timers, claim up to `concurrency` due jobs, run them all.

        Returns how many jobs and timers it handled (0: nothing was due).
        Each job's outcome is recorded as it finishes.
        """
        fired, jobs = await self._claim(self.concurrency, fire_timers=True)
        await asyncio.gather(*(self._run_and_record(job) for job in jobs))
        return fired + len(jobs)

    def _anything_pending(self) -> bool:
        pending = [JobState.QUEUED.value, JobState.RUNNING.value]
        with self.store.sessions() as session:
            return session.scalar(select(Job.id).where(Job.state.in_(pending)).limit(1)) is not None

    async def _claim(self, limit: int, *, fire_timers: bool) -> tuple[int, list[ClaimedJob]]:
        now = self.clock.now()
        fired = 0
        if fire_timers:
            fired = await asyncio.to_thread(fire_due_timers, self.store, now=now)
            self.stats.timers_fired += fired
        jobs = await asyncio.to_thread(
            claim_jobs, self.store, now=now, lease=self.lease, limit=limit
        )
        self.stats.claimed += len(jobs)
        return fired, jobs

    async def _fill(self) -> tuple[int, int]:
        """Claim jobs into the free slots and start them; returns (claimed, slots asked for).

        Timers are checked at most once per poll interval: their precision is
        the poll interval anyway, and a busy worker refills many times a second.
        """
        free = self.concurrency - len(self._in_flight)
        if free <= 0:
            return 0, 0
        mono = self.clock.monotonic()
        timers_due = (
            self._timers_checked is None or mono - self._timers_checked >= self.poll_interval
        )
        _fired, jobs = await self._claim(free, fire_timers=timers_due)
        if timers_due:
            self._timers_checked = mono
        for job in jobs:
            task = asyncio.create_task(self._run_and_record(job), name=f"handoff-job-{job.id}")
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)
        return len(jobs), free

    async def _wait(self, *, for_slot: bool) -> None:
        """Until a job finishes (every slot busy), or the poll interval (nothing more due)."""
        waiters: set[asyncio.Future[Any]] = set(self._in_flight)
        stopping = asyncio.ensure_future(self._stopping.wait())
        waiters.add(stopping)
        sleeper = None
        if not for_slot:
            sleeper = asyncio.ensure_future(self.clock.sleep(self.poll_interval))
            waiters.add(sleeper)
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for helper in (stopping, sleeper):
                if helper is not None and not helper.done():
                    helper.cancel()

    def _running(self) -> None:
        if self._status.state is WorkerState.RUNNING:
            return
        if self._failed_tries:
            log.warning(
                "worker: the database answers again after %d failed tries; resuming",
                self._failed_tries,
            )
        self._failed_tries = 0
        self._status = WorkerStatus(WorkerState.RUNNING, self.clock.now())

    def _outcomes_wait(self, exc: Exception) -> None:
        """Outcomes the database cannot take are the whole worker's outage.

        With every slot held by a job waiting to record its outcome, the loop
        waits for a slot and never reaches the database itself, so it would
        neither log the outage nor leave the running state: say both here,
        once; the loop's next claim that works says it resumed.
        """
        if self._status.state is WorkerState.BACKING_OFF:
            return
        self._failed_tries = max(self._failed_tries, 1)
        now = self.clock.now()
        problem = _describe(exc)
        log.warning(
            "worker: the database is unavailable (%s); finished jobs wait to record "
            "their outcomes, and no job is claimed until it answers",
            problem,
        )
        self._status = WorkerStatus(
            WorkerState.BACKING_OFF,
            now,
            problem=problem,
            retry_at=now + timedelta(seconds=OUTAGE_BACKOFF_S[0]),
        )

    async def _back_off(self, exc: Exception) -> None:
        """Say why, wait (doubling, capped), and let the loop try again."""
        self._failed_tries += 1
        self.stats.outages += 1
        first, longest = OUTAGE_BACKOFF_S
        delay = min(longest, first * 2 ** (self._failed_tries - 1))
        now = self.clock.now()
        problem = _describe(exc)
        if is_unavailable(exc):
            self.store.health.failed(exc, now=now)
            log.warning(
                "worker: the database is unavailable (%s); trying again in %g s (try %d)",
                problem,
                delay,
                self._failed_tries,
            )
        else:
            log.error(
                "worker: its loop failed (%s); trying again in %g s (try %d)",
                problem,
                delay,
                self._failed_tries,
                exc_info=not isinstance(exc, SQLAlchemyError),
            )
        self._status = WorkerStatus(
            WorkerState.BACKING_OFF, now, problem=problem, retry_at=now + timedelta(seconds=delay)
        )
        stopping = asyncio.ensure_future(self._stopping.wait())
        sleeper = asyncio.ensure_future(self.clock.sleep(delay))
        try:
            await asyncio.wait({stopping, sleeper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
            sleeper.cancel()

    async def _run_and_record(self, job: ClaimedJob) -> None:
        outcome = await self._attempt(job)
        await self._record(job, outcome)

    async def _attempt(self, job: ClaimedJob) -> _Outcome:
        """Run one job under its kind's timeout; the outcome, never an exception."""
        self.stats.by_kind[job.kind] = self.stats.by_kind.get(job.kind, 0) + 1
        limit = self.timeout_for(job.kind)
        deadline = asyncio.timeout(limit)
        try:
            async with deadline:
                if job.kind == EVENT_KIND:
                    await self._process_event(job)
                    return "recorded", None
                return "done", await self._execute(job)
        except _LeaseLostError:
            return "lost", None
        except TimeoutError as exc:
            if not deadline.expired():
                log.warning("job %s (%s) failed: %s", job.id, job.kind, _describe(exc))
                return "failed", exc
            self.stats.timed_out += 1
            log.warning("job %s (%s) timed out after %g s", job.id, job.kind, limit)
            return "failed", JobFailedError(f"timed out after {limit:g} s")
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
                job.connector, job.hook, idempotency_key=job.idempotency_key, **arguments
            )
            result: Any = to_jsonable_python(value)
            return result if isinstance(result, dict) else {"value": result}
        runner = self.handlers.get(job.kind)
        if runner is None:
            raise JobFailedError(f"job {job.id}: no handler for kind '{job.kind}'", permanent=True)
        with stored_by(job.kind):
            return await runner(job)

    async def _process_event(self, job: ClaimedJob) -> None:
        """Enrich outside any transaction, then decide + mark processed + finish the job at once."""
        event_id = int(job.payload["event_id"])
        event = await asyncio.to_thread(self._load_event, event_id)
        context = await self.events.enrich(self.hub, event)
        await asyncio.to_thread(self._decide, job, event_id, context)
        self.stats.done += 1
        for observer in self.observers:
            try:
                await observer.observe(event, context, self.clock.now())
            except Exception:  # an observer never fails the live event
                log.exception("event %s: an observer failed", event_id)

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
            decide_event(session, self.events, event, context, now)
            if not complete_job(session, job, now=now):
                raise _LeaseLostError  # rolls back the decisions with it
        self.store.health.succeeded()

    async def _record(self, job: ClaimedJob, outcome: _Outcome) -> None:
        """Write one job's outcome now; through an outage, retry until its lease would end.

        Outcomes that finish together share one transaction (`_drain`), so a
        busy worker pays one commit for many jobs. A job whose outcome cannot
        be written before its lease ends runs again on the next claim (at
        least once; the idempotency key makes the effect happen once).
        """
        status, _value = outcome
        if status == "recorded":
            return
        if status == "lost":
            self.stats.lease_lost += 1
            return
        tries = 0
        while True:
            written: asyncio.Future[JobState | None] = asyncio.get_running_loop().create_future()
            self._outcomes.append((job, outcome, written))
            if self._recorder is None or self._recorder.done():
                self._recorder = asyncio.create_task(self._drain(), name="handoff-recorder")
            try:
                recorded = await written
            except Exception as exc:
                tries += 1
                problem = _describe(exc)
                if not is_unavailable(exc) or self.clock.now() >= job.lease_until:
                    log.error(
                        "job %s: outcome '%s' not recorded (%s); it runs again after its lease",
                        job.id,
                        status,
                        problem,
                    )
                    return
                delay = min(OUTAGE_BACKOFF_S[1], OUTAGE_BACKOFF_S[0] * 2 ** (tries - 1))
                log.warning(
                    "job %s: outcome not recorded yet, the database is unavailable (%s); "
                    "trying again in %g s",
                    job.id,
                    problem,
                    delay,
                )
                await self.clock.sleep(delay)
                continue
            self._count(job, recorded)
            return

    async def _drain(self) -> None:
        """Write every outcome waiting, in one transaction per round; alone when that fails."""
        while self._outcomes:
            batch, self._outcomes = self._outcomes, []
            try:
                states = await asyncio.to_thread(self._write_outcomes, batch)
            except Exception as exc:
                if is_unavailable(exc):
                    self.store.health.failed(exc, now=self.clock.now())
                    self._outcomes_wait(exc)
                    for _job, _outcome, written in batch:
                        _settle(written, error=exc)
                    continue
                for item in batch:  # one bad outcome must not fail the others
                    try:
                        [state] = await asyncio.to_thread(self._write_outcomes, [item])
                    except Exception as alone:
                        _settle(item[2], error=alone)
                    else:
                        _settle(item[2], state)
                continue
            for (_job, _outcome, written), state in zip(batch, states, strict=True):
                _settle(written, state)

    def _write_outcomes(self, batch: list[_Pending]) -> list[JobState | None]:
        """One transaction: each job done, or failed (queued again or dead); None: lease lost."""
        now = self.clock.now()
        states: list[JobState | None] = []
        with self.store.transaction() as session:
            for job, (status, value), _written in batch:
                if status == "done":
                    done = complete_job(session, job, now=now, result=value)
                    states.append(JobState.DONE if done else None)
                else:
                    states.append(
                        fail_job(
                            session, job, _describe(value), now=now, permanent=_permanent(value)
                        )
                    )
        self.store.health.succeeded()
        return states

    def _count(self, job: ClaimedJob, state: JobState | None) -> None:
        if state is JobState.DONE:
            self.stats.done += 1
        elif state is JobState.DEAD:
            self.stats.dead += 1
        elif state is JobState.QUEUED:
            self.stats.retried += 1
        else:
            self.stats.lease_lost += 1
            log.warning("job %s: its lease was lost before the outcome was recorded", job.id)

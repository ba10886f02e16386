"""One whole hub, simulated: a scratch store, every enabled flow, a clock the events move.

`handoff replay` runs two of these (the live configuration and a candidate)
over the same events file; shadow mode keeps one beside the live hub. Each
runs the hub's own machinery, not a copy of it:

- every event is stored (`record_events`) and decided by the flows' handler
  (`FlowSet.event_handler`, through `decide_event`) on the context it was
  decided on live; a part of the context the recorded run lacks is enriched
  without connectors;
- the clock is a `FakeClock` moved to each line's time; timers due on the
  way fire at their due time (`fire_due_timers`), in order;
- jobs of the flows' `internal_jobs` kinds (a timer's event, the AI
  takeover's decision) run on the scratch store; every other job (a
  connector write, a message) is captured: written, never run.

Nothing here calls a connector or touches the live store.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy import event as sa_event

from handoff.errors import HandoffError
from handoff.flow import Flow, Services
from handoff.flows import FlowSet, flow_metadata, install_periodic
from handoff.replay.format import ClockLine, EventLine, Line
from handoff.runtime import EVENT_KIND, ClaimedJob, fire_due_timers, record_events
from handoff.runtime.events import decide_event, stored_by
from handoff.runtime.jobs import complete_job, fail_job
from handoff.store import Decision, EventRecord, Job, JobState, Store, Timer, TimerState
from handoff_sdk import FakeClock
from handoff_sdk.entities import Event

if TYPE_CHECKING:
    from handoff.config import HubConfig
    from handoff.hub import Hub

__all__ = [
    "CAPTURED",
    "RunDecision",
    "RunJob",
    "Simulation",
    "scratch_store",
    "stored_decisions",
]

log = logging.getLogger(__name__)

CAPTURED = "captured"
"""The result of a job a simulation wrote and did not run."""

_LEASE = timedelta(minutes=5)
_BATCH = 100

_NEXT_TIMER = select(func.min(Timer.due_at)).where(
    Timer.state == TimerState.PENDING.value, Timer.due_at <= bindparam("limit")
)
_NEXT_JOB = select(func.min(Job.run_after)).where(
    Job.state == JobState.QUEUED.value, Job.run_after <= bindparam("limit")
)
_DUE_JOBS = (
    select(
        Job.id,
        Job.kind,
        Job.connector,
        Job.hook,
        Job.payload,
        Job.idempotency_key,
        Job.attempts,
        Job.max_attempts,
    )
    .where(Job.state == JobState.QUEUED.value, Job.run_after <= bindparam("now"))
    .order_by(Job.run_after, Job.id)
    .limit(_BATCH)
)
_TAKE_JOBS = (
    update(Job)
    .where(Job.id.in_(bindparam("ids", expanding=True)))
    .values(
        state=JobState.RUNNING.value,
        attempts=Job.attempts + 1,
        lease_token=bindparam("token"),
        lease_until=bindparam("until"),
        updated_at=bindparam("now"),
    )
    .execution_options(synchronize_session=False)
)
"""Prepared once: building a statement costs more than running it on the scratch store."""


def scratch_store(url: str) -> Store:
    """A SQLite store for a simulation, with the hub's schema (no fsync: it is thrown away)."""
    store = Store(url)

    def fast(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.close()

    sa_event.listen(store.engine, "connect", fast)
    flow_metadata().create_all(store.engine)
    return store


@dataclass(frozen=True)
class RunJob:
    """A job a run wrote: captured (never run) or run on the scratch store (internal)."""

    kind: str
    target: str
    idempotency_key: str
    captured: bool
    payload: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """As in `handoff replay --json`."""
        return {
            "kind": self.kind,
            "target": self.target,
            "idempotency_key": self.idempotency_key,
            "captured": self.captured,
        }


@dataclass
class RunDecision:
    """A decision a run took, with where it came from and the jobs it wrote."""

    id: int
    flow: str
    kind: str
    subject: str
    outcome: dict[str, Any]
    rule_ids: list[str]
    explanation: dict[str, Any]
    at: datetime
    event: str | None
    """'SOURCE/DEDUPE_KEY' of the event it decided; None: a job's decision."""
    line: int | None
    """The line of the events file that caused it (None: a timer's)."""
    jobs: list[RunJob] = field(default_factory=list)

    def key(self) -> tuple[str, str, str]:
        """What pairs it with the other run's: kind, subject, and the event it decided."""
        return self.kind, self.subject, self.event or ""

    def to_json(self, *, explanation: bool = False) -> dict[str, Any]:
        """As in `handoff replay --json`."""
        out: dict[str, Any] = {
            "flow": self.flow,
            "kind": self.kind,
            "subject": self.subject,
            "at": self.at.isoformat(),
            "line": self.line,
            "event": self.event,
            "outcome": self.outcome,
            "rule_ids": self.rule_ids,
            "jobs": [job.to_json() for job in self.jobs],
        }
        if explanation:
            out["explanation"] = self.explanation
        return out


class Simulation:
    """One hub under one configuration on its own store: fed lines, it decides as live would."""

    def __init__(
        self,
        config: HubConfig,
        store: Store,
        *,
        start: datetime,
        flows: Sequence[Flow[Any]] | None = None,
        recorded: Mapping[tuple[str, str], dict[str, Any]] | None = None,
        hub: Hub | None = None,
    ) -> None:
        self.store = store
        self.hub = hub
        """What enriches an event with no recorded context: None (replay) or the live hub
        (shadow mode, whose enrich only reads)."""
        self.recorded = dict(recorded or {})
        """(source, dedupe key) -> the context the live hub decided a timer's event on.

        The simulation makes a timer's events itself; when one is the event
        the live timer made (same key), it is decided on the live context."""
        self.clock = FakeClock(start)
        flowset = FlowSet(Services(config, store, self.clock), flows)
        self.flows = flowset.flows
        self.handler = flowset.event_handler()
        self.enabled = [flow.name for flow in self.flows if flow.name in flowset.handlers()]
        """The flows whose settings turn their handler on."""
        internal = {kind for flow in self.flows for kind in flow.internal_jobs}
        self.runners = {k: r for k, r in flowset.job_runners().items() if k in internal}
        self.regenerates = frozenset(internal)
        self.kinds = {kind: flow.name for flow in self.flows for kind in flow.decision_kinds}
        self.lines: dict[int, int] = {}
        """Scratch event id -> the line of the file it came from."""
        self.contexts: dict[int, dict[str, Any] | None] = {}
        self.regenerated = 0
        """Lines skipped because this run makes them itself (a timer's event)."""
        self.errors: list[str] = []
        install_periodic(store, flowset.periodic(), now=start)

    # -- feeding ------------------------------------------------------------------------

    async def feed(self, line: Line) -> None:
        """Move the clock to the line's time (firing timers on the way), then decide its event."""
        await self.advance(line.at)
        if isinstance(line, ClockLine):
            return
        await self.receive(line)

    async def receive(self, line: EventLine) -> int | None:
        """Store and decide one event now; its scratch id (None: regenerated or a duplicate)."""
        if line.origin is not None and line.origin in self.regenerates:
            self.regenerated += 1
            return None
        event = Event(
            type=line.type,
            source=line.source,
            dedupe_key=line.dedupe_key,
            occurred_at=line.occurred_at,
            payload=line.payload,
        )
        with self.store.transaction() as session:
            [stored] = record_events(session, [event], now=self.clock.now())
        if not stored.created:
            return None
        self.lines[stored.id] = line.line
        self.contexts[stored.id] = line.context
        await self.drain()
        return stored.id

    async def advance(self, to: datetime) -> None:
        """Move the clock to `to`, firing each timer at its due time and running what it writes."""
        while True:
            due = self._next_due(to)
            if due is None:
                break
            self._set(due)
            fired = fire_due_timers(self.store, now=self.clock.now())
            if not fired and not await self.drain():
                break  # what is left waits on something that never comes: nothing to do
        self._set(to)

    def _next_due(self, limit: datetime) -> datetime | None:
        """The first timer due, or job queued for later, by `limit`."""
        with self.store.sessions() as session:
            timer: datetime | None = session.scalar(_NEXT_TIMER, {"limit": limit})
            job: datetime | None = session.scalar(_NEXT_JOB, {"limit": limit})
        found = [when for when in (timer, job) if when is not None]
        return min(found) if found else None

    def _set(self, when: datetime) -> None:
        """The clock never goes back: an older line is decided at the clock's time."""
        ahead = (when - self.clock.now()).total_seconds()
        if ahead > 0:
            self.clock.advance(ahead)

    # -- running jobs -------------------------------------------------------------------

    async def drain(self) -> int:
        """Run every job due now: events decided, internal jobs run, the rest captured.

        Returns how many jobs it handled.
        """
        handled = 0
        while True:
            jobs = self._claim()
            if not jobs:
                return handled
            for job in jobs:
                await self._run(job)
            handled += len(jobs)

    def _claim(self) -> list[ClaimedJob]:
        """The jobs due now, in the order written, taken under a lease as `claim_jobs` does.

        A simulation runs alone and one job at a time, so it takes due jobs
        in (due time, id) order, which is the order `claim_jobs` keeps for
        jobs about one subject, with two prepared statements instead of its
        contention-proof ones (the cost of a replay is mostly here).
        """
        now = self.clock.now()
        token = uuid.uuid4().hex
        until = now + _LEASE
        with self.store.transaction() as session:
            rows = session.execute(_DUE_JOBS, {"now": now}).all()
            if not rows:
                return []
            session.execute(
                _TAKE_JOBS,
                {"ids": [row.id for row in rows], "token": token, "until": until, "now": now},
            )
        return [
            ClaimedJob(
                id=row.id,
                kind=row.kind,
                connector=row.connector,
                hook=row.hook,
                payload=row.payload,
                idempotency_key=row.idempotency_key,
                attempts=row.attempts + 1,
                max_attempts=row.max_attempts,
                lease_token=token,
                lease_until=until,
            )
            for row in rows
        ]

    async def _run(self, job: ClaimedJob) -> None:
        now = self.clock.now()
        if job.kind == EVENT_KIND:
            await self._decide(job, int(job.payload["event_id"]))
            return
        runner = self.runners.get(job.kind)
        if runner is None:
            with self.store.transaction() as session:
                complete_job(session, job, now=now, result={CAPTURED: True})
            return
        try:
            with stored_by(job.kind):
                result = await runner(job)
        except Exception as exc:  # a flow's bug must not end the replay; it is reported
            self.errors.append(f"job {job.kind} ({job.idempotency_key}): {exc}")
            with self.store.transaction() as session:
                fail_job(session, job, str(exc), now=now, permanent=True)
            return
        with self.store.transaction() as session:
            complete_job(session, job, now=now, result=result)

    async def _decide(self, job: ClaimedJob, event_id: int) -> None:
        now = self.clock.now()
        with self.store.sessions() as session:
            event = session.get(EventRecord, event_id)
        if event is None:  # pragma: no cover - the scratch store deletes nothing
            raise HandoffError(f"event {event_id} vanished from the simulation's store")
        recorded = self.contexts.pop(event_id, None)
        if recorded is None and event.origin is not None:
            recorded = self.recorded.get((event.source, event.dedupe_key))
        try:
            if recorded is None:
                context = await self.handler.enrich(self.hub, event)
            else:
                context = await self.handler.complete(self.hub, event, recorded)
            with self.store.transaction() as session:
                stored = session.get(EventRecord, event_id)
                assert stored is not None
                decide_event(session, self.handler, stored, context, now)
                complete_job(session, job, now=now)
        except Exception as exc:  # reported with its line; the other events go on
            where = self.lines.get(event_id)
            self.errors.append(
                f"line {where}: {event.type} {event.dedupe_key}: {type(exc).__name__}: {exc}"
                if where
                else f"{event.type} {event.dedupe_key}: {type(exc).__name__}: {exc}"
            )
            with self.store.transaction() as session:
                fail_job(session, job, str(exc), now=now, permanent=True)

    # -- results ------------------------------------------------------------------------

    def decisions(self) -> list[RunDecision]:
        """Every decision this run took, oldest first, with its jobs."""
        return stored_decisions(self.store, self.kinds, lines=self.lines)

    def loose_jobs(self) -> list[RunJob]:
        """Jobs no decision wrote (a timer's), other than events' own: captured or run."""
        with self.store.sessions() as session:
            rows = session.scalars(
                select(Job)
                .where(Job.decision_id.is_(None), Job.kind != EVENT_KIND)
                .order_by(Job.id)
            )
            return [_run_job(job) for job in rows]


def stored_decisions(
    store: Store,
    kinds: Mapping[str, str],
    *,
    lines: Mapping[int, int] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[RunDecision]:
    """The decisions in a store (a run's, or the live hub's), oldest first, with their jobs.

    `kinds` maps each decision kind to its flow; `lines` each event id to the
    line of the events file it came from; `since`/`until` bound the time
    decided.
    """
    query = select(Decision).order_by(Decision.id)
    if since is not None:
        query = query.where(Decision.decided_at >= since)
    if until is not None:
        query = query.where(Decision.decided_at < until)
    found: list[RunDecision] = []
    with store.sessions() as session:
        rows = list(session.scalars(query))
        event_ids = {row.event_id for row in rows if row.event_id is not None}
        events = {
            ident: f"{source}/{key}"
            for ident, source, key in session.execute(
                select(EventRecord.id, EventRecord.source, EventRecord.dedupe_key).where(
                    EventRecord.id.in_(event_ids)
                )
            )
        }
        jobs: dict[int, list[RunJob]] = {}
        for job in session.scalars(
            select(Job).where(Job.decision_id.in_([row.id for row in rows])).order_by(Job.id)
        ):
            assert job.decision_id is not None
            jobs.setdefault(job.decision_id, []).append(_run_job(job))
        for row in rows:
            event = row.event_id
            found.append(
                RunDecision(
                    id=row.id,
                    flow=kinds.get(row.kind, "?"),
                    kind=row.kind,
                    subject=f"{row.subject_type}:{row.subject_id}",
                    outcome=row.outcome,
                    rule_ids=[str(r) for r in row.rule_ids],
                    explanation=row.explanation,
                    at=row.decided_at,
                    event=events.get(event) if event is not None else None,
                    line=(lines or {}).get(event) if event is not None else None,
                    jobs=jobs.get(row.id, []),
                )
            )
    return found


def _run_job(job: Job) -> RunJob:
    return RunJob(
        kind=job.kind,
        target=f"{job.connector}.{job.hook}" if job.hook else job.kind,
        idempotency_key=job.idempotency_key,
        captured=bool(job.result and job.result.get(CAPTURED)),
        payload=job.payload,
    )

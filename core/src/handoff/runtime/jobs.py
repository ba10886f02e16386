"""The outbox: side effects written as jobs, claimed under a lease, retried, then done or dead.

A decision and the jobs it causes are written in ONE transaction
(`record_decision`), so a crash can never leave a decision without its effects
or an effect without its decision. A worker claims due jobs with a lease (on
PostgreSQL `FOR UPDATE SKIP LOCKED`, on SQLite one atomic UPDATE under the
single writer lock); a worker that dies leaves its jobs to be claimed again
once the lease runs out. Delivery is therefore at least once, and every job
carries an idempotency key that reaches the connector, so the outside system
applies the effect once.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import Any, get_type_hints

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import ColumnElement, String, and_, cast, delete, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from handoff.errors import HandoffError
from handoff.runtime.state import audit
from handoff.store import Job, JobState, JobSubject, Store, dialect_insert
from handoff_sdk import hookspecs

__all__ = [
    "FAILING",
    "HOOK_KIND",
    "WORKER_LOST",
    "ClaimedJob",
    "JobError",
    "JobSpec",
    "backoff",
    "claim_jobs",
    "complete_job",
    "decode_hook_arguments",
    "discard_jobs",
    "encode_hook_arguments",
    "enqueue",
    "fail_job",
    "failing_count",
    "job_counts",
    "list_jobs",
    "operator_change",
    "retry_jobs",
]

HOOK_KIND = "hook"
"""Job kind that awaits one connector's capability hook through the Hub."""


class JobError(HandoffError):
    """A job cannot be written or changed (bad arguments, unknown id)."""


@cache
def _hook_adapters(hook: str) -> dict[str, TypeAdapter[Any]]:
    if hook not in hookspecs.CAPABILITY_HOOKS:
        raise JobError(f"no such capability hook: {hook}")
    hints = get_type_hints(getattr(hookspecs, hook))
    return {
        name: TypeAdapter(tp)
        for name, tp in hints.items()
        if name not in ("return", "idempotency_key")
    }


def encode_hook_arguments(hook: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """A hook's keyword arguments as JSON, checked against the hook's own signature now.

    Checking when the job is written (not when it runs) turns a typo into an
    error at the decision, where it can be fixed, instead of a dead job later.
    """
    adapters = _hook_adapters(hook)
    unknown = set(arguments) - set(adapters)
    missing = set(adapters) - set(arguments)
    if unknown or missing:
        raise JobError(
            f"{hook}: arguments do not match the hook"
            + (f"; unknown: {', '.join(sorted(unknown))}" if unknown else "")
            + (f"; missing: {', '.join(sorted(missing))}" if missing else "")
        )
    encoded: dict[str, Any] = {}
    for name, value in arguments.items():
        adapter = adapters[name]
        try:
            encoded[name] = adapter.dump_python(adapter.validate_python(value), mode="json")
        except ValidationError as exc:
            raise JobError(f"{hook}: argument '{name}': {exc.errors()[0]['msg']}") from None
    return encoded


def decode_hook_arguments(hook: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The JSON written by `encode_hook_arguments`, back as the entities the hook expects."""
    adapters = _hook_adapters(hook)
    return {name: adapters[name].validate_python(payload[name]) for name in adapters}


@dataclass(frozen=True)
class JobSpec:
    """A job to write: what to run, with which arguments, under which idempotency key."""

    kind: str
    idempotency_key: str
    payload: dict[str, Any] = field(default_factory=dict)
    connector: str | None = None
    hook: str | None = None
    run_after: datetime | None = None
    max_attempts: int = 8
    event_id: int | None = None
    subjects: tuple[str, ...] = ()
    """What the job is about ('visitor:v-1', 'conversation:c-9'): it is not claimed while
    an earlier job about one of these is queued or running (see `claim_jobs`)."""

    @classmethod
    def call(
        cls,
        connector: str,
        hook: str,
        idempotency_key: str,
        *,
        run_after: datetime | None = None,
        max_attempts: int = 8,
        **arguments: Any,
    ) -> JobSpec:
        """A job that awaits `connector`'s `hook` with these arguments and the key."""
        if hook not in hookspecs.WRITE_HOOKS:
            raise JobError(f"{hook} is not a write hook; only writes go through the outbox")
        return cls(
            kind=HOOK_KIND,
            idempotency_key=idempotency_key,
            payload=encode_hook_arguments(hook, arguments),
            connector=connector,
            hook=hook,
            run_after=run_after,
            max_attempts=max_attempts,
        )


def enqueue(
    session: Session,
    jobs: Iterable[JobSpec],
    *,
    now: datetime,
    decision_id: int | None = None,
    event_id: int | None = None,
) -> int:
    """Write jobs in the caller's transaction; a job whose key already exists is not written again.

    Returns how many were new. Same key = same effect: replaying a decision
    cannot double its side effects. A job's `subjects` are written with it.
    """
    jobs_list = list(jobs)
    rows = [
        {
            "kind": spec.kind,
            "connector": spec.connector,
            "hook": spec.hook,
            "payload": spec.payload,
            "idempotency_key": spec.idempotency_key,
            "state": JobState.QUEUED.value,
            "attempts": 0,
            "max_attempts": spec.max_attempts,
            "run_after": spec.run_after or now,
            "decision_id": decision_id,
            "event_id": spec.event_id if spec.event_id is not None else event_id,
            "created_at": now,
            "updated_at": now,
        }
        for spec in jobs_list
    ]
    if not rows:
        return 0
    table = Job.__table__  # Core, not the ORM's bulk insert: see record_events
    statement = dialect_insert(session, table).on_conflict_do_nothing(
        index_elements=["idempotency_key"]
    )
    connection = session.connection()
    result = connection.execute(
        statement.returning(table.c.id, table.c.idempotency_key), rows
    ).all()
    subjects = {spec.idempotency_key: spec.subjects for spec in jobs_list if spec.subjects}
    if subjects:
        pairs = {
            (subject[:300], job_id) for job_id, key in result for subject in subjects.get(key, ())
        }
        if pairs:
            connection.execute(
                dialect_insert(session, JobSubject.__table__).on_conflict_do_nothing(),
                [{"subject": subject, "job_id": job_id} for subject, job_id in sorted(pairs)],
            )
    return len(result)


@dataclass(frozen=True)
class ClaimedJob:
    """A job this worker holds under a lease; finish it with its `lease_token`."""

    id: int
    kind: str
    connector: str | None
    hook: str | None
    payload: dict[str, Any]
    idempotency_key: str
    attempts: int
    max_attempts: int
    lease_token: str
    lease_until: datetime


WORKER_LOST = "worker lost"
"""The error of a job whose worker vanished (lease ran out) on its last attempt."""


def _expired(now: datetime) -> ColumnElement[bool]:
    return and_(Job.state == JobState.RUNNING.value, Job.lease_until < now)


def _waits_for_an_earlier_job() -> ColumnElement[bool]:
    """An earlier job about one of this job's subjects is still queued or running."""
    mine, other = aliased(JobSubject), aliased(JobSubject)
    earlier = aliased(Job)
    return (
        select(1)
        .select_from(mine)
        .join(other, and_(other.subject == mine.subject, other.job_id < mine.job_id))
        .join(earlier, earlier.id == other.job_id)
        .where(
            mine.job_id == Job.id,
            earlier.state.in_([JobState.QUEUED.value, JobState.RUNNING.value]),
        )
        .exists()
    )


def _bury_lost(session: Session, *, now: datetime, postgres: bool) -> int:
    """Dead-letter jobs whose lease ran out on their last allowed attempt ("worker lost").

    Their worker died (or hung past the lease) on every attempt: claiming
    them again would exceed `max_attempts` forever.
    """
    lost = select(Job.id).where(_expired(now), Job.attempts >= Job.max_attempts)
    if postgres:
        lost = lost.with_for_update(skip_locked=True)
    statement = (
        update(Job)
        .where(Job.id.in_(lost.scalar_subquery()))
        .values(
            state=JobState.DEAD.value,
            last_error=WORKER_LOST
            + ": its lease ran out on attempt "
            + cast(Job.attempts, String)
            + " of "
            + cast(Job.max_attempts, String),
            lease_until=None,
            lease_token=None,
            finished_at=now,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return int(session.execute(statement).rowcount)  # type: ignore[attr-defined]


def claim_jobs(store: Store, *, now: datetime, lease: timedelta, limit: int) -> list[ClaimedJob]:
    """Take up to `limit` due jobs (queued and due, or running with an expired lease).

    The attempt is counted when a job is claimed, so a job whose worker died
    has used that attempt; one whose lease ran out on its last attempt is
    dead with "worker lost" instead of being claimed again.

    Jobs about one subject run in the order they were written: a job is not
    a candidate while an earlier job (lower id) sharing one of its subjects
    is queued or running, whichever worker holds it.

    PostgreSQL: the candidate rows are locked with SKIP LOCKED, so concurrent
    workers take disjoint sets without waiting on each other. SQLite: the
    UPDATE runs inside BEGIN IMMEDIATE, under the database's single writer
    lock, so two claims never overlap.
    """
    token = uuid.uuid4().hex
    lease_until = now + lease
    due = or_(
        and_(Job.state == JobState.QUEUED.value, Job.run_after <= now),
        and_(_expired(now), Job.attempts < Job.max_attempts),
    )
    candidates = (
        select(Job.id)
        .where(due, ~_waits_for_an_earlier_job())
        .order_by(Job.run_after, Job.id)
        .limit(limit)
    )
    if store.is_postgres:
        candidates = candidates.with_for_update(skip_locked=True, of=Job)
    statement = (
        update(Job)
        .where(Job.id.in_(candidates.scalar_subquery()))
        .values(
            state=JobState.RUNNING.value,
            attempts=Job.attempts + 1,
            lease_until=lease_until,
            lease_token=token,
            updated_at=now,
        )
        .returning(
            Job.id,
            Job.kind,
            Job.connector,
            Job.hook,
            Job.payload,
            Job.idempotency_key,
            Job.attempts,
            Job.max_attempts,
        )
        .execution_options(synchronize_session=False)
    )
    with store.transaction() as session:
        _bury_lost(session, now=now, postgres=store.is_postgres)
        rows = session.execute(statement).all()
    claimed = [
        ClaimedJob(
            id=row.id,
            kind=row.kind,
            connector=row.connector,
            hook=row.hook,
            payload=row.payload,
            idempotency_key=row.idempotency_key,
            attempts=row.attempts,
            max_attempts=row.max_attempts,
            lease_token=token,
            lease_until=lease_until,
        )
        for row in rows
    ]
    claimed.sort(key=lambda job: job.id)
    return claimed


def complete_job(
    session: Session, job: ClaimedJob, *, now: datetime, result: dict[str, Any] | None = None
) -> bool:
    """Mark a job done; False when this worker's lease was lost (another worker has it).

    Its subjects are released with it: the next job about them can be claimed.
    """
    statement = (
        update(Job)
        .where(Job.id == job.id, Job.lease_token == job.lease_token)
        .where(Job.state == JobState.RUNNING.value)
        .values(
            state=JobState.DONE.value,
            result=result,
            last_error=None,
            lease_until=None,
            lease_token=None,
            finished_at=now,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if not session.execute(statement).rowcount:  # type: ignore[attr-defined]
        return False
    session.execute(
        delete(JobSubject)
        .where(JobSubject.job_id == job.id)
        .execution_options(synchronize_session=False)
    )
    return True


def backoff(attempts: int, key: str, *, base: float = 10.0, cap: float = 3600.0) -> timedelta:
    """Delay before attempt `attempts + 1`: doubling from `base`, at most `cap`, plus up to 10 %.

    The jitter comes from the job's key, not a random draw, so retries of
    many jobs spread out while a test can still predict each one.
    """
    delay = min(cap, base * 2 ** max(0, attempts - 1))
    spread = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=2).digest(), "big") / 65535
    return timedelta(seconds=delay * (1 + 0.1 * spread))


def fail_job(
    session: Session,
    job: ClaimedJob,
    error: str,
    *,
    now: datetime,
    permanent: bool = False,
) -> JobState | None:
    """Record a failed attempt: queue it again after a backoff, or dead when out of attempts.

    Returns the new state, or None when the lease was lost meanwhile.
    """
    dead = permanent or job.attempts >= job.max_attempts
    state = JobState.DEAD if dead else JobState.QUEUED
    statement = (
        update(Job)
        .where(Job.id == job.id, Job.lease_token == job.lease_token)
        .where(Job.state == JobState.RUNNING.value)
        .values(
            state=state.value,
            last_error=error[:4000],
            lease_until=None,
            lease_token=None,
            run_after=now if dead else now + backoff(job.attempts, job.idempotency_key),
            finished_at=now if dead else None,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    changed = session.execute(statement).rowcount  # type: ignore[attr-defined]
    return state if changed else None


FAILING = "failing"
"""Not a stored state: a queued job whose last attempt failed, waiting to be tried again."""


def list_jobs(session: Session, *, states: Sequence[str] = (), limit: int = 50) -> list[Job]:
    """The newest jobs, optionally only in some states (`failing`: queued after an error)."""
    query = select(Job).order_by(Job.id.desc()).limit(limit)
    if states:
        stored = [s for s in states if s != FAILING]
        wanted: list[ColumnElement[bool]] = [Job.state.in_(stored)] if stored else []
        if FAILING in states:
            wanted.append(and_(Job.state == JobState.QUEUED.value, Job.last_error.is_not(None)))
        query = query.where(or_(*wanted))
    return list(session.scalars(query))


def failing_count(session: Session) -> int:
    """How many queued jobs failed their last attempt (they wait to be tried again)."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(Job)
            .where(Job.state == JobState.QUEUED.value, Job.last_error.is_not(None))
        )
        or 0
    )


def job_counts(session: Session) -> dict[str, int]:
    """How many jobs are in each state."""
    rows = session.execute(select(Job.state, func.count()).group_by(Job.state)).all()
    return {state: int(count) for state, count in rows}


def _refuse_unless(
    session: Session, ids: Sequence[int], allowed: Sequence[JobState], action: str
) -> None:
    """Raise JobError naming each id that does not exist or is not in an `allowed` state.

    An operator's change applies to every id given or to none: a typo or a
    job that moved on is said, not skipped with a count that hides it.
    """
    rows = session.execute(select(Job.id, Job.state).where(Job.id.in_(list(ids))))
    found = {row.id: row.state for row in rows}
    wanted = " or ".join(state.value for state in allowed)
    problems = [
        f"job {ident} does not exist"
        if ident not in found
        else f"job {ident} is {found[ident]}, not {wanted}"
        for ident in dict.fromkeys(ids)
        if found.get(ident) not in {state.value for state in allowed}
    ]
    if problems:
        raise JobError(f"nothing was {action}: " + "; ".join(problems))


def retry_jobs(session: Session, ids: Sequence[int], *, now: datetime) -> int:
    """Queue dead jobs again, due now, with a fresh attempt budget.

    Refuses (JobError, nothing changed) when an id is unknown or its job is
    not dead: a done job's effect happened, and running it again would repeat it.
    """
    _refuse_unless(session, ids, [JobState.DEAD], "queued again")
    statement = (
        update(Job)
        .where(Job.id.in_(list(ids)), Job.state == JobState.DEAD.value)
        .values(
            state=JobState.QUEUED.value,
            attempts=0,
            run_after=now,
            finished_at=None,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return int(session.execute(statement).rowcount)  # type: ignore[attr-defined]


def discard_jobs(session: Session, ids: Sequence[int], *, now: datetime) -> int:
    """Give up on queued or dead jobs: they become dead with 'discarded by an operator'.

    Refuses (JobError, nothing changed) when an id is unknown, running or done.
    """
    _refuse_unless(session, ids, [JobState.QUEUED, JobState.DEAD], "discarded")
    statement = (
        update(Job)
        .where(Job.id.in_(list(ids)), Job.state.in_([JobState.QUEUED.value, JobState.DEAD.value]))
        .values(
            state=JobState.DEAD.value,
            last_error="discarded by an operator",
            finished_at=now,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return int(session.execute(statement).rowcount)  # type: ignore[attr-defined]


def operator_change(
    session: Session, action: str, ids: Sequence[int], *, actor: str, now: datetime
) -> int:
    """Retry or discard jobs for an operator, audited in their name; how many changed.

    One function for `handoff jobs retry|discard` (actor 'cli') and the
    console's Jobs page (actor 'console:<name>'): the change and its audit
    line ('jobs.retry' or 'jobs.discard', with the ids) in the caller's
    transaction. Raises JobError (nothing changed) as retry_jobs and
    discard_jobs do.
    """
    if action not in ("retry", "discard"):
        raise JobError(f"action: expected retry or discard, got {action!r}")
    if not ids:
        raise JobError(f"give the ids of the jobs to {action}")
    change = retry_jobs if action == "retry" else discard_jobs
    changed = change(session, list(ids), now=now)
    audit(
        session,
        actor=actor,
        action=f"jobs.{action}",
        now=now,
        details={"ids": list(ids), "changed": changed},
    )
    return changed

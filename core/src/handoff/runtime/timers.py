"""Timers: enqueue a job later, once or on a cron-like schedule (weekly, daily).

One-off: "30 s after the chat was routed", "21 days after the last attempt".
A timer is a row with a due time and the job to write when it is due. The
worker fires due timers on the injected clock: in one transaction it writes
the job (key `timer:<key>:<due time>`, so a timer fired twice enqueues once)
and marks a one-off timer fired, or moves a periodic one to its next tick.
A periodic timer that missed several ticks (the hub was down) fires once,
then resumes at the next tick after now.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from handoff.runtime.cron import CronSchedule
from handoff.runtime.jobs import JobSpec, enqueue
from handoff.store import Store, Timer, TimerState

__all__ = ["cancel_timer", "fire_due_timers", "schedule_periodic", "schedule_timer"]


def _upsert(session: Session, key: str, values: dict[str, Any]) -> Timer:
    timer = session.scalar(select(Timer).where(Timer.key == key))
    if timer is None:
        timer = Timer(key=key, fired_count=0, **values)
        session.add(timer)
    else:
        for name, value in values.items():
            setattr(timer, name, value)
    session.flush()
    return timer


def schedule_timer(
    session: Session,
    key: str,
    job: JobSpec,
    *,
    now: datetime,
    after: timedelta | None = None,
    at: datetime | None = None,
) -> Timer:
    """A one-off timer: write `job` `after` from now (or `at`). Same key = reschedule.

    The job's own idempotency key is ignored: each firing gets
    `timer:<key>:<due time>`, so rescheduling and refiring are safe.
    """
    if (after is None) == (at is None):
        raise ValueError("give exactly one of after= or at=")
    due = at if at is not None else now + (after or timedelta())
    return _upsert(
        session,
        key,
        {
            "due_at": due,
            "schedule": None,
            "timezone": "UTC",
            "state": TimerState.PENDING.value,
            "kind": job.kind,
            "connector": job.connector,
            "hook": job.hook,
            "payload": job.payload,
            "created_at": now,
        },
    )


def schedule_periodic(
    session: Session, key: str, schedule: str, job: JobSpec, *, now: datetime, timezone: str = "UTC"
) -> Timer:
    """A periodic timer on a cron-like schedule ('0 6 * * mon', '@daily'), first tick after now."""
    cron = CronSchedule.parse(schedule, timezone)
    return _upsert(
        session,
        key,
        {
            "due_at": cron.next_after(now),
            "schedule": schedule,
            "timezone": timezone,
            "state": TimerState.PENDING.value,
            "kind": job.kind,
            "connector": job.connector,
            "hook": job.hook,
            "payload": job.payload,
            "created_at": now,
        },
    )


def cancel_timer(session: Session, key: str) -> bool:
    """Stop a pending timer (the chat was answered before the 30 s ran out)."""
    timer = session.scalar(select(Timer).where(Timer.key == key))
    if timer is None or timer.state != TimerState.PENDING.value:
        return False
    timer.state = TimerState.CANCELLED.value
    return True


def fire_due_timers(store: Store, *, now: datetime, limit: int = 100) -> int:
    """Enqueue the job of every pending timer due at `now`; returns how many fired."""
    query = (
        select(Timer)
        .where(Timer.state == TimerState.PENDING.value, Timer.due_at <= now)
        .order_by(Timer.due_at, Timer.id)
        .limit(limit)
    )
    if store.is_postgres:
        query = query.with_for_update(skip_locked=True)
    fired = 0
    with store.transaction() as session:
        due_jobs: list[JobSpec] = []
        for timer in session.scalars(query):
            due = timer.due_at
            due_jobs.append(
                JobSpec(
                    kind=timer.kind,
                    idempotency_key=f"timer:{timer.key}:{due.isoformat()}",
                    payload=timer.payload,
                    connector=timer.connector,
                    hook=timer.hook,
                )
            )
            timer.fired_count += 1
            timer.last_fired_at = now
            if timer.schedule:
                cron = CronSchedule.parse(timer.schedule, timer.timezone)
                timer.due_at = cron.next_after(max(due, now))
            else:
                timer.state = TimerState.FIRED.value
            fired += 1
        enqueue(session, due_jobs, now=now)
    return fired

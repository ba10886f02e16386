"""The runtime: the outbox of jobs, the worker that runs them, timers, events and decisions."""

from __future__ import annotations

from handoff.runtime.cron import CronSchedule, ScheduleError
from handoff.runtime.decisions import (
    DecisionSpec,
    decisions_about,
    jobs_of,
    record_decision,
    record_decisions,
)
from handoff.runtime.events import (
    EVENT_KIND,
    CompositeHandler,
    EventHandler,
    StoredEvent,
    record_events,
)
from handoff.runtime.jobs import (
    FAILING,
    HOOK_KIND,
    ClaimedJob,
    JobError,
    JobSpec,
    claim_jobs,
    discard_jobs,
    enqueue,
    failing_count,
    job_counts,
    list_jobs,
    operator_change,
    retry_jobs,
)
from handoff.runtime.state import advance_counter, audit, audit_trail, upsert_entity
from handoff.runtime.timers import cancel_timer, fire_due_timers, schedule_periodic, schedule_timer
from handoff.runtime.worker import JobFailedError, Worker, WorkerStats

__all__ = [
    "EVENT_KIND",
    "FAILING",
    "HOOK_KIND",
    "ClaimedJob",
    "CompositeHandler",
    "CronSchedule",
    "DecisionSpec",
    "EventHandler",
    "JobError",
    "JobFailedError",
    "JobSpec",
    "ScheduleError",
    "StoredEvent",
    "Worker",
    "WorkerStats",
    "advance_counter",
    "audit",
    "audit_trail",
    "cancel_timer",
    "claim_jobs",
    "decisions_about",
    "discard_jobs",
    "enqueue",
    "failing_count",
    "fire_due_timers",
    "job_counts",
    "jobs_of",
    "list_jobs",
    "operator_change",
    "record_decision",
    "record_decisions",
    "record_events",
    "retry_jobs",
    "schedule_periodic",
    "schedule_timer",
    "upsert_entity",
]

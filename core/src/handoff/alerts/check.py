"""Looking for what to alert about, and writing each alert as notification jobs, once per window.

The `alerts.check` job (a periodic timer, every minute by default) looks at
two things:

- jobs that went dead since the last alert about them (the alerts' own
  notification jobs excepted, so a Slack outage cannot alert about itself
  forever);
- connectors whose calls failed at least `connector_failures` times within
  the window, as this worker's Hub counted them (`ConnectorMetrics.failing`).

Each alert is a decision (kind `alert`, for `handoff explain alert:SUBJECT`)
whose jobs call `handoff_send_notification` on every `[[alerts.notify]]`
target: the same outbox, retries and idempotency as any side effect. A
subject (the dead jobs; one connector) is alerted at most once per window:
the time of its last alert is kept in a cursor; dead jobs found meanwhile
are told in the next alert after the window.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from handoff.alerts.settings import AlertsSettings, AlertsTable
from handoff.errors import HandoffError
from handoff.runtime import ClaimedJob, DecisionSpec, JobSpec, record_decision
from handoff.store import Cursor, Job, JobState
from handoff_sdk.entities import Notification

if TYPE_CHECKING:
    from handoff.flow import FlowContext
    from handoff.runtime.worker import JobRunner

__all__ = ["ALERTS_CHECK_JOB", "ALERT_DECISION", "alerts_runner", "raise_alerts"]

ALERTS_CHECK_JOB = "alerts.check"
"""The periodic job that looks for something to alert about."""
ALERT_DECISION = "alert"
"""The decision kind of one alert (subject type `alert`)."""
_KEY_PREFIX = "alert:"
SEND = "handoff_send_notification"
"""The hook every alert is sent through."""
_DEAD_SEEN = "alerts:dead-seen"
"""Cursor: the finish time of the newest dead job already told."""
_SHOWN = 5
"""Dead jobs described one by one in an alert; the others are counted."""


def _cursor_time(session: Session, name: str) -> datetime | None:
    row = session.get(Cursor, name)
    return datetime.fromisoformat(row.value) if row is not None and row.value else None


def _set_cursor_time(session: Session, name: str, when: datetime, now: datetime) -> None:
    row = session.get(Cursor, name)
    if row is None:
        session.add(Cursor(name=name, position=0, value=when.isoformat(), updated_at=now))
    else:
        row.value, row.updated_at = when.isoformat(), now


def _may_alert(session: Session, subject: str, *, now: datetime, window: timedelta) -> bool:
    """True, and the subject's last alert set to now, unless it was alerted within the window."""
    name = f"alerts:sent:{subject}"
    last = _cursor_time(session, name)
    if last is not None and now - last < window:
        return False
    _set_cursor_time(session, name, now, now)
    return True


def _alert(
    session: Session,
    table: AlertsTable,
    subject: str,
    text: str,
    details: dict[str, Any],
    *,
    now: datetime,
) -> None:
    """Store the alert as a decision whose jobs notify every target."""
    jobs = [
        JobSpec.call(
            target.connector,
            SEND,
            f"{_KEY_PREFIX}{subject}:{index}:{now.isoformat()}",
            notification=Notification(
                channel=target.channel,
                recipients=list(target.recipients),
                subject=f"handoff alert: {subject}",
                text=text,
            ),
        )
        for index, target in enumerate(table.notify)
    ]
    record_decision(
        session,
        DecisionSpec(
            kind=ALERT_DECISION,
            subject_type="alert",
            subject_id=subject,
            outcome={"text": text, "targets": [t.connector for t in table.notify]},
            explanation=details,
            rule_ids=(),
        ),
        now=now,
        jobs=jobs,
    )


def _dead_jobs_alert(session: Session, table: AlertsTable, *, now: datetime) -> str | None:
    seen = _cursor_time(session, _DEAD_SEEN)
    query = (
        select(Job)
        .where(
            Job.state == JobState.DEAD.value,
            ~Job.idempotency_key.startswith(_KEY_PREFIX, autoescape=True),
            Job.kind != ALERTS_CHECK_JOB,
        )
        .order_by(Job.finished_at, Job.id)
    )
    if seen is not None:
        query = query.where(Job.finished_at > seen)
    dead = list(session.scalars(query))
    window = timedelta(minutes=table.window_minutes)
    if not dead or not _may_alert(session, "dead-jobs", now=now, window=window):
        return None
    lines = [
        f"job {job.id} ({f'{job.connector}.{job.hook}' if job.hook else job.kind}) after "
        f"{job.attempts} attempt(s): {(job.last_error or 'no error recorded')[:200]}"
        for job in dead[:_SHOWN]
    ]
    more = f"\n... and {len(dead) - _SHOWN} more" if len(dead) > _SHOWN else ""
    text = (
        f"{len(dead)} job(s) went dead"
        + (f" since {seen.isoformat()}" if seen else "")
        + ":\n"
        + "\n".join(lines)
        + more
        + "\nSee `handoff jobs list --state dead`; `handoff jobs retry ID` once the cause is fixed."
    )
    finished = [job.finished_at for job in dead if job.finished_at is not None]
    _set_cursor_time(session, _DEAD_SEEN, max(finished, default=now), now)
    _alert(session, table, "dead-jobs", text, {"jobs": [job.id for job in dead]}, now=now)
    return "dead-jobs"


def raise_alerts(
    session: Session, table: AlertsTable, *, now: datetime, failing: dict[str, list[str]]
) -> list[str]:
    """Alert about new dead jobs and each failing connector, each at most once per window.

    `failing`: connector -> its recent failures (`ConnectorMetrics.failing`).
    Returns the subjects alerted now.
    """
    alerted = []
    dead = _dead_jobs_alert(session, table, now=now)
    if dead:
        alerted.append(dead)
    window = timedelta(minutes=table.window_minutes)
    for connector, failures in sorted(failing.items()):
        subject = f"connector:{connector}"
        if not _may_alert(session, subject, now=now, window=window):
            continue
        text = (
            f"{connector} failed {len(failures)} call(s) in the last {table.window_minutes} "
            f"min; the latest: {failures[-1]}\nSee /metrics (handoff_connector_calls_total) "
            f"and `handoff check --network`."
        )
        _alert(session, table, subject, text, {"failures": failures[-_SHOWN:]}, now=now)
        alerted.append(subject)
    return alerted


def check_targets(context: FlowContext[AlertsSettings]) -> None:
    """Refuse, when the worker starts, a target whose connector cannot send notifications.

    Its alerts would go dead unheard (the alerts' own jobs are not alerted),
    so `handoff worker` and `handoff serve` stop with the target named.
    """
    table = context.settings.alerts
    hub = context.hub()
    if table is None or hub is None:
        return
    senders = hub.implementing(SEND)
    for index, target in enumerate(table.notify):
        if target.connector not in senders:
            raise HandoffError(
                f"alerts.notify[{index}].connector: '{target.connector}' cannot send "
                f"notifications (it does not implement {SEND}); those that can: "
                f"{', '.join(senders) or 'none enabled'}"
            )


def alerts_runner(context: FlowContext[AlertsSettings]) -> JobRunner:
    """Run an `alerts.check` job: look, then write the alerts and their jobs in one transaction."""

    async def run(_job: ClaimedJob) -> dict[str, Any] | None:
        table = context.settings.alerts
        if table is None:
            return {"alerted": []}
        hub = context.hub()
        window = timedelta(minutes=table.window_minutes).total_seconds()
        failing = (
            hub.metrics.failing(
                now=hub.clock.monotonic(), window=window, threshold=table.connector_failures
            )
            if hub is not None
            else {}
        )
        now = context.clock.now()

        def write() -> list[str]:
            with context.store.transaction() as session:
                return raise_alerts(session, table, now=now, failing=failing)

        return {"alerted": await asyncio.to_thread(write)}

    return run

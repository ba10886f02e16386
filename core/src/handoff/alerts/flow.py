"""The alerts' one registration: the `[alerts]` table, the periodic check and its runner.

Alerts are not a business flow, but they take the same parts from the
frameworks: a table validated with handoff.toml, a periodic job the worker
keeps, a job runner. See handoff.alerts.check for what is alerted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from handoff.flow import Flow, FlowContext, Periodic

if TYPE_CHECKING:
    from handoff.alerts.settings import AlertsSettings
    from handoff.runtime.worker import JobRunner

__all__ = ["ALERTS"]


def _settings() -> type[AlertsSettings]:
    from handoff.alerts.settings import AlertsSettings

    return AlertsSettings


def _job_runners(context: FlowContext[AlertsSettings]) -> Mapping[str, JobRunner]:
    from handoff.alerts.check import ALERTS_CHECK_JOB, alerts_runner, check_targets

    check_targets(context)
    return {ALERTS_CHECK_JOB: alerts_runner(context)}


def _periodic(context: FlowContext[AlertsSettings]) -> Sequence[Periodic]:
    table = context.settings.alerts
    if table is None:
        return ()
    from handoff.alerts.check import ALERTS_CHECK_JOB
    from handoff.runtime.jobs import JobSpec

    job = JobSpec(kind=ALERTS_CHECK_JOB, idempotency_key=ALERTS_CHECK_JOB)
    return [Periodic(ALERTS_CHECK_JOB, table.schedule, job)]


ALERTS: Flow[AlertsSettings] = Flow(
    name="alerts",
    summary="Operators told of dead jobs and failing connectors (Slack or email), once a window.",
    settings=_settings,
    decision_kinds=("alert",),
    job_runners=_job_runners,
    periodic=_periodic,
)
"""Alerts on dead jobs and failing connectors (docs/runtime.md, "Alerts")."""

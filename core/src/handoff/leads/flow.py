"""The leads flow's one registration: what the frameworks take from `handoff.leads`.

See handoff.flow for what each part is. This module stays light (it is read
by `handoff --help`): each part is imported inside the function that builds it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from handoff.flow import Flow, FlowCommand, FlowContext, IntakeRoute
from handoff.leads.kinds import DECISION_KINDS, EVENT_TYPES, TIMER_JOB

if TYPE_CHECKING:
    from fastapi import APIRouter

    from handoff.console import ConsolePages
    from handoff.leads.settings import LeadsSettings
    from handoff.runtime.events import EventHandler
    from handoff.runtime.worker import JobRunner

__all__ = ["LEADS"]


def _settings() -> type[LeadsSettings]:
    from handoff.leads.settings import LeadsSettings

    return LeadsSettings


def _intake() -> Sequence[IntakeRoute]:
    from handoff.leads.intake import INTAKE

    return INTAKE


def _handler(context: FlowContext[LeadsSettings]) -> EventHandler | None:
    from handoff.leads.handler import LeadsHandler

    config = context.settings.leads
    return LeadsHandler(config) if config is not None else None


def _job_runners(context: FlowContext[LeadsSettings]) -> Mapping[str, JobRunner]:
    from handoff.leads.kinds import ACCOUNT_JOB, EMAIL_JOB, TIMER_JOB, WRITEBACK_JOB
    from handoff.leads.runners import (
        account_runner,
        email_runner,
        timer_runner,
        writeback_runner,
    )

    runners = {TIMER_JOB: timer_runner(context.store, context.clock)}
    config = context.settings.leads
    if config is not None:
        runners[EMAIL_JOB] = email_runner(
            context.store, context.clock, config, context.config, context.hub
        )
        runners[WRITEBACK_JOB] = writeback_runner(context.store, config, context.hub)
        runners[ACCOUNT_JOB] = account_runner(context.store, config, context.hub)
    return runners


def _routers(context: FlowContext[LeadsSettings]) -> Sequence[APIRouter]:
    from handoff.leads.api import lead_routes

    return [lead_routes(context)]


def _console(context: FlowContext[LeadsSettings]) -> Sequence[ConsolePages]:
    from handoff.leads.console import leads_console

    return leads_console(context)


LEADS: Flow[LeadsSettings] = Flow(
    name="leads",
    summary="Lead lifecycle: sources, assignment, status with timers, scoring, Soft-BANT.",
    settings=_settings,
    event_types=EVENT_TYPES,
    decision_kinds=DECISION_KINDS,
    intake=_intake,
    handler=_handler,
    job_runners=_job_runners,
    routers=_routers,
    console=_console,
    internal_jobs=(TIMER_JOB,),
    commands=(
        FlowCommand(
            "leads",
            "handoff.leads.cli:leads",
            "Leads (D1-D8): show one, move its status, Soft-BANT, claim, explain.",
        ),
    ),
    models="handoff.leads.store",
)
"""The lead lifecycle flow (D1-D8, Q13, Q16)."""

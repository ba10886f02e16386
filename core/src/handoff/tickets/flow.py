"""The tickets flow's one registration: what the frameworks take from `handoff.tickets`.

See handoff.flow for what each part is. This module stays light (it is read
by `handoff --help`): each part is imported inside the function that builds it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from handoff.flow import Flow, FlowCommand, FlowContext, Periodic
from handoff.tickets.kinds import DECISION_KINDS, EVENT_TYPES, POLL_JOB, REVIEW_JOB

if TYPE_CHECKING:
    from fastapi import APIRouter

    from handoff.console import ConsolePages
    from handoff.runtime.events import EventHandler
    from handoff.runtime.worker import JobRunner
    from handoff.tickets.settings import TicketsSettings

__all__ = ["TICKETS"]


def _settings() -> type[TicketsSettings]:
    from handoff.tickets.settings import TicketsSettings

    return TicketsSettings


def _handler(context: FlowContext[TicketsSettings]) -> EventHandler | None:
    if context.settings.tickets is None:
        return None
    from handoff.tickets.handler import TicketsHandler

    return TicketsHandler(context.settings.tickets, context.store)


def _job_runners(context: FlowContext[TicketsSettings]) -> Mapping[str, JobRunner]:
    settings = context.settings.tickets
    if settings is None:
        return {}
    from handoff.tickets.runners import poll_runner, review_runner

    return {
        REVIEW_JOB: review_runner(context.store, context.clock),
        POLL_JOB: poll_runner(context.store, context.clock, context.hub, settings.help_desk),
    }


def _periodic(context: FlowContext[TicketsSettings]) -> Sequence[Periodic]:
    settings = context.settings.tickets
    if settings is None:
        return ()
    from handoff.runtime.jobs import JobSpec

    follow = settings.follow_up
    found = [
        Periodic(
            REVIEW_JOB,
            follow.schedule,
            JobSpec(kind=REVIEW_JOB, idempotency_key=REVIEW_JOB),
            timezone=follow.timezone,
        )
    ]
    if settings.poll:
        found.append(
            Periodic(POLL_JOB, settings.poll, JobSpec(kind=POLL_JOB, idempotency_key=POLL_JOB))
        )
    return found


def _routers(context: FlowContext[TicketsSettings]) -> Sequence[APIRouter]:
    from handoff.tickets.api import ticket_routes

    return [ticket_routes(context)]


def _console(context: FlowContext[TicketsSettings]) -> Sequence[ConsolePages]:
    from handoff.tickets.console import tickets_console

    return tickets_console(context)


TICKETS: Flow[TicketsSettings] = Flow(
    name="tickets",
    summary="Support tickets to sales: segment, territory, macros, escalation, follow-up.",
    settings=_settings,
    event_types=EVENT_TYPES,
    decision_kinds=DECISION_KINDS,
    handler=_handler,
    job_runners=_job_runners,
    periodic=_periodic,
    routers=_routers,
    console=_console,
    internal_jobs=(REVIEW_JOB,),
    commands=(
        FlowCommand(
            "tickets",
            "handoff.tickets.cli:tickets",
            "Tickets passed to sales: the follow-up queue, and why each was passed.",
        ),
    ),
)
"""Support tickets passed to sales (Z1-Z6)."""

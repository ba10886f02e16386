"""The accounts flow's one registration: what the frameworks take from `handoff.accounts`.

See handoff.flow for what each part is. This module stays light (it is read
by `handoff --help`): each part is imported inside the function that builds it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from handoff.accounts.kinds import DECISION_KINDS, EVENT_TYPES, RERANK_JOB, SIGNALS_JOB
from handoff.flow import Flow, FlowCommand, FlowContext, IntakeRoute, Periodic

if TYPE_CHECKING:
    from fastapi import APIRouter

    from handoff.accounts.settings import AccountsSettings
    from handoff.console import ConsolePages
    from handoff.runtime.events import EventHandler
    from handoff.runtime.worker import JobRunner

__all__ = ["ACCOUNTS"]


def _settings() -> type[AccountsSettings]:
    from handoff.accounts.settings import AccountsSettings

    return AccountsSettings


def _intake() -> Sequence[IntakeRoute]:
    from handoff.accounts.intake import intake_routes

    return intake_routes()


def _handler(context: FlowContext[AccountsSettings]) -> EventHandler | None:
    from handoff.accounts.handler import accounts_handler

    return accounts_handler(context.settings)


def _job_runners(context: FlowContext[AccountsSettings]) -> Mapping[str, JobRunner]:
    from handoff.accounts.runners import rerank_runner

    runners: dict[str, JobRunner] = {}
    settings = context.settings.accounts
    if settings is not None:
        runners[RERANK_JOB] = rerank_runner(context.store, context.clock, context.hub, settings)
        if settings.account_360 is not None:
            from handoff.accounts.signals import signals_runner

            runners[SIGNALS_JOB] = signals_runner(
                context.store, context.clock, context.hub, settings
            )
    return runners


def _periodic(context: FlowContext[AccountsSettings]) -> Sequence[Periodic]:
    settings = context.settings.accounts
    if settings is None:
        return ()
    from handoff.runtime.jobs import JobSpec

    found = [
        Periodic(
            RERANK_JOB,
            settings.rerank.schedule,
            JobSpec(kind=RERANK_JOB, idempotency_key=RERANK_JOB),
            timezone=settings.rerank.timezone,
        )
    ]
    if settings.account_360 is not None:
        found.append(
            Periodic(
                SIGNALS_JOB,
                settings.account_360.schedule,
                JobSpec(kind=SIGNALS_JOB, idempotency_key=SIGNALS_JOB),
                timezone=settings.account_360.timezone,
            )
        )
    return found


def _routers(context: FlowContext[AccountsSettings]) -> Sequence[APIRouter]:
    from handoff.accounts.api import account_routes, case_routes

    return [account_routes(context), case_routes(context)]


def _console(context: FlowContext[AccountsSettings]) -> Sequence[ConsolePages]:
    from handoff.accounts.console import accounts_console

    return accounts_console(context)


ACCOUNTS: Flow[AccountsSettings] = Flow(
    name="accounts",
    summary="Pooled SMB accounts: tiers, weekly re-rank with history, cases from signals.",
    settings=_settings,
    event_types=EVENT_TYPES,
    decision_kinds=DECISION_KINDS,
    intake=_intake,
    handler=_handler,
    job_runners=_job_runners,
    periodic=_periodic,
    routers=_routers,
    console=_console,
    models="handoff.accounts.store",
    internal_jobs=(SIGNALS_JOB,),
    explanations="handoff.accounts.queries:full_explanation",
    commands=(
        FlowCommand(
            "accounts",
            "handoff.accounts.cli:accounts",
            "Pooled accounts: re-rank, tiers and why, overrides, rank history (P1-P3, Q14).",
        ),
        FlowCommand(
            "cases",
            "handoff.accounts.cases_cli:cases",
            "Cases for the Pooled AE team: open by hand, list, and why (P4-P6).",
        ),
    ),
)

"""The AI flow's one registration: what the frameworks take from `handoff.ai`.

See handoff.flow for what each part is. This module stays light (it is read
by `handoff --help`): each part is imported inside the function that builds it.
Its conversations and guard run in the request that asks for them; its
handler decides the AI email campaigns' steps (Q16, Q17) in the worker, and
its timers store events.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from handoff.ai.kinds import AI_TIMER_JOB, DECISION_KINDS, EVENT_TYPES
from handoff.chat.kinds import CONVERSATION_EVENT
from handoff.flow import Flow, FlowCommand, FlowContext, IntakeRoute
from handoff.leads.kinds import LEAD_TOUCH

if TYPE_CHECKING:
    from collections.abc import Mapping

    from fastapi import APIRouter

    from handoff.ai.settings import AiSettings
    from handoff.console import ConsolePages
    from handoff.runtime.events import EventHandler
    from handoff.runtime.worker import JobRunner

__all__ = ["AI"]


def _settings() -> type[AiSettings]:
    from handoff.ai.settings import AiSettings

    return AiSettings


def _routers(context: FlowContext[AiSettings]) -> Sequence[APIRouter]:
    from handoff.ai.api import ai_routes
    from handoff.ai.campaign_api import campaign_routes
    from handoff.ai.conversation_api import conversation_routes
    from handoff.ai.studio.api import studio_routes

    return [
        ai_routes(context),
        conversation_routes(context),
        studio_routes(context),
        campaign_routes(context),
    ]


def _console(context: FlowContext[AiSettings]) -> Sequence[ConsolePages]:
    from handoff.ai.console import ai_console

    return ai_console(context)


def _intake() -> Sequence[IntakeRoute]:
    from handoff.ai.intake import INTAKE

    return INTAKE


def _handler(context: FlowContext[AiSettings]) -> EventHandler | None:
    from handoff.ai.handler import AiHandler

    config = context.settings.ai
    return AiHandler(config) if config is not None and config.email is not None else None


def _job_runners(context: FlowContext[AiSettings]) -> Mapping[str, JobRunner]:
    from handoff.ai.kinds import CRM_MARK_JOB
    from handoff.ai.runners import timer_runner
    from handoff.ai.syndication import mark_runner

    return {
        AI_TIMER_JOB: timer_runner(context.store, context.clock),
        CRM_MARK_JOB: mark_runner(context.hub),
    }


AI: Flow[AiSettings] = Flow(
    name="ai",
    summary="The AI rep: conversations, goals (Q5), rules of engagement (Q6), AI email "
    "campaigns and their switches (Q16, Q17).",
    settings=_settings,
    event_types=(*EVENT_TYPES, LEAD_TOUCH, CONVERSATION_EVENT),
    decision_kinds=DECISION_KINDS,
    intake=_intake,
    handler=_handler,
    job_runners=_job_runners,
    routers=_routers,
    console=_console,
    checks="handoff.ai.checks:model_problems",
    demo="handoff.ai.demo:ai_demo",
    models="handoff.ai.studio.tables",
    internal_jobs=(AI_TIMER_JOB,),
    commands=(
        FlowCommand(
            name="ai",
            target="handoff.ai.cli:ai",
            help="The AI rep: a conversation and why (Q5); AI Studio (Q7); AI email campaigns "
            "switched off and on (Q16, Q17).",
        ),
    ),
)
"""The AI rep (issue 12)."""

"""The chat flow's one registration: what the frameworks take from `handoff.chat`.

See handoff.flow for what each part is.

This module stays light (it is read by `handoff --help`): each part is
imported inside the function that builds it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from handoff.chat.kinds import AI_TAKEOVER_JOB, DECISION_KINDS, EVENT_TYPES
from handoff.flow import Flow, FlowCommand, FlowContext, IntakeRoute

if TYPE_CHECKING:
    from fastapi import APIRouter

    from handoff.chat.settings import ChatSettings
    from handoff.console import ConsolePages
    from handoff.runtime.events import EventHandler
    from handoff.runtime.worker import JobRunner

__all__ = ["CHAT"]


def _settings() -> type[ChatSettings]:
    from handoff.chat.settings import ChatSettings

    return ChatSettings


def _intake() -> Sequence[IntakeRoute]:
    from handoff.chat.intake import INTAKE

    return INTAKE


def _handler(context: FlowContext[ChatSettings]) -> EventHandler:
    from handoff.chat.handler import chat_handler

    return chat_handler(context)


def _job_runners(context: FlowContext[ChatSettings]) -> Mapping[str, JobRunner]:
    from handoff.chat.identify import IdentifyVisitors, identify_retry_runner
    from handoff.chat.kinds import (
        AI_TAKEOVER_JOB,
        IDENTIFY_RETRY_JOB,
        MEETING_BOOK_JOB,
        WRITEBACK_CONTACT_JOB,
    )
    from handoff.chat.meetings.runner import booking_runner
    from handoff.chat.routing.handler import ai_takeover_runner
    from handoff.chat.writeback.runner import contact_update_runner

    return {
        AI_TAKEOVER_JOB: ai_takeover_runner(context.store, context.clock),
        WRITEBACK_CONTACT_JOB: contact_update_runner(context.hub),
        MEETING_BOOK_JOB: booking_runner(context.store, context.hub, context.clock),
        IDENTIFY_RETRY_JOB: identify_retry_runner(
            context.store, context.hub, context.clock, IdentifyVisitors()
        ),
    }


def _routers(context: FlowContext[ChatSettings]) -> Sequence[APIRouter]:
    from handoff.chat.api.conversations import conversation_routes
    from handoff.chat.api.experiences import experience_routes
    from handoff.chat.api.forms import smart_form_routes
    from handoff.chat.api.meetings import meeting_routes
    from handoff.chat.api.rep_view import rep_view_routes
    from handoff.chat.api.slots import slot_routes

    return [
        conversation_routes(context),
        rep_view_routes(context),
        meeting_routes(context),
        slot_routes(context),
        smart_form_routes(context),
        experience_routes(context),
    ]


def _console(context: FlowContext[ChatSettings]) -> Sequence[ConsolePages]:
    from handoff.chat.console import chat_console

    return chat_console(context)


CHAT: Flow[ChatSettings] = Flow(
    name="chat",
    summary="Website chat: visitors identified, chats routed, written back, meetings booked.",
    settings=_settings,
    event_types=EVENT_TYPES,
    decision_kinds=DECISION_KINDS,
    intake=_intake,
    handler=_handler,
    job_runners=_job_runners,
    routers=_routers,
    console=_console,
    internal_jobs=(AI_TAKEOVER_JOB,),
    commands=(
        FlowCommand(
            "route",
            "handoff.chat.cli.routing:route_command",
            "Route one visitor with the configured rules; nothing is written.",
        ),
        FlowCommand(
            "experiences",
            "handoff.chat.cli.conversations:experiences",
            "The chat experiences: list them, roll the AI ones back, restore them.",
        ),
        FlowCommand(
            "metrics",
            "handoff.chat.cli.conversations:metrics",
            "Rep performance metrics computed from the stored events.",
        ),
        FlowCommand(
            "misroutes",
            "handoff.chat.cli.conversations:misroutes",
            "Conversations reps flagged as misrouted, for ops to review.",
        ),
    ),
    demo="handoff.chat.demo:chat_demo",
    sandbox_tables="handoff.chat.sandbox:sandbox_tables",
    sandbox_traffic="handoff.chat.sandbox:chat_traffic",
)
"""The website chat flow (Q1-Q4, Q8-Q12, Q15, Q19)."""

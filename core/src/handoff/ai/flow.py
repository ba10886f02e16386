"""The AI flow's one registration: what the frameworks take from `handoff.ai`.

See handoff.flow for what each part is. This module stays light (it is read
by `handoff --help`): each part is imported inside the function that builds it.
The flow has no event handler yet: nothing it receives is decided by the
worker; its conversations and guard run in the request that asks for them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from handoff.ai.kinds import DECISION_KINDS
from handoff.flow import Flow, FlowCommand, FlowContext

if TYPE_CHECKING:
    from fastapi import APIRouter

    from handoff.ai.settings import AiSettings

__all__ = ["AI"]


def _settings() -> type[AiSettings]:
    from handoff.ai.settings import AiSettings

    return AiSettings


def _routers(context: FlowContext[AiSettings]) -> Sequence[APIRouter]:
    from handoff.ai.api import ai_routes
    from handoff.ai.conversation_api import conversation_routes
    from handoff.ai.studio.api import studio_routes

    return [ai_routes(context), conversation_routes(context), studio_routes(context)]


AI: Flow[AiSettings] = Flow(
    name="ai",
    summary="The AI rep: conversations, goals (Q5), its rules of engagement on every reply (Q6).",
    settings=_settings,
    decision_kinds=DECISION_KINDS,
    routers=_routers,
    demo="handoff.ai.demo:ai_demo",
    models="handoff.ai.studio.tables",
    commands=(
        FlowCommand(
            name="ai",
            target="handoff.ai.cli:ai",
            help="The AI rep: a conversation and why (Q5); AI Studio's content, Scorecard, "
            "Inbox (Q7).",
        ),
    ),
)
"""The AI rep (issue 12; Q6 so far)."""

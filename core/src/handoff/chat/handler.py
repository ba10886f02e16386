"""The chat flow's EventHandler: identify every page view, then route and write back what is on.

Which parts run follows the settings: Q1 identification always; Q3/Q4
routing when `[routing]` is set; Q11 write-back when `[writeback]` is. Each
part's context is kept under its name ("identify", "routing", "writeback").
"""

from __future__ import annotations

from handoff.chat.identify import IdentifyVisitors
from handoff.chat.routing.handler import RoutingHandler
from handoff.chat.settings import ChatSettings
from handoff.chat.writeback.handler import WritebackHandler
from handoff.flow import FlowContext
from handoff.runtime import CompositeHandler, EventHandler

__all__ = ["chat_handler"]


def chat_handler(context: FlowContext[ChatSettings]) -> EventHandler:
    """What the worker runs on the chat flow's events, for these settings (Q1, Q3, Q4, Q11)."""
    settings = context.settings
    identify = IdentifyVisitors()
    parts: dict[str, EventHandler] = {"identify": identify}
    # As written in handoff.toml: an unset language must not outrank the visitor's (Q3d).
    experiences = [e.model_dump(mode="json", exclude_unset=True) for e in settings.experiences]
    if settings.routing is not None:
        parts["routing"] = RoutingHandler(
            settings.routing, experiences, identify=identify, store=context.store
        )
    if settings.writeback is not None:
        reps = [r.entity() for r in settings.routing.reps] if settings.routing else []
        parts["writeback"] = WritebackHandler(
            settings.writeback, context.store, reps=reps, experiences=experiences
        )
    return CompositeHandler(parts)

"""Experiences (Q8, Q9): the chat boxes, their AI twins, rollback and restore, and who did it.

The list is `handoff experiences list`'s (`experience_states` over the
configured catalog); Roll back AI and Restore AI are `rollback_ai` and
`restore_ai`, as `handoff experiences rollback-ai|restore-ai` run them, in
one transaction, audited in the signed-in user's name (`console:<name>`).
The page lists the audit trail of those switches. Ops only.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from handoff.api_keys import Scope
from handoff.chat.experiences import experience_states, restore_ai, rollback_ai
from handoff.chat.settings import ChatSettings
from handoff.console import PREFIX, ConsoleError, Viewer, render, require_role
from handoff.flow import FlowContext
from handoff.runtime import audit_trail

__all__ = ["SWITCH_ACTIONS", "experience_pages"]

SWITCH_ACTIONS = ("experiences.rollback_ai", "experiences.restore_ai")
"""The audit actions of a rollback and a restore (written by chat.experiences)."""


def experience_pages(context: FlowContext[ChatSettings]) -> APIRouter:
    """The experiences page and its rollback and restore actions."""
    router = APIRouter()
    store, clock = context.store, context.clock
    catalog = context.settings.catalog()

    @router.get("/experiences")
    async def experiences_page(
        request: Request, _viewer: Annotated[Viewer, require_role(Scope.OPS)]
    ) -> Response:
        """Each experience, live or not, with its twin; the rollback and restore history."""

        def read() -> tuple[dict[str, bool], list[Any]]:
            with store.sessions() as session:
                states = experience_states(session, catalog)
                trail = audit_trail(session, actions=SWITCH_ACTIONS, subject_type="experiences")
                return states, trail

        states, trail = await asyncio.to_thread(read)
        done = request.query_params.get("done")
        rows = [
            {
                "id": e.id,
                "name": e.name,
                "language": e.language,
                "mode": e.mode.value,
                "ai": e.is_ai,
                "twin": catalog.experiences[e.twin].name
                if e.twin in catalog.experiences
                else e.twin,
                "live": states[e.id],
                "pages": e.pages,
            }
            for e in catalog.experiences.values()
        ]
        ai_live = [r for r in rows if r["ai"] and r["live"]]
        return render(
            request,
            "chat/experiences.html",
            {
                "experiences": rows,
                "has_ai": bool(catalog.ai()),
                "ai_live": len(ai_live),
                "trail": trail,
                "done": done if done in ("rollback", "restore") else None,
                "changed": request.query_params.get("changed", ""),
            },
        )

    @router.post("/experiences/{action}")
    async def switch(
        request: Request, action: str, viewer: Annotated[Viewer, require_role(Scope.OPS)]
    ) -> Response:
        """Q8: every AI experience off and its twin on (rollback), or back (restore); audited."""
        if action not in ("rollback", "restore"):
            raise ConsoleError(404, f"No action '{action[:50]}': rollback or restore")
        if not catalog.ai():
            raise ConsoleError(
                409, f"No AI experience is configured (a name ending '- AI'): nothing to {action}"
            )
        change = rollback_ai if action == "rollback" else restore_ai

        def write() -> int:
            with store.transaction() as session:
                return len(change(session, catalog, actor=viewer.actor, now=clock.now()))

        changed = await asyncio.to_thread(write)
        return RedirectResponse(
            f"{PREFIX}/experiences?done={action}&changed={changed}", status_code=303
        )

    return router

"""Misroute flags on the console (Q19): a rep flags a decision; ops review the queue.

The flag is stored by `handoff.chat.conversations.flag_misrouted`, as `POST
/v1/decisions/{id}/misrouted` stores it: an event about the decision's
subject, one per rep and decision. The form is a part of the Decisions page
(`ConsolePages.decision_parts`), under each decision a rep user opens; the
ops queue lists `list_misroutes` with each decision's explanation (`why_of`).
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from handoff.api_keys import Scope
from handoff.chat.conversations import flag_misrouted, list_misroutes
from handoff.chat.settings import ChatSettings
from handoff.console import ConsoleError, Viewer, fragment, render, require_role
from handoff.console.decisions import rep_owned
from handoff.flow import FlowContext
from handoff.runtime.explain import explain_ref, why_of

__all__ = ["REASON_MAX", "misroute_pages"]

REASON_MAX = 5000
"""A reason's longest length, as the API's (free text)."""


def misroute_pages(context: FlowContext[ChatSettings]) -> APIRouter:
    """The flag form's action and the ops queue of flagged decisions."""
    router = APIRouter()
    store, clock = context.store, context.clock

    @router.post("/decisions/{decision_id}/misroute")
    async def flag(
        request: Request,
        decision_id: int,
        viewer: Annotated[Viewer, require_role(Scope.REP)],
    ) -> HTMLResponse:
        """Flag a decision about the signed-in rep's work as misrouted, for ops (Q19)."""
        rep = viewer.user.rep_id
        if not rep:
            raise ConsoleError(400, "Your console user is bound to no rep: a rep flags a decision")
        form = await request.form()
        reason = str(form.get("reason") or "").strip()
        if not reason:
            raise ConsoleError(400, "reason: say why this decision sent it to the wrong place")
        if len(reason) > REASON_MAX or "\x00" in reason:
            raise ConsoleError(400, f"reason: expected up to {REASON_MAX} characters of text")
        now = clock.now()

        def write() -> dict[str, Any] | None:
            with store.transaction() as session:
                report = explain_ref(session, f"decision:{decision_id}")
                if not report["decisions"]:
                    return None
                if viewer.role is Scope.REP and not rep_owned(session, rep, report["decisions"]):
                    raise ConsoleError(
                        403, f"Decision {decision_id} is not about your work (rep '{rep}')"
                    )
                stored = flag_misrouted(session, decision_id, rep, reason, now=now)
                assert stored is not None
                return {"flag": stored}

        found = await asyncio.to_thread(write)
        if found is None:
            raise ConsoleError(404, f"No decision {decision_id}")
        return HTMLResponse(fragment(request, "chat/_misroute_flagged.html", found))

    @router.get("/misroutes")
    async def queue(
        request: Request, _viewer: Annotated[Viewer, require_role(Scope.OPS)]
    ) -> Response:
        """The decisions reps flagged as misrouted, newest first, with why each was taken."""

        def read() -> list[dict[str, Any]]:
            with store.sessions() as session:
                return list_misroutes(session)

        flags = list(reversed(await asyncio.to_thread(read)))
        for item in flags:
            decision = item["decision"]
            item["why"] = (
                None
                if decision.get("missing")
                else why_of(decision.get("explanation") or {}, decision.get("outcome") or {})
            )
        return render(request, "chat/misroutes.html", {"flags": flags})

    return router

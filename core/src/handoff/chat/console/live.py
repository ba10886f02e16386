"""Live visitors (Q2, Q10): a rep's Actively Working accounts on the site now, and Engage.

The page lists the visitors `handoff.chat.pounce.live_visitors` finds (the
same as `GET /v1/live-visitors`), with their intent and 6sense signals, and
keeps the list current over server-sent events. Engage calls
`handoff.chat.pounce.engage`, as `POST /v1/live-visitors/{id}/engage` does:
the proactive engagement is stored as an event, and the answer names the
conversation to continue.

A rep user sees their own rep's visitors only; ops pick a rep.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from handoff.api_keys import Scope
from handoff.chat.pounce import LiveVisitor, NotAssignedError, engage, live_visitors
from handoff.chat.settings import ChatSettings
from handoff.console import (
    ConsoleError,
    Viewer,
    console_of,
    fragment,
    live_stream,
    render,
    require_role,
)
from handoff.flow import FlowContext

__all__ = ["WINDOW_MINUTES", "live_pages"]

WINDOW_MINUTES = (5, 15, 30, 60)
"""The windows a rep can choose: visitors seen within this many minutes (default 15)."""


def _minutes(text: str | None) -> int:
    if text in (None, ""):
        return 15
    try:
        value = int(str(text))
    except ValueError:
        raise ConsoleError(
            400, f"minutes: expected one of {WINDOW_MINUTES}, got {text!r}"
        ) from None
    if value not in WINDOW_MINUTES:
        raise ConsoleError(400, f"minutes: expected one of {WINDOW_MINUTES}, got {value}")
    return value


def _reps(context: FlowContext[ChatSettings]) -> list[tuple[str, str]]:
    routing = context.settings.routing
    if routing is None:
        return []
    return [(r.id, r.name) for r in routing.reps if not r.is_ai]


def live_pages(context: FlowContext[ChatSettings]) -> APIRouter:
    """The live-visitors page, its event stream and Engage."""
    router = APIRouter()
    store, clock = context.store, context.clock

    async def read(rep: str, minutes: int) -> list[LiveVisitor]:
        now = clock.now()

        def query() -> list[LiveVisitor]:
            with store.sessions() as session:
                return live_visitors(session, rep, now=now, window=timedelta(minutes=minutes))

        return await asyncio.to_thread(query)

    def visitors_part(request: Request, rep: str, minutes: int, found: list[LiveVisitor]) -> str:
        return fragment(
            request, "chat/_visitors.html", {"rep": rep, "minutes": minutes, "visitors": found}
        )

    @router.get("/live")
    async def live_page(
        request: Request,
        viewer: Annotated[Viewer, require_role(Scope.REP, Scope.OPS)],
        rep: str | None = None,
        minutes: str | None = None,
    ) -> Response:
        """The rep's live visitors, kept current over server-sent events."""
        shown = viewer.rep_scope(rep)
        window = _minutes(minutes)
        found = await read(shown, window) if shown else []
        return render(
            request,
            "chat/live.html",
            {
                "rep": shown,
                "minutes": window,
                "windows": WINDOW_MINUTES,
                "reps": _reps(context),
                "visitors_html": visitors_part(request, shown, window, found) if shown else "",
                "can_engage": viewer.has(Scope.REP),
            },
        )

    @router.get("/live/stream")
    async def live_events(
        request: Request,
        viewer: Annotated[Viewer, require_role(Scope.REP, Scope.OPS)],
        rep: str | None = None,
        minutes: str | None = None,
    ) -> StreamingResponse:
        """Server-sent events: the visitors list each time it changes."""
        shown = viewer.rep_scope(rep)
        if not shown:
            raise ConsoleError(400, "rep: choose the rep whose visitors to follow")
        window = _minutes(minutes)

        console = console_of(request)

        async def parts() -> dict[str, str]:
            found = await console.shared_read(
                ("chat.live", shown, window), lambda: read(shown, window)
            )
            return {"visitors": visitors_part(request, shown, window, found)}

        return live_stream(request, parts)

    @router.post("/live/{visitor_id}/engage")
    async def engage_visitor(
        request: Request,
        visitor_id: str,
        viewer: Annotated[Viewer, require_role(Scope.REP)],
    ) -> HTMLResponse:
        """Start the proactive conversation with the visitor (Q10), as the signed-in rep."""
        form = await request.form()
        rep = viewer.rep_scope(str(form.get("rep") or "") or None)
        if not rep:
            raise ConsoleError(400, "rep: choose the rep who engages")
        if not 1 <= len(visitor_id) <= 200:
            raise ConsoleError(400, "visitor: expected an id of 1-200 characters")
        engagement = str(form.get("engagement") or "")[:200] or None
        now = clock.now()

        def write() -> tuple[int, str, bool]:
            with store.transaction() as session:
                stored, conversation = engage(
                    session, visitor_id, rep, now=now, engagement_id=engagement
                )
                return stored.id, conversation, not stored.created

        try:
            _event, conversation, duplicate = await asyncio.to_thread(write)
        except NotAssignedError as exc:
            raise ConsoleError(403, f"Engage refused: {exc}") from None
        answer: dict[str, Any] = {
            "visitor_id": visitor_id,
            "conversation": conversation,
            "duplicate": duplicate,
        }
        return HTMLResponse(fragment(request, "chat/_engaged.html", answer))

    return router

"""Reps and presence (Q3): set your own status; ops see every rep's status and working hours.

A rep's status is what routing reads (`handoff.chat.routing.availability`):
set here as `PUT /v1/reps/{id}/status` sets it, audited with the signed-in
user. The ops table is kept current over server-sent events.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from sqlalchemy import select

from handoff.api_keys import Scope
from handoff.chat.routing.availability import REP_STATUS_KIND, set_rep_status
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
from handoff.store import EntityRecord
from handoff_sdk.entities import RepStatus

__all__ = ["RepRow", "presence_pages"]

STATUSES = tuple(s.value for s in RepStatus)


@dataclass(frozen=True)
class RepRow:
    """One rep as the presence table shows them."""

    id: str
    name: str
    status: str
    since: str | None
    timezone: str
    hours: str
    working_now: bool
    teams: tuple[str, ...]


def _presence(context: FlowContext[ChatSettings]) -> dict[str, tuple[str, str | None]]:
    with context.store.sessions() as session:
        rows = session.scalars(select(EntityRecord).where(EntityRecord.type == REP_STATUS_KIND))
        return {r.id: (str(r.data.get("status")), r.data.get("since")) for r in rows}


def _rows(context: FlowContext[ChatSettings], now: datetime) -> list[RepRow]:
    routing = context.settings.routing
    if routing is None:
        return []
    stored = _presence(context)
    found = []
    for rep in routing.reps:
        if rep.is_ai:
            continue
        status, since = stored.get(rep.id, (RepStatus.OFFLINE.value, None))
        hours = rep.hours()
        found.append(
            RepRow(
                id=rep.id,
                name=rep.name,
                status=status,
                since=since[:16].replace("T", " ") if since else None,
                timezone=hours.timezone,
                hours=hours.text,
                working_now=hours.contains(now),
                teams=tuple(rep.teams),
            )
        )
    return found


def presence_pages(context: FlowContext[ChatSettings]) -> APIRouter:
    """The presence page, its live table and the status form."""
    router = APIRouter()
    clock = context.clock

    async def rows() -> list[RepRow]:
        return await asyncio.to_thread(_rows, context, clock.now())

    def own_row(found: list[RepRow], viewer: Viewer) -> RepRow | None:
        return next((r for r in found if r.id == viewer.user.rep_id), None)

    @router.get("/reps")
    async def reps_page(
        request: Request, viewer: Annotated[Viewer, require_role(Scope.REP, Scope.OPS)]
    ) -> Response:
        """Your status (a rep); everyone's status and working hours (ops)."""
        found = await rows()
        everyone = viewer.has(Scope.OPS)
        return render(
            request,
            "chat/reps.html",
            {
                "own": own_row(found, viewer) if viewer.role is Scope.REP else None,
                "statuses": STATUSES,
                "configured": context.settings.routing is not None,
                "everyone": everyone,
                "table_html": fragment(request, "chat/_reps_table.html", {"reps": found})
                if everyone
                else "",
            },
        )

    @router.get("/reps/stream")
    async def reps_events(
        request: Request, _viewer: Annotated[Viewer, require_role(Scope.OPS)]
    ) -> StreamingResponse:
        """Server-sent events: the presence table each time a status changes."""
        console = console_of(request)

        async def parts() -> dict[str, str]:
            found = await console.shared_read("chat.presence", rows)
            return {"reps": fragment(request, "chat/_reps_table.html", {"reps": found})}

        return live_stream(request, parts)

    @router.post("/reps/status")
    async def set_status(
        request: Request, viewer: Annotated[Viewer, require_role(Scope.REP)]
    ) -> HTMLResponse:
        """Set the signed-in rep's presence; audited with their name; routing reads it."""
        form = await request.form()
        status = str(form.get("status") or "")
        if status not in STATUSES:
            raise ConsoleError(400, f"status: expected one of {', '.join(STATUSES)}")
        rep = viewer.rep_scope(str(form.get("rep") or "") or None)
        routing = context.settings.routing
        if routing is None:
            raise ConsoleError(409, "Routing is not configured (no [routing] table): no reps")
        if not rep or routing.rep(rep) is None:
            raise ConsoleError(404, f"No rep '{rep}' in [routing]")
        now = clock.now()

        def write() -> None:
            with context.store.transaction() as session:
                set_rep_status(session, rep, RepStatus(status), now=now, actor=viewer.actor)

        await asyncio.to_thread(write)
        found = await rows()
        return HTMLResponse(
            fragment(
                request,
                "chat/_status_form.html",
                {
                    "own": next((r for r in found if r.id == rep), None),
                    "statuses": STATUSES,
                    "saved": status,
                },
            )
        )

    return router

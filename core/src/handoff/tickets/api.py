"""The tickets API under /v1: the follow-up queue and a ticket's decisions (Z1-Z6).

- `GET /v1/tickets/queue`: the escalated tickets the hub follows up (Z6), as
  `handoff tickets review` lists them; `?all=true` adds the ones that dropped
  out (answered, closed, unticked) or were not passed.
- `GET /v1/tickets/{ticket_id}/decisions`: every decision about the ticket
  (what it is, why it was passed or not, each follow-up), with its
  explanation and the jobs it caused: what `handoff tickets explain` prints.

Without a `[tickets]` table both answer 409 (the flow is off); a ticket the
hub decided nothing about is a 404.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from handoff.api_keys import Scope
from handoff.flow import FlowContext
from handoff.runtime.explain import explain_ref
from handoff.server.access import require_scope
from handoff.server.models import Refused
from handoff.server.responses import refused
from handoff.tickets.kinds import DECISION_KINDS, SUBJECT
from handoff.tickets.queue import queue
from handoff.tickets.settings import TicketsSettings

__all__ = ["QueueAnswer", "TicketDecisions", "ticket_routes"]

TicketPath = Annotated[str, Path(pattern=r"^[0-9]{1,20}$", description="The help desk's id.")]

_OFF = "no [tickets] table in handoff.toml: the tickets flow is off"


class QueueAnswer(BaseModel):
    """The follow-up queue (Z6), oldest ticket first."""

    tickets: list[dict[str, Any]] = Field(
        description="Each: ticket_id, subject, kind, rep, escalated_since, age_hours, pings, "
        "last_action, last_at, url."
    )


class TicketDecisions(BaseModel):
    """A ticket's decisions, oldest first, each with its explanation and jobs."""

    ticket_id: str = Field(description="The help desk's id of the ticket.")
    decisions: list[dict[str, Any]] = Field(
        description="Each: id, kind, decided_at, rule_ids, outcome, explanation, jobs."
    )


_RESPONSES: dict[int | str, dict[str, Any]] = {
    409: {"model": Refused, "description": "No [tickets] table: the flow is off."},
}


def ticket_routes(context: FlowContext[TicketsSettings]) -> APIRouter:
    """The router over the hub's store."""
    router = APIRouter(
        prefix="/v1/tickets", tags=["tickets"], dependencies=[require_scope(Scope.OPS)]
    )
    store, clock, settings = context.store, context.clock, context.settings.tickets

    @router.get("/queue", response_model=QueueAnswer, responses=_RESPONSES)
    async def get_queue(
        include_all: Annotated[
            bool, Query(alias="all", description="Also the tickets that dropped out.")
        ] = False,
    ) -> Any:
        """Z6: the escalated tickets being followed up, with their reps, ages and pings."""
        if settings is None:
            return refused(409, _OFF)

        def read() -> list[dict[str, Any]]:
            now = clock.now()
            with store.sessions() as session:
                return [row.as_json(now) for row in queue(session, include_dropped=include_all)]

        return QueueAnswer(tickets=await asyncio.to_thread(read))

    @router.get(
        "/{ticket_id}/decisions",
        response_model=TicketDecisions,
        responses={
            **_RESPONSES,
            404: {"model": Refused, "description": "The hub decided nothing about it."},
        },
    )
    async def get_decisions(ticket_id: TicketPath) -> Any:
        """Z1-Z6: why the ticket was passed (or not) and every follow-up, with their jobs."""
        if settings is None:
            return refused(409, _OFF)

        def read() -> list[dict[str, Any]]:
            with store.sessions() as session:
                report = explain_ref(session, f"{SUBJECT}:{ticket_id}")
            return [d for d in report["decisions"] if d["kind"] in DECISION_KINDS]

        found = await asyncio.to_thread(read)
        if not found:
            return refused(
                404, f"nothing is decided about ticket {ticket_id}", "ticket_id", "no decision"
            )
        return TicketDecisions(ticket_id=ticket_id, decisions=found)

    return router

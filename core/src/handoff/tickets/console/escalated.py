"""Escalated tickets on the console: the queue handed to sales, each ticket's state and why (Z1-Z6).

The queue is the tickets flow's own (`handoff.tickets.queue.queue`, what
`GET /v1/tickets/queue` and `handoff tickets review` list), each row with
its age as `QueueRow.as_json` gives it; who the ticket went to and why is
its newest `tickets.route` decision as `explain_ref` reads it (what `GET
/v1/tickets/{id}/decisions` and `handoff tickets explain` show). A
ticket's page shows every decision with the Decisions page's own part.

The tickets flow's API and CLI change nothing about a queued ticket (the
help desk does); what ops can act on is the work its decisions caused:
a dead job (the macro, the ticket update, a Slack ping) is retried from
the ticket's page by the Jobs page's own action (`operator_change`, as
`handoff jobs retry` runs it), audited in the signed-in user's name.
Ops only, as the API's routes.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from handoff.api_keys import Scope
from handoff.console import ConsoleError, Viewer, console_of, render, require_role
from handoff.console.decisions import shown_decisions
from handoff.runtime.explain import explain_ref, full_explanation, why_of
from handoff.store import Decision, Store
from handoff.tickets.kinds import DECISION_KINDS, ROUTE_DECISION, SUBJECT
from handoff.tickets.queue import queue, queue_row, ticket_decisions
from handoff_sdk import Clock

__all__ = ["SHOWN", "ticket_pages"]

SHOWN = 200
"""At most this many tickets on the queue page (the oldest first, as the queue lists them)."""
NOT_PASSED = ("not_escalated", "new_sales_quote", "unrouted")
"""A routing decision's actions that leave the ticket with support (no rep, no follow-up)."""
_YES, _NO = ("true", "1", "yes", "on"), ("", "false", "0", "no", "off")


def _flag(name: str, value: str | None) -> bool:
    """A yes/no query parameter; anything else is a 400 naming it."""
    given = (value or "").strip().lower()
    if given in _YES:
        return True
    if given in _NO:
        return False
    raise ConsoleError(400, f"{name}: expected true or false, got {(value or '')[:50]!r}")


def _decisions(session: Session, ticket_id: str) -> list[dict[str, Any]]:
    """The tickets flow's decisions about one ticket, explained, oldest first (as the API's)."""
    report = explain_ref(session, f"{SUBJECT}:{ticket_id}")
    return [d for d in report["decisions"] if d["kind"] in DECISION_KINDS]


def _routes(session: Session, ticket_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Each ticket's newest routing decision, explained as `explain_ref` explains it.

    One query for the whole queue page (not a report per ticket): the list
    shows each decision's reasons, not its jobs or events.
    """
    newest: dict[str, Decision] = {}
    for decision in session.scalars(
        select(Decision)
        .where(
            Decision.subject_type == SUBJECT,
            Decision.subject_id.in_(ticket_ids),
            Decision.kind == ROUTE_DECISION,
        )
        .order_by(Decision.id)
    ):
        newest[decision.subject_id] = decision
    return {
        ticket: {
            "id": d.id,
            "outcome": d.outcome,
            "rule_ids": d.rule_ids,
            "why": why_of(full_explanation(session, d.kind, d.explanation), d.outcome),
        }
        for ticket, d in newest.items()
    }


def _routed(decisions: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The newest routing decision: who the ticket went to, with which macro, and why."""
    return next((d for d in reversed(decisions) if d["kind"] == ROUTE_DECISION), None)


def ticket_pages(store: Store, clock: Clock) -> APIRouter:
    """The escalated-tickets queue and one ticket's page."""
    router = APIRouter()

    @router.get("/tickets")
    async def tickets_page(
        request: Request,
        _viewer: Annotated[Viewer, require_role(Scope.OPS)],
        all: str | None = None,  # the API's name for it (?all=true)
    ) -> Response:
        """Z6: the tickets handed to sales, their state, rep, age and pings, and why each went."""
        include = _flag("all", all)

        def read() -> tuple[list[dict[str, Any]], int]:
            now = clock.now()
            with store.sessions() as session:
                rows = queue(session, include_dropped=include)
                routes = _routes(session, [row.ticket_id for row in rows[:SHOWN]])
                shown = [
                    {**row.as_json(now), "route": routes.get(row.ticket_id)} for row in rows[:SHOWN]
                ]
                return shown, len(rows)

        tickets, total = await asyncio.to_thread(read)
        return render(
            request,
            "tickets/queue.html",
            {"tickets": tickets, "total": total, "all": include, "not_passed": NOT_PASSED},
        )

    @router.get("/tickets/{ticket_id}")
    async def ticket_page(
        request: Request,
        ticket_id: str,
        _viewer: Annotated[Viewer, require_role(Scope.OPS)],
    ) -> Response:
        """Z1-Z6: a ticket's every decision with its explanation and jobs; retry a dead job."""
        if not ticket_id.isdigit() or len(ticket_id) > 20:
            raise ConsoleError(404, f"No ticket '{ticket_id[:50]}': a ticket id is a number")

        def read() -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
            now = clock.now()
            with store.sessions() as session:
                stored = ticket_decisions(session, ticket_id)
                if not stored:
                    return [], None
                return _decisions(session, ticket_id), queue_row(ticket_id, stored).as_json(now)

        decisions, row = await asyncio.to_thread(read)
        if not decisions or row is None:
            raise ConsoleError(404, f"No ticket {ticket_id}: the hub decided nothing about it")
        return render(
            request,
            "tickets/ticket.html",
            {
                "ticket_id": ticket_id,
                "row": row,
                "route": _routed(decisions),
                "decisions": shown_decisions({"decisions": decisions}),
                "parts": console_of(request).decision_parts,
                "not_passed": NOT_PASSED,
            },
        )

    return router

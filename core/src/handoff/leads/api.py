"""The leads API under /v1: a lead with its history and score, and what people do to it.

- `GET /v1/leads/{lead}`: the lead (by email): status, owner, score and its
  breakdown, Soft-BANT, opt-outs, and every status change with who and why.
- `POST /v1/leads/{lead}/transition`: move the lead's status (D5, Q16). A
  move the machine does not allow is a 409 naming the current status and the
  allowed next ones; nothing changes.

Database work runs in a thread; every bad input is a 4xx naming the field.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from handoff.flow import FlowContext
from handoff.leads.records import get_lead, lead_json, transitions_of
from handoff.leads.settings import LeadsConfig, LeadsSettings
from handoff.leads.status import TransitionRefused
from handoff.leads.transitions import (
    LeadNotFoundError,
    decide_transition,
    store_and_decide,
    transition_event,
)
from handoff.server.models import Ident, Refused, Text
from handoff.server.responses import refused

__all__ = ["lead_routes", "refused_transition"]

LeadPath = Annotated[
    str,
    Path(
        min_length=3,
        max_length=320,
        pattern=r"^[^@ \x00-\x1f]+@[^@ \x00-\x1f]+$",
        description="The lead's email (its id), in any case.",
    ),
]

_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": Refused, "description": "No such lead."},
    409: {"model": Refused, "description": "The leads flow is off ([leads] is not configured)."},
    422: {"model": Refused, "description": "Invalid request; each bad field is named."},
}


class TransitionBody(BaseModel):
    """Move a lead to another status (D5, Q16)."""

    model_config = ConfigDict(extra="forbid", regex_engine="python-re")

    to: Annotated[str, Field(min_length=1, max_length=50)] = Field(description="The new status.")
    reason: Annotated[Text, Field(min_length=1)] = Field(description="Why: kept in the history.")
    actor: Ident | None = Field(default=None, description="Who moves it (default: 'api').")
    id: Ident | None = Field(
        default=None, description="The sender's id of this request: same id = moved once."
    )


class TransitionRefusedOut(Refused):
    """A transition the status machine does not allow: what is allowed instead."""

    current_status: str | None = Field(
        default=None, description="The lead's status, unchanged (a refused transition)."
    )
    allowed_next: list[str] = Field(
        default_factory=list, description="The statuses it may move to (a refused transition)."
    )


def refused_transition(exc: TransitionRefused) -> JSONResponse:
    """The 409 of a refused transition: the message, the field, the current and allowed."""
    body: dict[str, Any] = {
        "error": str(exc),
        "fields": [{"field": "to", "problem": exc.why}],
        "current_status": exc.current,
        "allowed_next": exc.allowed,
    }
    return JSONResponse(status_code=409, content=body)


def off() -> JSONResponse:
    """The 409 of every leads route while `[leads]` is absent."""
    return refused(
        409, "the leads flow is off: add a [leads] table to handoff.toml (docs/leads.md)"
    )


def lead_routes(context: FlowContext[LeadsSettings]) -> APIRouter:
    """The router over the hub's store; its clock gives every stored time."""
    router = APIRouter(prefix="/v1", tags=["leads"])
    store, clock, config = context.store, context.clock, context.settings.leads

    def read(lead_id: str) -> dict[str, Any] | None:
        with store.sessions() as session:
            row = get_lead(session, lead_id, lock=False)
            return None if row is None else lead_json(row, transitions_of(session, lead_id))

    @router.get("/leads/{lead_id}", responses={**_RESPONSES})
    async def get_one(lead_id: LeadPath) -> Any:
        """The lead: status, owner, score and breakdown, Soft-BANT, opt-outs, history."""
        if config is None:
            return off()
        found = await asyncio.to_thread(read, lead_id)
        if found is None:
            return refused(404, f"no lead {lead_id.lower()}", "lead_id", "not found")
        return found

    @router.post(
        "/leads/{lead_id}/transition",
        responses={
            **_RESPONSES,
            409: {
                "model": TransitionRefusedOut,
                "description": "Not a transition of the status machine (or the flow is off).",
            },
        },
    )
    async def post_transition(lead_id: LeadPath, body: TransitionBody) -> Any:
        """Move the lead's status; refused (409, nothing changes) outside the machine (D5)."""
        if config is None:
            return off()
        leads: LeadsConfig = config
        now = clock.now()
        event = transition_event(
            lead_id,
            body.to,
            reason=body.reason,
            actor=body.actor or "api",
            key=body.id or uuid.uuid4().hex,
        )

        def write() -> dict[str, Any]:
            with store.transaction() as session:
                return store_and_decide(
                    session,
                    event,
                    lambda record: decide_transition(
                        session, leads.status, record, now=now, strict=True
                    ),
                    now=now,
                )

        try:
            outcome = await asyncio.to_thread(write)
        except LeadNotFoundError as exc:
            return refused(404, str(exc), "lead_id", "not found")
        except TransitionRefused as exc:
            return refused_transition(exc)
        return {**outcome, "lead": await asyncio.to_thread(read, lead_id)}

    return router

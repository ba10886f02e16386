"""The meeting API under /v1 (rule Q12): the visitor books a meeting on a rep's calendar.

- `POST /v1/meetings`: store the booking (a `meeting` decision and its
  `meeting.book` job, `handoff.chat.meetings.booking.request_booking`) and answer 202; the
  worker then makes the join link and puts the invite on the rep's calendar.
  The body's `id` is the sender's: the same id again answers the same
  decision (`duplicate: true`) and books nothing more.

A bad body is a 422 naming each field; an unknown rep a 404; a booking the
configuration cannot carry out (no calendar connector, no link for the rep)
a 409, since it is the configuration that is missing, not the request.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from handoff.api_keys import Scope
from handoff.chat.meetings.booking import MeetingError, booking_decision, request_booking
from handoff.chat.meetings.offer import MAX_MINUTES, MIN_MINUTES, MeetingRefusal, prepare_booking
from handoff.chat.settings import ChatSettings
from handoff.flow import FlowContext
from handoff.server.access import Caller, require_scope
from handoff.server.models import Email, EventTime, Ident, Refused
from handoff.server.responses import refused

__all__ = ["MeetingAccepted", "MeetingRequest", "meeting_routes"]

Title = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f]+$")]
"""A one-line title: 1-200 characters, no control characters."""


class MeetingRequest(BaseModel):
    """A meeting the visitor booked on a rep's calendar (Q12).

    Give `duration_minutes` or `end` (15 to 120 minutes after `start`), or
    neither for `[meetings] duration_minutes`.
    """

    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        regex_engine="python-re",
        json_schema_extra={"not": {"required": ["duration_minutes", "end"]}},
    )

    id: Ident = Field(description="The sender's id for this booking: same id = booked once.")
    rep_id: Ident = Field(description="The hub id of the rep whose calendar was offered.")
    attendee_email: Email = Field(description="The visitor's email: the invite goes there.")
    start: EventTime = Field(description="Start, with a time zone (ISO 8601); in the future.")
    duration_minutes: int | None = Field(
        default=None, ge=MIN_MINUTES, le=MAX_MINUTES, strict=False, description="Length in minutes."
    )
    end: EventTime | None = Field(
        default=None,
        description="End, with a time zone, 15 to 120 minutes after start; instead of "
        "duration_minutes.",
    )
    title: Title | None = Field(
        default=None, description="Calendar title; default: [meetings] title."
    )
    conversation_id: Ident | None = Field(
        default=None, description="The conversation it was booked in (Q15 counts it)."
    )


class MeetingAccepted(BaseModel):
    """The booking is stored; the worker books it (see `handoff explain meeting:<id>`)."""

    decision_id: int = Field(description="The hub's id of the booking decision.")
    meeting_id: str = Field(description="The sender's id of the booking.")
    duplicate: bool = Field(description="True when this id was received before (booked once).")


_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": Refused, "description": "No rep with that id in [routing]."},
    409: {
        "model": Refused,
        "description": "The configuration cannot book it: no [routing] table, the [meetings] "
        "calendar connector is not enabled, or the rep has no link to give (no zoom_link, "
        "no Zoom).",
    },
    422: {"model": Refused, "description": "Invalid body; each bad field is named."},
}


def _check_times(body: MeetingRequest) -> JSONResponse | None:
    """What JSON Schema cannot say: both duration and end given (the rest: prepare_booking)."""
    if {"duration_minutes", "end"} <= body.model_fields_set:  # the schema's "not both"
        return refused(422, "invalid request", "end", "give duration_minutes or end, not both")
    return None


def _accepted(decision_id: int, meeting_id: str, *, duplicate: bool) -> JSONResponse:
    answer = MeetingAccepted(decision_id=decision_id, meeting_id=meeting_id, duplicate=duplicate)
    return JSONResponse(status_code=202, content=answer.model_dump())


def meeting_routes(context: FlowContext[ChatSettings]) -> APIRouter:
    """The router over the hub's store; `context.hub()` gives the connectors once built."""
    router = APIRouter(prefix="/v1", tags=["meetings"])
    store, clock, hub = context.store, context.clock, context.hub
    meetings, routing = context.settings.meetings, context.settings.routing

    @router.post(
        "/meetings",
        status_code=202,
        response_model=MeetingAccepted,
        responses={**_RESPONSES},
    )
    async def post_meeting(
        body: MeetingRequest, caller: Annotated[Caller, require_scope(Scope.INGEST, Scope.REP)]
    ) -> Any:
        """Book a meeting on the rep's calendar, with a Zoom link in the invite (Q12).

        Answered once the booking and its job are stored; the worker creates
        the Zoom meeting (or takes the rep's personal link) and sends the
        invite. The same `id` again answers the first booking's decision.
        An `ingest` key (the site booking for a visitor) books with any rep; a
        rep key with its own rep only.
        """
        caller.act_for(body.rep_id)
        try:
            known = await asyncio.to_thread(booking_decision, store, body.id)
        except MeetingError as exc:
            return refused(409, str(exc), "id", "already used by something else")
        if known is not None:  # the same answer, whatever changed since
            return _accepted(known, body.id, duplicate=True)
        if routing is None:
            return refused(409, "no [routing] table in handoff.toml: no rep to book")
        bad_time = _check_times(body)
        if bad_time is not None:
            return bad_time
        try:
            job = prepare_booking(
                routing,
                meetings,
                hub(),
                meeting_id=body.id,
                rep_id=body.rep_id,
                attendee_email=body.attendee_email,
                start=body.start,
                end=body.end,
                duration_minutes=body.duration_minutes,
                title=body.title,
                conversation_id=body.conversation_id,
                now=clock.now(),
            )
        except MeetingRefusal as refusal:
            return refused(refusal.status, refusal.message, refusal.field, refusal.problem or "")
        now = clock.now()
        try:
            stored = await asyncio.to_thread(request_booking, store, job, now=now)
        except MeetingError as exc:
            return refused(409, str(exc), "id", "already used by something else")
        return _accepted(stored.decision_id, body.id, duplicate=stored.duplicate)

    return router

"""A rep's free meeting slots under /v1 (rule Q12): what a visitor is offered to book.

- `GET /v1/reps/{rep_id}/slots?days=5&duration=30`: the rep's free starts
  over today and the next days (their local calendar days), from their
  working hours and the busy times every calendar connector
  (`handoff_rep_busy`) gives; the computation is `handoff.chat.meetings.offer.rep_slots`.

Offering a slot that turns out busy is worse than offering none: when every
calendar connector fails, the answer is a 502, not working hours alone. When
at least one answers, the slots avoid what it said and each failure is a
note. With no calendar connector enabled, the slots follow working hours
only, and a note says so. Reps come from `[routing]`: without it, a 409.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from handoff.api_keys import Scope
from handoff.chat.meetings.offer import MeetingRefusal, ask_calendars, rep_slots
from handoff.chat.settings import ChatSettings
from handoff.flow import FlowContext
from handoff.server.access import Caller, require_scope
from handoff.server.models import Refused
from handoff.server.responses import refused

__all__ = ["OfferedSlot", "RepSlots", "ask_calendars", "slot_routes"]

IdPath = Annotated[str, Path(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f]+$")]
MIN_DAYS, MAX_DAYS = 1, 14
MIN_MINUTES, MAX_MINUTES = 15, 120


class OfferedSlot(BaseModel):
    """One free meeting time, in the rep's time zone (ISO 8601 with offset)."""

    start: datetime = Field(description="When the meeting would start.")
    end: datetime = Field(description="When it would end (start + duration).")


class RepSlots(BaseModel):
    """The meeting times a visitor may book with a rep (Q12)."""

    rep_id: str = Field(description="The rep.")
    timezone: str = Field(description="The rep's IANA time zone; the slots are given in it.")
    duration_minutes: int = Field(description="The length of each slot.")
    window_start: datetime = Field(description="Now: slots start at least 15 minutes after it.")
    window_end: datetime = Field(description="Local midnight after the last day offered.")
    slots: list[OfferedSlot] = Field(description="Free slots, earliest first.")
    notes: list[str] = Field(description="What the answer could not take into account, and why.")


_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": Refused, "description": "No rep with that id in [routing]."},
    409: {"model": Refused, "description": "No [routing] table in handoff.toml (no reps)."},
    422: {
        "model": Refused,
        "description": "days or duration out of range, or the rep is the AI rep (no calendar).",
    },
    502: {
        "model": Refused,
        "description": "Every calendar connector failed: no slot is offered rather than one "
        "that may be busy.",
    },
}


def slot_routes(context: FlowContext[ChatSettings]) -> APIRouter:
    """The router; `context.hub()` gives the connectors once built, its clock is now."""
    router = APIRouter(prefix="/v1", tags=["meetings"])
    routing, hub, clock = context.settings.routing, context.hub, context.clock

    @router.get("/reps/{rep_id}/slots", response_model=RepSlots, responses={**_RESPONSES})
    async def get_slots(
        rep_id: IdPath,
        caller: Annotated[Caller, require_scope(Scope.INGEST, Scope.REP, Scope.OPS)],
        days: Annotated[
            int,
            Query(
                ge=MIN_DAYS,
                le=MAX_DAYS,
                description="Local calendar days offered: today and the next days-1.",
            ),
        ] = 5,
        duration: Annotated[
            int,
            Query(ge=MIN_MINUTES, le=MAX_MINUTES, description="Meeting length in minutes."),
        ] = 30,
    ) -> Any:
        """The rep's free meeting slots, from working hours and calendar busy times (Q12).

        Slots lie inside the rep's working hours (none configured: Monday to
        Friday 09:00-17:00 in their time zone), avoid every busy time, start
        at least 15 minutes from now on a grid of min(duration, 30) minutes
        of local time, and end before local midnight after the last day.
        A rep key sees its own rep's slots only.
        """
        caller.act_for(rep_id)
        try:
            offer = await rep_slots(
                routing, hub(), rep_id=rep_id, now=clock.now(), days=days, duration=duration
            )
        except MeetingRefusal as refusal:
            return refused(refusal.status, refusal.message, refusal.field, refusal.problem or "")
        return RepSlots(
            rep_id=offer.rep_id,
            timezone=offer.timezone,
            duration_minutes=offer.duration_minutes,
            window_start=offer.window_start,
            window_end=offer.window_end,
            slots=[OfferedSlot(start=s.start, end=s.end) for s in offer.slots],
            notes=offer.notes,
        )

    return router

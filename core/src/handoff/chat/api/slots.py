"""A rep's free meeting slots under /v1 (rule Q12): what a visitor is offered to book.

- `GET /v1/reps/{rep_id}/slots?days=5&duration=30`: the rep's free starts
  over today and the next days (their local calendar days), from their
  working hours and the busy times every calendar connector
  (`handoff_rep_busy`) gives; the computation is `handoff.chat.meetings.slots.free_slots`.

Offering a slot that turns out busy is worse than offering none: when every
calendar connector fails, the answer is a 502, not working hours alone. When
at least one answers, the slots avoid what it said and each failure is a
note. With no calendar connector enabled, the slots follow working hours
only, and a note says so. Reps come from `[routing]`: without it, a 409.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from handoff.api_keys import Scope
from handoff.chat.meetings.slots import (
    DEFAULT_MEETING_HOURS,
    DEFAULT_NOTICE,
    MAX_SLOTS,
    free_slots,
)
from handoff.chat.routing.config import RepConfig
from handoff.chat.settings import ChatSettings
from handoff.flow import FlowContext
from handoff.server.access import Caller, require_scope
from handoff.server.models import Refused
from handoff.server.responses import refused
from handoff_sdk.entities import BusySlot
from handoff_sdk.secrets import redact_secrets

if TYPE_CHECKING:
    from handoff.hub import Hub

__all__ = ["OfferedSlot", "RepSlots", "slot_routes"]

log = logging.getLogger("handoff.server")

IdPath = Annotated[str, Path(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f]+$")]
REP_BUSY = "handoff_rep_busy"
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


def _unplaceable(slots: list[BusySlot]) -> bool:
    """True when a busy time has no time zone: it cannot be placed on anyone's day."""
    return any(s.start.utcoffset() is None or s.end.utcoffset() is None for s in slots)


async def _ask_calendars(
    hub: Hub, rep: RepConfig, start: datetime, end: datetime
) -> tuple[list[BusySlot], list[str], int]:
    """Every calendar's busy times of `rep` in [start, end): (busy, failure notes, answered).

    A calendar that fails, or answers a time without a zone, is a note, never a 5xx here.
    """
    busy: list[BusySlot] = []
    notes: list[str] = []
    answered = 0
    for outcome in await hub.rep_busy_all(rep.entity(), start, end):
        if outcome.error is not None:
            log.warning(
                "slots: %s busy times of %s failed: %s", outcome.connector, rep.id, outcome.error
            )
            message = redact_secrets(str(outcome.error)) or type(outcome.error).__name__
            notes.append(f"{outcome.connector}: busy times of {rep.id} unknown ({message})")
        elif _unplaceable(outcome.value or []):
            notes.append(
                f"{outcome.connector}: busy times of {rep.id} unknown "
                "(answered a busy time without a time zone)"
            )
        else:
            answered += 1
            busy.extend(outcome.value or [])
    return busy, notes, answered


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
        if routing is None:
            return refused(
                409, "routing is not configured (no [routing] table in handoff.toml): no reps"
            )
        rep = routing.rep(rep_id)
        if rep is None:
            return refused(404, f"no rep '{rep_id}' in [routing]", "rep_id")
        if rep.is_ai:
            return refused(
                422,
                f"'{rep_id}' is the AI rep: it has no calendar, meetings are booked with "
                "human reps",
                "rep_id",
            )
        now = clock.now().astimezone(UTC)
        zone = ZoneInfo(rep.timezone)
        last_day = now.astimezone(zone).date() + timedelta(days=days)
        window_end = datetime.combine(last_day, time(), tzinfo=zone).astimezone(UTC)
        hours = rep.hours()
        notes: list[str] = []
        if not hours.spans:
            table = ", ".join(f"{k} {v}" for k, v in DEFAULT_MEETING_HOURS.items())
            notes.append(
                f"{rep_id} has no working hours configured: meetings are offered {table} "
                f"{rep.timezone}"
            )
        hub_now = hub()
        busy: list[BusySlot] = []
        if hub_now is None or not hub_now.implementing(REP_BUSY):
            notes.append(
                f"no calendar connector is enabled ({REP_BUSY}): the slots follow working "
                "hours only, not the rep's calendar"
            )
        else:
            busy, failed, answered = await _ask_calendars(hub_now, rep, now, window_end)
            if not answered:
                return refused(
                    502,
                    "no calendar answered, so no slot is offered (one could be busy): "
                    + "; ".join(failed),
                )
            notes.extend(failed)
        slots = free_slots(
            hours,
            busy,
            start=now,
            end=window_end,
            duration=timedelta(minutes=duration),
            notice=DEFAULT_NOTICE,
            limit=MAX_SLOTS + 1,
        )
        if len(slots) > MAX_SLOTS:
            slots = slots[:MAX_SLOTS]
            notes.append(f"only the first {MAX_SLOTS} slots are listed; ask for fewer days")
        return RepSlots(
            rep_id=rep.id,
            timezone=rep.timezone,
            duration_minutes=duration,
            window_start=now.astimezone(zone),
            window_end=window_end.astimezone(zone),
            slots=[OfferedSlot(start=s.start, end=s.end) for s in slots],
            notes=notes,
        )

    return router

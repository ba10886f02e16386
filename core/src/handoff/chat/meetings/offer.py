"""What a visitor is offered and what they book (Q12), as functions the API and other flows share.

`rep_slots` gives a rep's free meeting slots (working hours, every calendar's
busy times, `slots.free_slots`); `prepare_booking` checks a booking against
the configuration and builds its job (`booking.request_booking` then stores
it). `GET /v1/reps/{rep_id}/slots` and `POST /v1/meetings` are these two
with HTTP around them; the AI rep's Book a Meeting goal (Q5) reaches them
through `handoff.chat.public`. A refusal is a `MeetingRefusal` carrying the
HTTP status the API answers with, so both callers say the same thing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from handoff.chat.meetings.booking import BookingJob
from handoff.chat.meetings.config import ZOOM, MeetingsConfig
from handoff.chat.meetings.runner import BOOK_HOOK
from handoff.chat.meetings.slots import (
    DEFAULT_MEETING_HOURS,
    DEFAULT_NOTICE,
    MAX_SLOTS,
    Slot,
    free_slots,
)
from handoff.chat.routing.config import RepConfig, RoutingConfig
from handoff.errors import HandoffError
from handoff_sdk.entities import BusySlot, Meeting
from handoff_sdk.secrets import redact_secrets

if TYPE_CHECKING:
    from handoff.hub import Hub

__all__ = [
    "MAX_MINUTES",
    "MIN_MINUTES",
    "REP_BUSY",
    "MeetingRefusal",
    "SlotOffer",
    "ask_calendars",
    "prepare_booking",
    "rep_slots",
]

log = logging.getLogger("handoff.server")

REP_BUSY = "handoff_rep_busy"
"""The calendar hook giving a rep's busy times."""
MIN_MINUTES, MAX_MINUTES = 15, 120


class MeetingRefusal(HandoffError):
    """The slots cannot be offered, or the booking made, and why: the API's status and field."""

    def __init__(
        self, status: int, message: str, field: str | None = None, problem: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field
        self.problem = problem


@dataclass(frozen=True)
class SlotOffer:
    """A rep's free meeting times over a window, and what could not be taken into account."""

    rep_id: str
    rep_name: str
    timezone: str
    duration_minutes: int
    window_start: datetime
    window_end: datetime
    slots: list[Slot]
    notes: list[str] = field(default_factory=list)
    rep_email: str | None = None
    """The rep's address (a follow-up on their behalf replies to it, Q16)."""


def _unplaceable(slots: list[BusySlot]) -> bool:
    """True when a busy time has no time zone: it cannot be placed on anyone's day."""
    return any(s.start.utcoffset() is None or s.end.utcoffset() is None for s in slots)


async def ask_calendars(
    hub: Hub, rep: RepConfig, start: datetime, end: datetime
) -> tuple[list[BusySlot], list[str], int]:
    """Every calendar's busy times of `rep` in [start, end): (busy, failure notes, answered).

    A calendar that fails, or answers a time without a zone, is a note, never an exception.
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


def _human_rep(routing: RoutingConfig | None, rep_id: str) -> RepConfig:
    if routing is None:
        raise MeetingRefusal(
            409, "routing is not configured (no [routing] table in handoff.toml): no reps"
        )
    rep = routing.rep(rep_id)
    if rep is None:
        raise MeetingRefusal(404, f"no rep '{rep_id}' in [routing]", "rep_id")
    if rep.is_ai:
        raise MeetingRefusal(
            422,
            f"'{rep_id}' is the AI rep: it has no calendar, meetings are booked with human reps",
            "rep_id",
            "the AI rep has no calendar to book",
        )
    return rep


async def rep_slots(
    routing: RoutingConfig | None,
    hub: Hub | None,
    *,
    rep_id: str,
    now: datetime,
    days: int,
    duration: int,
) -> SlotOffer:
    """The rep's free meeting slots over today and the next `days - 1` local days (Q12).

    Slots lie inside the rep's working hours (none: Monday to Friday 09:00-17:00
    in their zone), avoid every calendar's busy times, start at least 15
    minutes from `now`. With no calendar connector the slots follow working
    hours alone and a note says so; when every calendar fails, MeetingRefusal
    502: offering a slot that may be busy is worse than offering none.
    """
    rep = _human_rep(routing, rep_id)
    now = now.astimezone(UTC)
    zone = ZoneInfo(rep.timezone)
    last_day = now.astimezone(zone).date() + timedelta(days=days)
    window_end = datetime.combine(last_day, time(), tzinfo=zone).astimezone(UTC)
    hours = rep.hours()
    notes: list[str] = []
    if not hours.spans:
        table = ", ".join(f"{k} {v}" for k, v in DEFAULT_MEETING_HOURS.items())
        notes.append(
            f"{rep_id} has no working hours configured: meetings are offered {table} {rep.timezone}"
        )
    busy: list[BusySlot] = []
    if hub is None or not hub.implementing(REP_BUSY):
        notes.append(
            f"no calendar connector is enabled ({REP_BUSY}): the slots follow working "
            "hours only, not the rep's calendar"
        )
    else:
        busy, failed, answered = await ask_calendars(hub, rep, now, window_end)
        if not answered:
            raise MeetingRefusal(
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
    return SlotOffer(
        rep_id=rep.id,
        rep_name=rep.name,
        timezone=rep.timezone,
        duration_minutes=duration,
        window_start=now.astimezone(zone),
        window_end=window_end.astimezone(zone),
        slots=slots,
        notes=notes,
        rep_email=rep.email,
    )


def prepare_booking(
    routing: RoutingConfig | None,
    meetings: MeetingsConfig,
    hub: Hub | None,
    *,
    meeting_id: str,
    rep_id: str,
    attendee_email: str,
    start: datetime,
    now: datetime,
    end: datetime | None = None,
    duration_minutes: int | None = None,
    title: str | None = None,
    conversation_id: str | None = None,
) -> BookingJob:
    """Check a booking against the configuration and the clock; the job that books it (Q12).

    Raises MeetingRefusal: 409 when the configuration cannot carry it out (no
    [routing], no calendar connector that books, no link for the rep), 404
    for an unknown rep, 422 for the AI rep or a time that is wrong.
    """
    rep_config = _human_rep(routing, rep_id)
    if end is not None:
        minutes = (end - start) / timedelta(minutes=1)
        if not MIN_MINUTES <= minutes <= MAX_MINUTES:
            raise MeetingRefusal(
                422,
                "invalid request",
                "end",
                f"expected {MIN_MINUTES} to {MAX_MINUTES} minutes after start (got {minutes:g})",
            )
    if start <= now:
        raise MeetingRefusal(422, "invalid request", "start", "expected a time in the future")
    bookers = hub.implementing(BOOK_HOOK) if hub is not None else []
    if meetings.calendar not in bookers:
        raise MeetingRefusal(
            409,
            f"[meetings] calendar '{meetings.calendar}' is not an enabled connector that can "
            f"book meetings ({BOOK_HOOK})",
        )
    personal_only = meetings.video == "personal" or ZOOM not in bookers
    if personal_only and not rep_config.zoom_link:
        why = "[meetings] video = personal" if meetings.video == "personal" else "no Zoom"
        raise MeetingRefusal(
            409,
            f"rep '{rep_id}' has no zoom_link and the hub cannot create a meeting ({why})",
            "rep_id",
            "no link to put in the invite",
        )
    rep = rep_config.entity()
    minutes = duration_minutes or meetings.duration_minutes
    return BookingJob(
        meeting_id=meeting_id,
        meeting=Meeting(
            rep_id=rep.id,
            attendee_email=attendee_email,
            start=start,
            end=end or start + timedelta(minutes=minutes),
            title=title or meetings.title_for(rep, attendee_email),
        ),
        calendar=meetings.calendar,
        video=meetings.video,
        zoom_link=rep.zoom_link,
        conversation_id=conversation_id,
    )

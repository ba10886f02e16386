"""A rep's free meeting slots (rule Q12): what the hub offers a visitor to book.

`free_slots` is pure: it reads the rep's working hours, the busy times their
calendar gave, and the window to offer; it does no I/O and reads no clock
(`start` is "now"). The rules:

- a slot is `duration` long and lies wholly inside one working-hours span
  of the rep's local day (spans of a day that touch or overlap are merged
  first, so "09:00-12:00, 12:00-17:00" offers 11:30-12:30);
- it overlaps no busy time (a slot may start when a busy time ends, and end
  when one starts);
- it starts at least `notice` after `start` and ends by `end`;
- it starts on the `step` grid of the rep's local day: local midnight plus a
  whole number of steps (30-minute steps give :00 and :30 starts whatever
  the UTC offset);
- time zones come from zoneinfo: on a daylight-saving day a local start that
  does not exist (clocks go forward) is skipped, one that occurs twice
  (clocks go back) is offered at both instants, and a slot's end is
  `duration` of real time after its start;
- at most `limit` slots, earliest first.

A rep with no working hours at all (the routing default, "always" for chat)
is offered meetings during `DEFAULT_MEETING_HOURS`, Monday to Friday
09:00-17:00 in their time zone: "always" is right for taking a chat, not for
inviting a visitor to a 3 a.m. call. A rep who takes meetings at any hour
says so: `working_hours = { "mon-sun" = "00:00-24:00" }`.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from handoff.chat.routing.availability import WorkingHours
from handoff_sdk.entities import BusySlot

__all__ = [
    "DEFAULT_MEETING_HOURS",
    "DEFAULT_NOTICE",
    "MAX_SLOTS",
    "Slot",
    "default_step",
    "free_slots",
    "meeting_hours",
]

DEFAULT_MEETING_HOURS = {"mon-fri": "09:00-17:00"}
"""The hours meetings are offered in for a rep whose working hours are not configured."""

DEFAULT_NOTICE = timedelta(minutes=15)
"""The least time between "now" and a slot's start: nobody books a meeting starting now."""

MAX_SLOTS = 500
"""The most slots one answer holds (14 days of 15-minute slots over 8-hour days fit)."""

_DAY = timedelta(days=1)


class Slot(NamedTuple):
    """One free meeting time: start and end, timezone-aware, in the rep's time zone."""

    start: datetime
    end: datetime


def meeting_hours(hours: WorkingHours) -> WorkingHours:
    """The hours meetings are offered in: the rep's own, or `DEFAULT_MEETING_HOURS` when none.

    `WorkingHours` without spans means "always" for chat; for meetings it
    means "not configured", and the default weekday hours apply.
    """
    if hours.spans:
        return hours
    return WorkingHours.parse(DEFAULT_MEETING_HOURS, hours.timezone)


def default_step(duration: timedelta) -> timedelta:
    """The grid slots start on when none is asked: the duration, at most 30 minutes.

    15-minute meetings start every quarter hour; 45- or 60-minute meetings on
    the half hour, so a visitor is not offered only 09:00, 09:45, 10:30, ...
    """
    return min(duration, timedelta(minutes=30))


def _aware(value: datetime, where: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{where}: expected a timezone-aware datetime, got {value.isoformat()}")
    return value.astimezone(UTC)


def _merged_busy(busy: Sequence[BusySlot]) -> tuple[list[datetime], list[datetime]]:
    """Busy times in UTC, sorted and merged: (starts, ends), both ascending."""
    spans = sorted(
        (_aware(slot.start, f"busy[{i}].start"), _aware(slot.end, f"busy[{i}].end"))
        for i, slot in enumerate(busy)
    )
    starts: list[datetime] = []
    ends: list[datetime] = []
    for first, last in spans:
        if last <= first:
            continue
        if ends and first <= ends[-1]:
            ends[-1] = max(ends[-1], last)
        else:
            starts.append(first)
            ends.append(last)
    return starts, ends


def _offset(moment: time) -> timedelta:
    return timedelta(
        hours=moment.hour,
        minutes=moment.minute,
        seconds=moment.second,
        microseconds=moment.microsecond,
    )


def _day_spans(spans: Sequence[tuple[time, time]]) -> list[tuple[timedelta, timedelta]]:
    """A day's spans as offsets from local midnight, sorted, touching ones merged."""
    merged: list[tuple[timedelta, timedelta]] = []
    for first, stored_last in sorted((_offset(a), _offset(b)) for a, b in spans):
        # "24:00" is kept as 23:59:59.999999 by WorkingHours: a slot may end at midnight.
        last = _DAY if stored_last == _DAY - timedelta(microseconds=1) else stored_last
        if merged and first <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged


def _instants(wall: datetime, zone: ZoneInfo) -> Iterator[datetime]:
    """The UTC instants a naive local wall time names: none in a gap, two in a fold."""
    seen: set[datetime] = set()
    for fold in (0, 1):
        instant = wall.replace(tzinfo=zone, fold=fold).astimezone(UTC)
        if instant.astimezone(zone).replace(tzinfo=None) == wall and instant not in seen:
            seen.add(instant)
            yield instant


def _span_bounds(
    day: date, first: timedelta, last: timedelta, zone: ZoneInfo
) -> tuple[datetime, datetime]:
    """A span of a local day as UTC instants: its earliest start and its latest end."""
    midnight = datetime.combine(day, time())
    begin = (midnight + first).replace(tzinfo=zone, fold=0).astimezone(UTC)
    end = (midnight + last).replace(tzinfo=zone, fold=1).astimezone(UTC)
    return begin, end


def free_slots(
    hours: WorkingHours,
    busy: Sequence[BusySlot],
    *,
    start: datetime,
    end: datetime,
    duration: timedelta,
    step: timedelta | None = None,
    notice: timedelta = DEFAULT_NOTICE,
    limit: int = MAX_SLOTS,
) -> list[Slot]:
    """The meeting times to offer a visitor, earliest first (Q12; rules in the module doc).

    `start` is now (the caller's clock), `end` the end of the window offered;
    both timezone-aware. `hours` are the rep's working hours (none configured:
    `DEFAULT_MEETING_HOURS`), `busy` what their calendars said over the window.
    `step` defaults to `default_step(duration)`. Raises ValueError naming the
    argument that is wrong.
    """
    now = _aware(start, "start")
    until = _aware(end, "end")
    if duration <= timedelta(0):
        raise ValueError(f"duration: expected more than zero, got {duration}")
    grid = default_step(duration) if step is None else step
    if grid <= timedelta(0):
        raise ValueError(f"step: expected more than zero, got {grid}")
    if notice < timedelta(0):
        raise ValueError(f"notice: expected zero or more, got {notice}")
    if limit < 0:
        raise ValueError(f"limit: expected zero or more, got {limit}")
    try:
        zone = ZoneInfo(hours.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"hours.timezone: unknown IANA time zone {hours.timezone!r}") from None
    merged = _merged_busy(busy)
    earliest = now + notice
    offered = meeting_hours(hours)
    found: list[Slot] = []
    if limit == 0 or earliest + duration > until:
        return found
    day = earliest.astimezone(zone).date()
    last_day = until.astimezone(zone).date()
    while day <= last_day:
        instants = _day_slots(
            day,
            hours=offered,
            zone=zone,
            grid=grid,
            duration=duration,
            earliest=earliest,
            until=until,
            busy=merged,
        )
        # Sorted as UTC instants: two local times in a fold compare equal as datetimes.
        found.extend(Slot(a.astimezone(zone), b.astimezone(zone)) for a, b in sorted(instants))
        if len(found) >= limit:
            return found[:limit]
        day += _DAY
    return found


def _day_slots(
    day: date,
    *,
    hours: WorkingHours,
    zone: ZoneInfo,
    grid: timedelta,
    duration: timedelta,
    earliest: datetime,
    until: datetime,
    busy: tuple[list[datetime], list[datetime]],
) -> Iterator[tuple[datetime, datetime]]:
    """The free slots starting on one local day, as UTC (start, end); a fold can unsort them."""
    busy_starts, busy_ends = busy
    midnight = datetime.combine(day, time())
    for first, last in _day_spans(hours.spans[day.weekday()]):
        span_begin, span_end = _span_bounds(day, first, last, zone)
        step_no = -(-first // grid)  # the first grid time at or after the span's start
        while step_no * grid < last:
            for begins in _instants(midnight + step_no * grid, zone):
                ends = begins + duration
                if begins < max(earliest, span_begin) or ends > min(until, span_end):
                    continue
                # The first busy time ending after the start must begin at or after the end.
                index = bisect.bisect_right(busy_ends, begins)
                if index < len(busy_starts) and busy_starts[index] < ends:
                    continue
                yield begins, ends
            step_no += 1

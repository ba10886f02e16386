"""Cron-like schedules for periodic timers: five fields, or a few readable shorthands.

    minute hour day-of-month month day-of-week      e.g. "0 6 * * mon"  (Mondays 06:00)
    @hourly  @daily  @weekly (Monday 00:00)  @monthly

Each field takes `*`, a number, a list `1,15`, a range `1-5` and a step `*/15`
or `0-30/10`; day names (mon..sun, 0 or 7 = Sunday) and month names (jan..dec).
When both day-of-month and day-of-week are restricted, either may match (as
in cron). Times are read in the schedule's IANA time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from handoff.errors import HandoffError

__all__ = ["CronSchedule", "ScheduleError"]

_SHORTHANDS = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * mon",
    "@monthly": "0 0 1 * *",
}
_DAYS = {"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}
_MONTHS = {
    name: i + 1
    for i, name in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    )
}
_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day-of-month", 1, 31, {}),
    ("month", 1, 12, _MONTHS),
    ("day-of-week", 0, 7, _DAYS),
)


class ScheduleError(HandoffError):
    """A schedule that cannot be read; names the field at fault."""


def _value(text: str, names: dict[str, int], field: str, expression: str) -> int:
    lowered = text.lower()
    if lowered in names:
        return names[lowered]
    if not lowered.isdigit():
        raise ScheduleError(f"schedule '{expression}': {field} '{text}' is not a number or name")
    return int(lowered)


def _parse_field(
    text: str, spec: tuple[str, int, int, dict[str, int]], expression: str
) -> frozenset[int]:
    field, low, high, names = spec
    values: set[int] = set()
    for part in text.split(","):
        base, _, step_text = part.partition("/")
        step = _value(step_text, {}, field, expression) if step_text else 1
        if step < 1:
            raise ScheduleError(f"schedule '{expression}': {field} step must be at least 1")
        if base == "*":
            start, end = low, high
        elif "-" in base:
            first, _, last = base.partition("-")
            start = _value(first, names, field, expression)
            end = _value(last, names, field, expression)
        else:
            start = _value(base, names, field, expression)
            end = high if step_text else start
        if not low <= start <= end <= high:
            raise ScheduleError(
                f"schedule '{expression}': {field} '{part}' is outside {low}-{high}"
            )
        values.update(range(start, end + 1, step))
    return frozenset(values)


@dataclass(frozen=True)
class CronSchedule:
    """A parsed schedule; `next_after(t)` is the first tick strictly after `t`."""

    expression: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    timezone: str
    any_day: bool
    any_weekday: bool

    @classmethod
    def parse(cls, expression: str, timezone: str = "UTC") -> CronSchedule:
        """Read a schedule; raises ScheduleError naming the bad field."""
        text = _SHORTHANDS.get(expression.strip().lower(), expression.strip())
        parts = text.split()
        if len(parts) != 5:
            raise ScheduleError(
                f"schedule '{expression}': expected 5 fields (minute hour day month weekday) "
                f"or one of {', '.join(_SHORTHANDS)}"
            )
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ScheduleError(
                f"schedule '{expression}': unknown time zone '{timezone}'"
            ) from None
        fields = [
            _parse_field(part, spec, expression) for part, spec in zip(parts, _FIELDS, strict=True)
        ]
        weekdays = frozenset(0 if d == 7 else d for d in fields[4])
        return cls(
            expression=expression,
            minutes=fields[0],
            hours=fields[1],
            days=fields[2],
            months=fields[3],
            weekdays=weekdays,
            timezone=timezone,
            any_day=parts[2] == "*",
            any_weekday=parts[4] == "*",
        )

    def _day_matches(self, moment: datetime) -> bool:
        if moment.month not in self.months:
            return False
        by_day = moment.day in self.days
        by_weekday = (moment.isoweekday() % 7) in self.weekdays
        if self.any_day or self.any_weekday:
            return by_day and by_weekday
        return by_day or by_weekday

    def next_after(self, after: datetime) -> datetime:
        """The first tick strictly after `after` (aware), in UTC."""
        zone = ZoneInfo(self.timezone)
        local = after.astimezone(zone).replace(second=0, microsecond=0) + timedelta(minutes=1)
        limit = local + timedelta(days=366 * 5)
        while local < limit:
            if not self._day_matches(local):
                local = (local + timedelta(days=1)).replace(hour=0, minute=0)
                continue
            if local.hour not in self.hours:
                local = (local + timedelta(hours=1)).replace(minute=0)
                continue
            if local.minute not in self.minutes:
                local += timedelta(minutes=1)
                continue
            # Wall-clock arithmetic on an aware datetime keeps the fold; normalise
            # through UTC so a DST gap cannot yield a time that does not exist.
            candidate = local.replace(tzinfo=None).replace(tzinfo=zone).astimezone(UTC)
            if candidate > after:
                return candidate
            local += timedelta(minutes=1)
        raise ScheduleError(f"schedule '{self.expression}' never fires")

"""Cron-like schedules for periodic timers, read by cronsim in the schedule's own time zone.

    minute hour day-of-month month day-of-week      e.g. "0 6 * * mon"  (Mondays 06:00)
    @hourly  @daily  @weekly (Monday 00:00)  @monthly

The five fields are cron's (cronsim reads them as Debian cron does): `*`,
numbers, lists `1,15`, ranges `1-5`, steps `*/15` or `0-30/10`, day names
(mon..sun, 0 or 7 = Sunday) and month names (jan..dec); when both
day-of-month and day-of-week are restricted, either may match. Times are read
in the schedule's IANA time zone, and across a daylight-saving change:

- a schedule at fixed times ("30 2 * * *") fires once a day: a time inside
  the hour the clocks skip fires at the change (03:00), one inside the hour
  they repeat fires the first time round;
- a schedule that repeats within the hour or the day ("*/15 * * * *",
  "0 * * * *") follows real time: every quarter of an hour really passes.

The shorthands are handoff's own, so `@weekly` is Monday (cron's is Sunday).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError

from handoff.errors import HandoffError

__all__ = ["CronSchedule", "ScheduleError"]

_SHORTHANDS = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * mon",
    "@monthly": "0 0 1 * *",
}
_FIELDS = ("minute", "hour", "day-of-month", "month", "day-of-week")
_RANGES = {
    "minute": "0-59",
    "hour": "0-23",
    "day-of-month": "1-31, and a day some allowed month has",
    "month": "1-12 or jan-dec",
    "day-of-week": "0-7 or sun-sat",
}


class ScheduleError(HandoffError):
    """A schedule that cannot be read; names the field at fault."""


@dataclass(frozen=True)
class CronSchedule:
    """A checked schedule; `next_after(t)` is the first tick strictly after `t`."""

    expression: str
    fields: str
    """The five fields cronsim reads (a shorthand spelled out)."""
    timezone: str

    @classmethod
    def parse(cls, expression: str, timezone: str = "UTC") -> CronSchedule:
        """Read a schedule; raises ScheduleError naming the bad field or time zone."""
        fields = _SHORTHANDS.get(expression.strip().lower(), expression.strip())
        parts = fields.split()
        if len(parts) != len(_FIELDS):
            raise ScheduleError(
                f"schedule '{expression}': expected 5 fields (minute hour day month weekday) "
                f"or one of {', '.join(_SHORTHANDS)}"
            )
        try:
            zone = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ScheduleError(
                f"schedule '{expression}': unknown time zone '{timezone}'"
            ) from None
        schedule = cls(expression=expression, fields=fields, timezone=timezone)
        schedule._ticks(datetime(2026, 1, 1, tzinfo=zone))  # every field checked now
        return schedule

    def _ticks(self, start: datetime) -> CronSim:
        try:
            return CronSim(self.fields, start)
        except CronSimError as exc:
            raise self._error(str(exc)) from None

    def _error(self, problem: str) -> ScheduleError:
        """The field cronsim found bad ('Bad minute'), what it holds and what it takes."""
        parts = self.fields.split()
        for name, part in zip(_FIELDS, parts, strict=True):
            if problem.lower().endswith(name):
                return ScheduleError(
                    f"schedule '{self.expression}': {name} '{part}' is not valid "
                    f"(expected {_RANGES[name]})"
                )
        return ScheduleError(f"schedule '{self.expression}': {problem}")

    def next_after(self, after: datetime) -> datetime:
        """The first tick strictly after `after` (aware), in UTC."""
        local = after.astimezone(ZoneInfo(self.timezone))
        try:
            tick = next(self._ticks(local))
        except StopIteration:  # pragma: no cover - cronsim's iterator does not end
            raise ScheduleError(f"schedule '{self.expression}' never fires") from None
        except CronSimError as exc:
            raise self._error(str(exc)) from None
        return tick.astimezone(UTC)

"""Q12: the free meeting slots a rep's working hours and calendar leave (handoff.chat.meetings.slots)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from handoff.chat.meetings.slots import MAX_SLOTS, Slot, default_step, free_slots
from handoff.chat.routing.availability import WorkingHours
from handoff_sdk.entities import BusySlot

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
MINUTES_30 = timedelta(minutes=30)


def hours(table: dict[str, str] | None, timezone: str = "Europe/Paris") -> WorkingHours:
    return WorkingHours.parse(table, timezone)


def at(zone: ZoneInfo, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=zone)  # type: ignore[misc]


def busy(zone: ZoneInfo, day: tuple[int, int, int], start: str, end: str) -> BusySlot:
    def moment(text: str) -> datetime:
        hour, minute = (int(p) for p in text.split(":"))
        return datetime(*day, hour, minute, tzinfo=zone).astimezone(UTC)

    return BusySlot(start=moment(start), end=moment(end))


def starts(slots: list[Slot]) -> list[str]:
    return [s.start.isoformat() for s in slots]


def utc_starts(slots: list[Slot]) -> list[str]:
    return [s.start.astimezone(UTC).strftime("%d %H:%M") for s in slots]


def test_q12_slots_follow_working_hours_in_the_reps_time_zone() -> None:
    """Q12: Paris 09:00-12:00 is 08:00-11:00 UTC in winter; times are given in Paris time."""
    slots = free_slots(
        hours({"mon-fri": "09:00-12:00"}),
        [],
        start=datetime(2026, 1, 5, 6, 0, tzinfo=UTC),
        end=datetime(2026, 1, 6, 0, 0, tzinfo=UTC),
        duration=MINUTES_30,
    )
    assert starts(slots) == [
        "2026-01-05T09:00:00+01:00",
        "2026-01-05T09:30:00+01:00",
        "2026-01-05T10:00:00+01:00",
        "2026-01-05T10:30:00+01:00",
        "2026-01-05T11:00:00+01:00",
        "2026-01-05T11:30:00+01:00",
    ]
    assert slots[-1].end.isoformat() == "2026-01-05T12:00:00+01:00"
    assert all(s.end - s.start == MINUTES_30 for s in slots)


def test_q12_a_zone_west_of_utc_and_days_off() -> None:
    """Q12: New York 09:00-10:00 on weekdays; Saturday and Sunday offer nothing."""
    slots = free_slots(
        hours({"mon-fri": "09:00-10:00"}, "America/New_York"),
        [],
        start=at(NEW_YORK, 2026, 1, 9, 12, 0),  # Friday noon
        end=at(NEW_YORK, 2026, 1, 13, 0, 0),  # Tuesday midnight
        duration=MINUTES_30,
    )
    assert starts(slots) == ["2026-01-12T09:00:00-05:00", "2026-01-12T09:30:00-05:00"]
    assert utc_starts(slots) == ["12 14:00", "12 14:30"]


def test_q12_nine_oclock_local_on_both_sides_of_a_dst_change() -> None:
    """Q12: Paris goes to summer time on Sunday 2026-03-29: 09:00 is 08:00 UTC, then 07:00."""
    slots = free_slots(
        hours({"fri": "09:00-09:30", "mon": "09:00-09:30"}),
        [],
        start=datetime(2026, 3, 27, 0, 0, tzinfo=UTC),
        end=datetime(2026, 3, 31, 0, 0, tzinfo=UTC),
        duration=MINUTES_30,
    )
    assert starts(slots) == ["2026-03-27T09:00:00+01:00", "2026-03-30T09:00:00+02:00"]
    assert utc_starts(slots) == ["27 08:00", "30 07:00"]


def test_q12_on_the_spring_dst_day_missing_local_times_are_skipped() -> None:
    """Q12: 02:00-03:00 does not exist in Paris on 2026-03-29; a slot lasts real minutes."""
    slots = free_slots(
        hours({"sun": "01:00-04:00"}),
        [],
        start=datetime(2026, 3, 28, 0, 0, tzinfo=UTC),
        end=datetime(2026, 3, 30, 0, 0, tzinfo=UTC),
        duration=MINUTES_30,
    )
    assert starts(slots) == [
        "2026-03-29T01:00:00+01:00",
        "2026-03-29T01:30:00+01:00",
        "2026-03-29T03:00:00+02:00",
        "2026-03-29T03:30:00+02:00",
    ]
    # 01:30 CET + 30 real minutes is 03:00 CEST.
    assert slots[1].end.isoformat() == "2026-03-29T03:00:00+02:00"


def test_q12_on_the_autumn_dst_day_a_repeated_local_time_is_offered_twice() -> None:
    """Q12: 02:00-03:00 happens twice in Paris on 2026-10-25: both, in real-time order."""
    slots = free_slots(
        hours({"sun": "01:00-04:00"}),
        [],
        start=datetime(2026, 10, 24, 0, 0, tzinfo=UTC),
        end=datetime(2026, 10, 26, 0, 0, tzinfo=UTC),
        duration=MINUTES_30,
    )
    assert starts(slots) == [
        "2026-10-25T01:00:00+02:00",
        "2026-10-25T01:30:00+02:00",
        "2026-10-25T02:00:00+02:00",
        "2026-10-25T02:30:00+02:00",
        "2026-10-25T02:00:00+01:00",
        "2026-10-25T02:30:00+01:00",
        "2026-10-25T03:00:00+01:00",
        "2026-10-25T03:30:00+01:00",
    ]
    assert utc_starts(slots) == [
        "24 23:00",
        "24 23:30",
        "25 00:00",
        "25 00:30",
        "25 01:00",
        "25 01:30",
        "25 02:00",
        "25 02:30",
    ]
    assert all(s.end.astimezone(UTC) - s.start.astimezone(UTC) == MINUTES_30 for s in slots)


def test_q12_a_us_dst_day_keeps_local_nine_oclock() -> None:
    """Q12: New York springs forward on 2026-03-08: Monday 09:00 is 13:00 UTC, Friday 14:00."""
    slots = free_slots(
        hours({"mon-fri": "09:00-09:30"}, "America/New_York"),
        [],
        start=datetime(2026, 3, 6, 0, 0, tzinfo=UTC),
        end=datetime(2026, 3, 10, 0, 0, tzinfo=UTC),
        duration=MINUTES_30,
    )
    assert utc_starts(slots) == ["06 14:00", "09 13:00"]


@pytest.mark.parametrize(
    ("busy_from", "busy_to", "missing"),
    [
        ("10:00", "10:30", ["10:00"]),  # exactly one slot: its neighbours touch it, stay free
        ("10:10", "10:20", ["10:00"]),  # inside one slot
        ("09:59", "10:01", ["09:30", "10:00"]),  # one minute into each neighbour
        ("08:00", "09:30", ["09:00"]),  # from before the hours to a slot's start
        ("10:30", "13:00", ["10:30", "11:00", "11:30"]),  # to after the hours
    ],
)
def test_q12_busy_times_remove_exactly_the_slots_they_overlap(
    busy_from: str, busy_to: str, missing: list[str]
) -> None:
    """Q12: a slot may end when a busy time starts and start when it ends, not overlap it."""
    every = ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30"]
    slots = free_slots(
        hours({"mon-fri": "09:00-12:00"}),
        [busy(PARIS, (2026, 1, 5), busy_from, busy_to)],
        start=at(PARIS, 2026, 1, 5, 7, 0),
        end=at(PARIS, 2026, 1, 6, 0, 0),
        duration=MINUTES_30,
    )
    assert [s.start.strftime("%H:%M") for s in slots] == [t for t in every if t not in missing]


def test_q12_busy_times_from_several_calendars_may_overlap_and_come_unsorted() -> None:
    """Q12: busy times are merged whatever their order or time zone."""
    slots = free_slots(
        hours({"mon-fri": "09:00-12:00"}),
        [
            busy(PARIS, (2026, 1, 5), "11:00", "11:40"),
            BusySlot(
                start=at(NEW_YORK, 2026, 1, 5, 3, 0),  # 09:00 Paris
                end=at(NEW_YORK, 2026, 1, 5, 3, 45),  # 09:45 Paris
            ),
            busy(PARIS, (2026, 1, 5), "09:30", "10:00"),
        ],
        start=at(PARIS, 2026, 1, 5, 7, 0),
        end=at(PARIS, 2026, 1, 6, 0, 0),
        duration=MINUTES_30,
    )
    assert [s.start.strftime("%H:%M") for s in slots] == ["10:00", "10:30"]


def test_q12_notice_keeps_slots_that_start_too_soon_out() -> None:
    """Q12: 15 minutes' notice by default; a slot exactly `notice` away is offered."""
    table = hours({"mon-fri": "09:00-10:00"})
    window = {"end": at(PARIS, 2026, 1, 6, 0, 0), "duration": MINUTES_30}
    assert starts(free_slots(table, [], start=at(PARIS, 2026, 1, 5, 8, 45), **window)) == [
        "2026-01-05T09:00:00+01:00",
        "2026-01-05T09:30:00+01:00",
    ]
    assert starts(free_slots(table, [], start=at(PARIS, 2026, 1, 5, 8, 46), **window)) == [
        "2026-01-05T09:30:00+01:00"
    ]
    late = free_slots(table, [], start=at(PARIS, 2026, 1, 5, 8, 46), notice=timedelta(0), **window)
    assert starts(late)[0] == "2026-01-05T09:00:00+01:00"
    longer = free_slots(
        table,
        [],
        start=at(PARIS, 2026, 1, 5, 8, 0),
        notice=timedelta(hours=1, minutes=31),
        **window,
    )
    assert longer == []  # 09:31 is after the last start, 09:30


def test_q12_starts_are_aligned_to_the_step_from_local_midnight() -> None:
    """Q12: hours from 09:10 still offer :00/:30 starts; a 15-minute step offers quarters."""
    table = hours({"mon-fri": "09:10-11:00"})
    window = {"start": at(PARIS, 2026, 1, 5, 7, 0), "end": at(PARIS, 2026, 1, 6, 0, 0)}
    default = free_slots(table, [], duration=MINUTES_30, **window)
    assert [s.start.strftime("%H:%M") for s in default] == ["09:30", "10:00", "10:30"]
    hour_long = free_slots(
        table, [], duration=timedelta(hours=1), step=timedelta(minutes=15), **window
    )
    assert [s.start.strftime("%H:%M") for s in hour_long] == ["09:15", "09:30", "09:45", "10:00"]
    # In Kathmandu (UTC+05:45) the grid is still local: 09:00, 09:30, not UTC quarter hours.
    nepal = free_slots(
        hours({"mon-fri": "09:00-10:00"}, "Asia/Kathmandu"),
        [],
        start=datetime(2026, 1, 5, 0, 0, tzinfo=UTC),
        end=datetime(2026, 1, 6, 0, 0, tzinfo=UTC),
        duration=MINUTES_30,
    )
    assert starts(nepal) == ["2026-01-05T09:00:00+05:45", "2026-01-05T09:30:00+05:45"]


def test_q12_the_default_step_is_the_duration_at_most_half_an_hour() -> None:
    """Q12: 15-minute meetings every quarter hour, 45-minute ones on the half hour."""
    assert default_step(timedelta(minutes=15)) == timedelta(minutes=15)
    assert default_step(timedelta(minutes=45)) == MINUTES_30
    slots = free_slots(
        hours({"mon-fri": "09:00-10:30"}),
        [],
        start=at(PARIS, 2026, 1, 5, 7, 0),
        end=at(PARIS, 2026, 1, 6, 0, 0),
        duration=timedelta(minutes=45),
    )
    assert [s.start.strftime("%H:%M") for s in slots] == ["09:00", "09:30"]


def test_q12_touching_spans_are_one_and_a_day_may_end_at_midnight() -> None:
    """Q12: '09:00-12:00, 12:00-13:00' offers 11:30-12:30; '24:00' lets a slot end at midnight."""
    joined = free_slots(
        hours({"mon": "09:00-12:00, 12:00-13:00"}),
        [],
        start=at(PARIS, 2026, 1, 5, 7, 0),
        end=at(PARIS, 2026, 1, 6, 0, 0),
        duration=timedelta(hours=1),
    )
    assert "2026-01-05T11:30:00+01:00" in starts(joined)
    late = free_slots(
        hours({"mon": "23:00-24:00"}),
        [],
        start=at(PARIS, 2026, 1, 5, 7, 0),
        end=at(PARIS, 2026, 1, 7, 0, 0),
        duration=MINUTES_30,
    )
    assert [s.end.isoformat() for s in late] == [
        "2026-01-05T23:30:00+01:00",
        "2026-01-06T00:00:00+01:00",
    ]


def test_q12_the_window_end_cuts_a_slot_that_would_end_after_it() -> None:
    """Q12: no slot ends after `end`."""
    slots = free_slots(
        hours({"mon-fri": "09:00-12:00"}),
        [],
        start=at(PARIS, 2026, 1, 5, 7, 0),
        end=at(PARIS, 2026, 1, 5, 10, 15),
        duration=MINUTES_30,
    )
    assert [s.start.strftime("%H:%M") for s in slots] == ["09:00", "09:30"]


def test_q12_no_free_time_gives_an_empty_list() -> None:
    """Q12: a day busy from end to end, a weekend, a window too short: nothing to offer."""
    table = hours({"mon-fri": "09:00-17:00"})
    all_day = free_slots(
        table,
        [busy(PARIS, (2026, 1, 5), "08:00", "18:00")],
        start=at(PARIS, 2026, 1, 5, 7, 0),
        end=at(PARIS, 2026, 1, 6, 0, 0),
        duration=MINUTES_30,
    )
    weekend = free_slots(
        table,
        [],
        start=at(PARIS, 2026, 1, 10, 0, 0),
        end=at(PARIS, 2026, 1, 12, 0, 0),
        duration=MINUTES_30,
    )
    short = free_slots(
        table,
        [],
        start=at(PARIS, 2026, 1, 5, 10, 0),
        end=at(PARIS, 2026, 1, 5, 10, 40),
        duration=MINUTES_30,
    )
    assert all_day == weekend == short == []


def test_q12_a_rep_without_working_hours_is_offered_weekdays_nine_to_five() -> None:
    """Q12: no hours ('always' for chat) offers meetings Monday-Friday 09:00-17:00, local."""
    slots = free_slots(
        hours(None, "America/New_York"),
        [],
        start=at(NEW_YORK, 2026, 1, 9, 0, 0),  # Friday
        end=at(NEW_YORK, 2026, 1, 13, 0, 0),  # Tuesday midnight
        duration=timedelta(hours=2),
        step=timedelta(hours=2),
    )
    assert [s.start.strftime("%a %H:%M") for s in slots] == [
        "Fri 10:00",
        "Fri 12:00",
        "Fri 14:00",
        "Mon 10:00",
        "Mon 12:00",
        "Mon 14:00",
    ]
    night = free_slots(
        hours({"mon-sun": "00:00-24:00"}, "America/New_York"),
        [],
        start=at(NEW_YORK, 2026, 1, 10, 0, 0),
        end=at(NEW_YORK, 2026, 1, 10, 6, 0),
        duration=timedelta(hours=2),
        step=timedelta(hours=2),
    )
    assert [s.start.strftime("%a %H:%M") for s in night] == ["Sat 02:00", "Sat 04:00"]


def test_q12_the_count_is_capped() -> None:
    """Q12: at most `limit` (default MAX_SLOTS) slots, the earliest."""
    table = hours({"mon-sun": "00:00-24:00"}, "UTC")
    start = datetime(2026, 1, 5, 0, 0, tzinfo=UTC)
    window = {"start": start, "end": start + timedelta(days=14)}
    every = free_slots(table, [], duration=timedelta(minutes=15), **window)
    assert len(every) == MAX_SLOTS
    assert every[0].start == start + timedelta(minutes=15)
    three = free_slots(table, [], duration=timedelta(minutes=15), limit=3, **window)
    assert three == every[:3]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"start": datetime(2026, 1, 5, 9, 0)}, "start: expected a timezone-aware"),
        ({"end": datetime(2026, 1, 6, 9, 0)}, "end: expected a timezone-aware"),
        ({"duration": timedelta(0)}, "duration: expected more than zero"),
        ({"step": timedelta(minutes=-5)}, "step: expected more than zero"),
        ({"notice": timedelta(minutes=-1)}, "notice: expected zero or more"),
        ({"limit": -1}, "limit: expected zero or more"),
        (
            {"busy": [BusySlot(start=datetime(2026, 1, 5, 9), end=datetime(2026, 1, 5, 10))]},
            "busy[0].start: expected a timezone-aware",
        ),
    ],
)
def test_q12_bad_arguments_are_named(change: dict[str, object], message: str) -> None:
    """Q12: a wrong argument is a ValueError naming it, not a wrong list."""
    arguments: dict[str, object] = {
        "busy": [],
        "start": datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
        "end": datetime(2026, 1, 6, 9, 0, tzinfo=UTC),
        "duration": MINUTES_30,
        **change,
    }
    busy_times = arguments.pop("busy")
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        free_slots(hours({"mon-fri": "09:00-17:00"}), busy_times, **arguments)  # type: ignore[arg-type]

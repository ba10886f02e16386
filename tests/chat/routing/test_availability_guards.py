"""Q3 availability edges found missing by mutation testing (`make mutation`): each test kills
mutants of handoff/chat/routing/availability.py that survived the suite.

The first and last minute of a day in working hours, and the times that are
not times of day (each named as such, not left to `datetime.time` to refuse);
a day range's both ends and its wrap past Sunday; a day range with one unknown
end; the first instant of a span, an empty span; a daily cap of 0; a snapshot
read on SQLite writes nothing; the presence is read again only when a change
advanced its version; the busy times asked of every calendar for the next half
hour, failures as notes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import pytest
from sqlalchemy import event, select

from handoff.chat.routing.availability import (
    AvailabilitySnapshot,
    WorkingHours,
    fetch_busy,
    load_snapshot,
    set_rep_status,
)
from handoff.config import ConnectorSettings, HubConfig
from handoff.hub import Hub
from handoff.plugins import Discovery
from handoff.store import Cursor, Store
from handoff_sdk import Connector, ConnectorError, FakeClock, hookimpl
from handoff_sdk.entities import BusySlot, Rep, RepStatus
from handoff_sdk.secrets import DictSecrets

MONDAY = datetime(2026, 1, 5, tzinfo=UTC)


def test_q3_working_hours_may_start_in_the_last_hour_and_minute_and_end_at_midnight() -> None:
    late = WorkingHours.parse({"mon": "23:59-24:00"}, "UTC")
    assert late.contains(MONDAY.replace(hour=23, minute=59, second=59))
    assert late.contains(MONDAY.replace(hour=23, minute=59, second=59, microsecond=999998))
    assert not late.contains(MONDAY.replace(hour=23, minute=58))
    day = WorkingHours.parse({"mon": "00:00-23:59"}, "UTC")
    assert day.contains(MONDAY.replace(hour=23, minute=58, second=59))
    assert not day.contains(MONDAY.replace(hour=23, minute=59))
    evening = WorkingHours.parse({"mon": "22:30-23:30"}, "UTC")
    assert evening.contains(MONDAY.replace(hour=23, minute=29))
    assert not evening.contains(MONDAY.replace(hour=23, minute=30))


@pytest.mark.parametrize(
    "span", ["24:00-24:00", "09:00-25:00", "09:60-10:00", "09:00-10:60", "09:00-24:01"]
)
def test_q3_a_span_outside_the_day_is_named_not_a_time_of_day(span: str) -> None:
    with pytest.raises(ValueError, match=f"^tue: not a time of day in '{span}'$"):
        WorkingHours.parse({"tue": span}, "UTC")


@pytest.mark.parametrize("days", ["mon-someday", "someday-fri"])
def test_q3_a_day_range_with_one_unknown_end_is_named(days: str) -> None:
    with pytest.raises(ValueError, match=f"^unknown day range '{days}' "):
        WorkingHours.parse({days: "09:00-17:00"}, "UTC")


def test_q3_a_daily_cap_of_zero_takes_no_chat_even_before_the_first() -> None:
    snapshot = AvailabilitySnapshot(now=MONDAY, statuses={"amy": RepStatus.ONLINE})
    always = WorkingHours.parse(None)
    assert snapshot.unavailable_reason("amy", always, daily_cap=0) == "capped (0/0 today)"
    assert snapshot.unavailable_reason("amy", always, daily_cap=1) is None


def test_q3_on_sqlite_a_capped_reps_snapshot_writes_no_counter(store: Store) -> None:
    """SQLite's writer lock already serialises decisions: reading a snapshot there creates no
    counter row (on PostgreSQL it creates it, to lock it) and a rep not routed today has none."""
    with store.transaction() as session:
        snapshot = load_snapshot(session, now=MONDAY, reps=[("amy", "UTC")], capped=["amy"])
    assert snapshot.routed_today == {}
    with store.sessions() as session:
        assert list(session.scalars(select(Cursor.name))) == []


@contextmanager
def statements(store: Store) -> Iterator[list[str]]:
    """The SQL statements run on the store while the block runs."""
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(args[2])

    event.listen(store.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(store.engine, "before_cursor_execute", record)


def test_q3_the_presence_is_read_again_only_after_a_change(store: Store) -> None:
    """One query per snapshot while nobody changed a presence (the version is read with the
    counters); a change anywhere makes the next snapshot read the presence again."""
    with store.transaction() as session:
        set_rep_status(session, "amy", RepStatus.ONLINE, now=MONDAY)

    def snapshot_queries() -> tuple[int, dict[str, RepStatus]]:
        with store.sessions() as session:
            with statements(store) as seen:
                snapshot = load_snapshot(session, now=MONDAY, reps=[("amy", "UTC")])
            return len([s for s in seen if s.lstrip().upper().startswith("SELECT")]), (
                snapshot.statuses
            )

    assert snapshot_queries() == (2, {"amy": RepStatus.ONLINE})  # first read
    assert snapshot_queries() == (1, {"amy": RepStatus.ONLINE})  # cached at this version
    with store.transaction() as session:
        set_rep_status(session, "amy", RepStatus.AWAY, now=MONDAY + timedelta(minutes=1))
    assert snapshot_queries() == (2, {"amy": RepStatus.AWAY})
    assert snapshot_queries() == (1, {"amy": RepStatus.AWAY})


@pytest.mark.parametrize(
    ("days", "working"),
    [
        ("mon-fri", {"mon", "tue", "wed", "thu", "fri"}),
        ("wed-wed", {"wed"}),
        ("fri-mon", {"fri", "sat", "sun", "mon"}),
        ("sun-tue", {"sun", "mon", "tue"}),
        ("sat-sun", {"sat", "sun"}),
        ("sun", {"sun"}),
    ],
)
def test_q3_a_day_range_covers_both_ends_and_wraps_past_sunday(
    days: str, working: set[str]
) -> None:
    hours = WorkingHours.parse({days: "09:00-17:00"}, "UTC")
    week = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    at_ten = {name: MONDAY.replace(hour=10) + timedelta(days=n) for n, name in enumerate(week)}
    assert {name for name, moment in at_ten.items() if hours.contains(moment)} == working


def test_q3_working_hours_start_at_their_first_instant_and_refuse_an_empty_span() -> None:
    hours = WorkingHours.parse({"mon": "09:00-17:00"}, "UTC")
    assert hours.contains(MONDAY.replace(hour=9))
    assert not hours.contains(MONDAY.replace(hour=8, minute=59, second=59))
    with pytest.raises(ValueError, match=r"^mon: the span '09:00-09:00' ends before it starts$"):
        WorkingHours.parse({"mon": "09:00-09:00"}, "UTC")


def test_q3_parsed_working_hours_cannot_be_changed_by_a_caller() -> None:
    """One parsed table is shared by every decision of a rep: it is frozen (and hashable)."""
    hours = WorkingHours.parse({"mon": "09:00-17:00"}, "UTC")
    with pytest.raises(AttributeError):
        hours.timezone = "Asia/Tokyo"  # type: ignore[misc]
    assert hash(hours) == hash(WorkingHours.parse({"mon": "09:00-17:00"}, "UTC"))


class Calendar(Connector):
    """A calendar in memory: each rep's busy slots; a rep in `down` makes it raise."""

    name = "cal"
    title = "Calendar"
    busy: ClassVar[dict[str, list[BusySlot]]] = {}
    down: ClassVar[set[str]] = set()
    asked: ClassVar[list[tuple[str, datetime, datetime]]] = []

    @hookimpl
    async def handoff_rep_busy(self, rep: Rep, start: datetime, end: datetime) -> list[BusySlot]:
        type(self).asked.append((rep.id, start, end))
        if rep.id in type(self).down:
            raise ConnectorError(self.name, "calendar down")
        return list(type(self).busy.get(rep.id, []))


class OtherCalendar(Calendar):
    """A second calendar, with busy times and outages of its own."""

    name = "other"
    busy: ClassVar[dict[str, list[BusySlot]]] = {}
    down: ClassVar[set[str]] = set()
    asked: ClassVar[list[tuple[str, datetime, datetime]]] = []


@pytest.fixture
def calendars() -> Iterator[tuple[type[Calendar], ...]]:
    classes = (Calendar, OtherCalendar)
    for cls in classes:
        cls.busy, cls.down, cls.asked = {}, set(), []
    yield classes
    for cls in classes:
        cls.busy, cls.down, cls.asked = {}, set(), []


def hub_with(*classes: type[Connector]) -> Hub:
    return Hub(
        HubConfig(connectors={cls.name: ConnectorSettings() for cls in classes}),
        secrets=lambda name: DictSecrets(name, {}),
        discovery=Discovery(
            connectors={cls.name: cls for cls in classes},
            packages=dict.fromkeys((cls.name for cls in classes), "test"),
        ),
        clock=FakeClock(MONDAY.replace(hour=9)),
    )


def slot(hour: int, minutes: int = 30) -> BusySlot:
    start = MONDAY.replace(hour=hour)
    return BusySlot(start=start, end=start + timedelta(minutes=minutes))


async def test_q3_busy_times_come_from_every_calendar_for_the_next_half_hour(
    calendars: tuple[type[Calendar], type[Calendar]],
) -> None:
    """Each calendar is asked about each rep for [now, now + 30 min); slots of both calendars
    are kept; a calendar that fails for a rep is a note, and the rep counts as free there."""
    first, second = calendars
    first.busy = {"ana": [slot(9)], "ned": [slot(10)]}
    second.busy = {"ana": [slot(11)], "ned": [slot(12)]}
    second.down = {"ned"}
    now = MONDAY.replace(hour=9)
    reps = [Rep(id="ana", name="Ana"), Rep(id="ned", name="Ned"), Rep(id="bo", name="Bo")]
    async with hub_with(first, second) as hub:
        busy, notes = await fetch_busy(hub, reps, now=now)
    assert busy == {"ana": [slot(9), slot(11)], "ned": [slot(10)], "bo": []}
    assert notes == ["other: busy times of ned unknown (other: calendar down)"]
    window = (now, now + timedelta(minutes=30))
    assert first.asked == [(rep.id, *window) for rep in reps]
    assert sorted(second.asked) == sorted((rep.id, *window) for rep in reps)


async def test_q3_no_rep_or_no_calendar_asks_nothing(
    calendars: tuple[type[Calendar], type[Calendar]],
) -> None:
    first, _ = calendars
    first.busy = {"ana": [slot(9)]}
    now = MONDAY.replace(hour=9)
    async with hub_with(first) as hub:
        assert await fetch_busy(hub, [], now=now) == ({}, [])
        assert first.asked == []
        window = timedelta(hours=2)
        found = await fetch_busy(hub, [Rep(id="ana", name="Ana")], now=now, window=window)
        assert found == ({"ana": [slot(9)]}, [])
        assert first.asked == [("ana", now, now + window)]
    async with hub_with(Silent) as hub:
        assert await fetch_busy(hub, [Rep(id="ana", name="Ana")], now=now) == ({}, [])


class Silent(Connector):
    """A connector with no calendar."""

    name = "silent"
    title = "Silent"

"""Q3 availability edges found missing by mutation testing (`make mutation`): each test kills
mutants of handoff/chat/routing/availability.py that survived the suite.

The first and last minute of a day in working hours, and the times that are
not times of day (each named as such, not left to `datetime.time` to refuse);
a day range with one unknown end; a daily cap of 0; a snapshot read on SQLite
writes nothing; the presence is read again only when a change advanced its
version.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select

from handoff.chat.routing.availability import (
    AvailabilitySnapshot,
    WorkingHours,
    load_snapshot,
    set_rep_status,
)
from handoff.store import Cursor, Store
from handoff_sdk.entities import RepStatus

MONDAY = datetime(2026, 1, 5, tzinfo=UTC)


def test_q3_working_hours_may_start_in_the_last_hour_and_minute_and_end_at_midnight() -> None:
    late = WorkingHours.parse({"mon": "23:59-24:00"}, "UTC")
    assert late.contains(MONDAY.replace(hour=23, minute=59, second=59))
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

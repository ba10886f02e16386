"""Q3 availability: presence set through the API (audited), working hours in IANA zones, busy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from handoff.chat.routing.availability import (
    AvailabilitySnapshot,
    WorkingHours,
    count_routed,
    load_snapshot,
    rep_statuses,
    set_rep_status,
)
from handoff.store import Audit, Store
from handoff_sdk.entities import BusySlot, RepStatus

MONDAY_9_UTC = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def test_q3_set_rep_status_is_stored_and_audited(store: Store) -> None:
    with store.transaction() as session:
        set_rep_status(session, "r-ana", RepStatus.ONLINE, now=MONDAY_9_UTC)
        set_rep_status(session, "r-bob", RepStatus.AWAY, now=MONDAY_9_UTC)
    with store.transaction() as session:
        set_rep_status(session, "r-ana", RepStatus.OFFLINE, now=MONDAY_9_UTC, actor="ana")
    with store.sessions() as session:
        assert rep_statuses(session) == {"r-ana": RepStatus.OFFLINE, "r-bob": RepStatus.AWAY}
        rows = session.scalars(select(Audit).where(Audit.subject_id == "r-ana")).all()
    assert [(r.action, r.details["status"], r.details["previous"]) for r in rows] == [
        ("rep.status", "online", None),
        ("rep.status", "offline", "online"),
    ]
    assert rows[-1].actor == "ana"


def test_q3_working_hours_follow_the_reps_time_zone() -> None:
    paris = WorkingHours.parse({"mon-fri": "09:00-17:30"}, "Europe/Paris")
    tokyo = WorkingHours.parse({"mon-fri": "09:00-18:00"}, "Asia/Tokyo")
    # 09:00 UTC on a Monday is 10:00 in Paris and 18:00 in Tokyo (end excluded).
    assert paris.contains(MONDAY_9_UTC)
    assert not tokyo.contains(MONDAY_9_UTC)
    assert tokyo.contains(MONDAY_9_UTC - timedelta(minutes=1))
    saturday = MONDAY_9_UTC + timedelta(days=5)
    assert not paris.contains(saturday)


def test_q3_working_hours_several_spans_and_wrapping_day_range() -> None:
    hours = WorkingHours.parse({"sat-mon": "08:00-12:00, 13:00-24:00"}, "UTC")
    assert hours.contains(MONDAY_9_UTC)
    assert not hours.contains(MONDAY_9_UTC.replace(hour=12, minute=30))
    assert hours.contains(MONDAY_9_UTC.replace(hour=23, minute=59))
    assert not hours.contains(MONDAY_9_UTC + timedelta(days=1))  # Tuesday
    assert WorkingHours.parse(None).contains(MONDAY_9_UTC)


@pytest.mark.parametrize(
    ("table", "zone", "message"),
    [
        ({"mon": "9-17"}, "UTC", "mon: expected 'HH:MM-HH:MM'"),
        ({"mon": "17:00-09:00"}, "UTC", "ends before it starts"),
        ({"funday": "09:00-17:00"}, "UTC", "unknown day 'funday'"),
        ({"mon": "09:00-17:00"}, "Mars/Olympus", "unknown IANA time zone 'Mars/Olympus'"),
    ],
)
def test_q3_bad_working_hours_are_named(table: dict[str, str], zone: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        WorkingHours.parse(table, zone)


def test_q3_unavailable_reasons_in_order() -> None:
    always = WorkingHours.parse(None)
    snap = AvailabilitySnapshot(
        now=MONDAY_9_UTC,
        statuses={"on": RepStatus.ONLINE, "away": RepStatus.AWAY, "busy": RepStatus.ONLINE},
        busy={
            "busy": [BusySlot(start=MONDAY_9_UTC, end=MONDAY_9_UTC + timedelta(minutes=30))],
            "on": [BusySlot(start=MONDAY_9_UTC - timedelta(hours=1), end=MONDAY_9_UTC)],
        },
        routed_today={"on": 5},
    )
    assert snap.unavailable_reason("on", always) is None
    assert snap.unavailable_reason("never-set", always) == "offline"
    assert snap.unavailable_reason("away", always) == "away"
    assert snap.unavailable_reason("busy", always).startswith("busy (calendar) until")  # type: ignore[union-attr]
    assert snap.unavailable_reason("on", always, daily_cap=5) == "capped (5/5 today)"
    assert snap.unavailable_reason("on", always, daily_cap=6) is None
    assert snap.unavailable_reason("never-set", always, is_ai=True) is None
    night = WorkingHours.parse({"mon-fri": "13:00-17:00"}, "UTC")
    assert snap.unavailable_reason("on", night) == (
        "outside working hours (mon-fri 13:00-17:00 UTC)"
    )


def test_q3_daily_counts_are_per_local_day(store: Store) -> None:
    late = datetime(2026, 1, 5, 23, 30, tzinfo=UTC)  # already Tuesday in Tokyo
    with store.transaction() as session:
        set_rep_status(session, "r-ana", RepStatus.ONLINE, now=late)
        count_routed(session, "r-ana", now=late, timezone="UTC")
        count_routed(session, "r-ana", now=late, timezone="UTC")
        count_routed(session, "r-ken", now=late, timezone="Asia/Tokyo")
    with store.sessions() as session:
        snap = load_snapshot(session, now=late, reps=[("r-ana", "UTC"), ("r-ken", "Asia/Tokyo")])
        next_day = load_snapshot(session, now=late + timedelta(hours=1), reps=[("r-ana", "UTC")])
    assert snap.routed_today == {"r-ana": 2, "r-ken": 1}
    assert snap.statuses == {"r-ana": RepStatus.ONLINE}
    assert next_day.routed_today == {}


def test_q3_snapshot_json_round_trip() -> None:
    snap = AvailabilitySnapshot(
        now=MONDAY_9_UTC,
        statuses={"a": RepStatus.AWAY},
        busy={"a": [BusySlot(start=MONDAY_9_UTC, end=MONDAY_9_UTC + timedelta(hours=1))]},
        routed_today={"a": 3},
    )
    again = AvailabilitySnapshot.from_json(snap.to_json(), MONDAY_9_UTC)
    assert again == snap


def test_q3_presence_set_by_another_process_reaches_the_next_snapshot(store: Store) -> None:
    """Presence is cached per database between decisions; a change anywhere invalidates it."""
    other = Store(store.url)  # another process's engine on the same database
    try:
        with store.transaction() as session:
            set_rep_status(session, "amy", RepStatus.ONLINE, now=MONDAY_9_UTC)
        with store.transaction() as session:
            assert (
                load_snapshot(session, now=MONDAY_9_UTC, reps=[]).status("amy") is RepStatus.ONLINE
            )
        with other.transaction() as session:
            set_rep_status(session, "amy", RepStatus.AWAY, now=MONDAY_9_UTC)
            set_rep_status(session, "bo", RepStatus.ONLINE, now=MONDAY_9_UTC)
        with store.transaction() as session:
            snapshot = load_snapshot(session, now=MONDAY_9_UTC, reps=[])
        assert snapshot.statuses == {"amy": RepStatus.AWAY, "bo": RepStatus.ONLINE}
        with store.transaction() as session:
            snapshot.statuses["bo"] = RepStatus.OFFLINE  # a caller's copy, not the cache
            again = load_snapshot(session, now=MONDAY_9_UTC, reps=[])
        assert again.statuses == {"amy": RepStatus.AWAY, "bo": RepStatus.ONLINE}
    finally:
        other.dispose()


def test_q3_a_reps_day_is_their_local_day_not_the_utc_day(store: Store) -> None:
    """Found by mutation testing: counting by the UTC date passed the test above."""
    tokyo = [("r-ken", "Asia/Tokyo")]
    tuesday_1am_jst = datetime(2026, 1, 5, 16, 0, tzinfo=UTC)  # Monday in UTC
    with store.transaction() as session:
        count_routed(session, "r-ken", now=tuesday_1am_jst, timezone="Asia/Tokyo")
    tuesday_10am_jst = datetime(2026, 1, 6, 1, 0, tzinfo=UTC)  # Tuesday in UTC as well
    monday_11pm_jst = datetime(2026, 1, 5, 14, 0, tzinfo=UTC)  # the same UTC day as the count
    with store.sessions() as session:
        same_local_day = load_snapshot(session, now=tuesday_10am_jst, reps=tokyo)
        day_before = load_snapshot(session, now=monday_11pm_jst, reps=tokyo)
    assert same_local_day.routed_today == {"r-ken": 1}
    assert day_before.routed_today == {}

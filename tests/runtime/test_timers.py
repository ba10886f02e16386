"""Timers fired by the worker on the injected clock: one-off (Q4's 30 s AI takeover, a 21-day
follow-up) and periodic (daily, weekly); tests advance a FakeClock instead of waiting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from handoff.hub import Hub
from handoff.runtime import (
    CronSchedule,
    JobSpec,
    ScheduleError,
    Worker,
    cancel_timer,
    schedule_periodic,
    schedule_timer,
)
from handoff.store import Job, Store, Timer, TimerState
from handoff_sdk import FakeClock
from handoff_sdk.entities import Notification

from .conftest import RecordingConnector


def takeover(text: str) -> JobSpec:
    return JobSpec.call(
        "recorder", "handoff_send_notification", "ignored", notification=Notification(text=text)
    )


async def test_q4_ai_takes_over_30_seconds_after_the_chat_was_routed(
    store: Store, clock: FakeClock, hub: Hub, recorder: type[RecordingConnector]
) -> None:
    with store.transaction() as s:
        schedule_timer(
            s,
            "ai-takeover:conv-1",
            takeover("AI takes conv-1"),
            now=clock.now(),
            after=timedelta(seconds=30),
        )
    worker = Worker(store, hub=hub, clock=clock)
    clock.advance(29)
    await worker.run_once()
    assert recorder.calls == []
    clock.advance(1)
    await worker.run_once()  # fires the timer and runs its job in the same tick
    assert [c[2].text for c in recorder.calls] == ["AI takes conv-1"]
    clock.advance(3600)
    await worker.run_once()
    assert len(recorder.calls) == 1  # a one-off fires once
    with store.sessions() as s:
        timer = s.scalar(select(Timer))
        assert timer is not None
        assert (timer.state, timer.fired_count) == (TimerState.FIRED, 1)
        [job] = s.scalars(select(Job)).all()
        assert job.idempotency_key == "timer:ai-takeover:conv-1:2026-01-05T09:00:30+00:00"


async def test_a_timer_cancelled_before_it_is_due_never_fires(
    store: Store, clock: FakeClock, hub: Hub, recorder: type[RecordingConnector]
) -> None:
    with store.transaction() as s:
        schedule_timer(
            s, "ai-takeover:conv-2", takeover("x"), now=clock.now(), after=timedelta(seconds=30)
        )
    clock.advance(10)
    with store.transaction() as s:
        assert cancel_timer(s, "ai-takeover:conv-2") is True  # a rep answered in time
        assert cancel_timer(s, "ai-takeover:conv-2") is False
    clock.advance(60)
    await Worker(store, hub=hub, clock=clock).run_once()
    assert recorder.calls == []


async def test_21_days_after_the_last_attempt_and_rescheduling_moves_it(
    store: Store, clock: FakeClock, hub: Hub, recorder: type[RecordingConnector]
) -> None:
    with store.transaction() as s:
        schedule_timer(
            s, "recycle:lead-1", takeover("recycle"), now=clock.now(), after=timedelta(days=21)
        )
    clock.advance(timedelta(days=10).total_seconds())
    with store.transaction() as s:  # another attempt: the 21 days start again
        schedule_timer(
            s, "recycle:lead-1", takeover("recycle"), now=clock.now(), after=timedelta(days=21)
        )
    worker = Worker(store, hub=hub, clock=clock)
    clock.advance(timedelta(days=11).total_seconds())
    await worker.run_once()
    assert recorder.calls == []
    clock.advance(timedelta(days=10).total_seconds())
    await worker.run_once()
    assert len(recorder.calls) == 1


async def test_a_weekly_timer_fires_every_monday_and_skips_missed_weeks(
    store: Store, clock: FakeClock, hub: Hub, recorder: type[RecordingConnector]
) -> None:
    # FakeClock starts Monday 2026-01-05 09:00 UTC.
    with store.transaction() as s:
        timer = schedule_periodic(
            s, "weekly-ranks", "0 6 * * mon", takeover("ranks"), now=clock.now()
        )
        assert timer.due_at == datetime(2026, 1, 12, 6, 0, tzinfo=UTC)
    worker = Worker(store, hub=hub, clock=clock)
    clock.advance(timedelta(days=7).total_seconds() - 3 * 3600 - 1)  # Mon 12th 05:59:59
    await worker.run_once()
    assert recorder.calls == []
    clock.advance(1)
    await worker.run_once()
    assert len(recorder.calls) == 1
    clock.advance(timedelta(days=21).total_seconds())  # the hub was down three weeks
    await worker.run_once()
    await worker.run_once()
    assert len(recorder.calls) == 2  # one catch-up firing, not three
    with store.sessions() as s:
        timer = s.scalars(select(Timer)).one()
        assert timer.state == TimerState.PENDING
        assert timer.due_at == datetime(2026, 2, 9, 6, 0, tzinfo=UTC)
        keys = list(s.scalars(select(Job.idempotency_key).order_by(Job.id)))
    assert keys == [
        "timer:weekly-ranks:2026-01-12T06:00:00+00:00",
        "timer:weekly-ranks:2026-01-19T06:00:00+00:00",
    ]


@pytest.mark.parametrize(
    ("expression", "timezone", "after", "expected"),
    [
        ("@daily", "UTC", "2026-01-05T09:00:00+00:00", "2026-01-06T00:00:00+00:00"),
        ("30 8 * * *", "UTC", "2026-01-05T08:30:00+00:00", "2026-01-06T08:30:00+00:00"),
        ("@weekly", "UTC", "2026-01-05T00:00:00+00:00", "2026-01-12T00:00:00+00:00"),
        ("*/15 * * * *", "UTC", "2026-01-05T09:07:00+00:00", "2026-01-05T09:15:00+00:00"),
        ("0 9 1 * *", "UTC", "2026-01-05T09:00:00+00:00", "2026-02-01T09:00:00+00:00"),
        ("0 9 * * mon-fri", "UTC", "2026-01-09T10:00:00+00:00", "2026-01-12T09:00:00+00:00"),
        # 09:00 in New York: EST (UTC-5) in January, EDT (UTC-4) after the March change.
        ("0 9 * * *", "America/New_York", "2026-01-05T00:00:00+00:00", "2026-01-05T14:00:00+00:00"),
        ("0 9 * * *", "America/New_York", "2026-03-08T12:00:00+00:00", "2026-03-08T13:00:00+00:00"),
        ("0 0 13 * fri", "UTC", "2026-01-05T00:00:00+00:00", "2026-01-09T00:00:00+00:00"),
        ("0 6 * * 7", "UTC", "2026-01-05T00:00:00+00:00", "2026-01-11T06:00:00+00:00"),
        ("0 6 1 jan,jul *", "UTC", "2026-01-05T00:00:00+00:00", "2026-07-01T06:00:00+00:00"),
        ("0 6 * * *", "Europe/Paris", "2026-01-05T05:00:00+00:00", "2026-01-06T05:00:00+00:00"),
        # New York springs forward on 2026-03-08 (02:00 -> 03:00): 02:30 does not exist that
        # day, so the daily 02:30 fires at the change, 03:00 EDT (07:00 UTC), then 02:30 EDT.
        (
            "30 2 * * *",
            "America/New_York",
            "2026-03-07T12:00:00+00:00",
            "2026-03-08T07:00:00+00:00",
        ),
        (
            "30 2 * * *",
            "America/New_York",
            "2026-03-08T07:00:00+00:00",
            "2026-03-09T06:30:00+00:00",
        ),
        # It falls back on 2026-11-01 (01:00-02:00 twice): the daily 01:30 fires once, the first
        # time round (EDT, 05:30 UTC); the next is 01:30 EST on the 2nd.
        (
            "30 1 * * *",
            "America/New_York",
            "2026-10-31T12:00:00+00:00",
            "2026-11-01T05:30:00+00:00",
        ),
        (
            "30 1 * * *",
            "America/New_York",
            "2026-11-01T05:30:00+00:00",
            "2026-11-02T06:30:00+00:00",
        ),
        # An hourly schedule follows real time: the repeated hour gets its own tick.
        ("0 * * * *", "America/New_York", "2026-11-01T05:00:00+00:00", "2026-11-01T06:00:00+00:00"),
    ],
)
def test_cron_next_tick(expression: str, timezone: str, after: str, expected: str) -> None:
    cron = CronSchedule.parse(expression, timezone)
    assert cron.next_after(datetime.fromisoformat(after)) == datetime.fromisoformat(expected)


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("0 6 * *", "expected 5 fields"),
        ("61 * * * *", r"minute '61' is not valid \(expected 0-59\)"),
        ("0 6 * * funday", r"day-of-week 'funday' is not valid \(expected 0-7 or sun-sat\)"),
        ("*/0 * * * *", "minute '\\*/0' is not valid"),
        ("0 0 31 2 *", "day-of-month '31' is not valid .*a day some allowed month has"),
        ("0 25 * * *", "hour '25' is not valid"),
        ("0 6 * 13 *", "month '13' is not valid"),
    ],
)
def test_bad_schedules_name_the_field(expression: str, message: str) -> None:
    with pytest.raises(ScheduleError, match=message):
        CronSchedule.parse(expression).next_after(datetime(2026, 1, 1, tzinfo=UTC))


def test_an_unknown_time_zone_is_refused() -> None:
    with pytest.raises(ScheduleError, match="unknown time zone 'Mars/Base'"):
        CronSchedule.parse("@daily", "Mars/Base")

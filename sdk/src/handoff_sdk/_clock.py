"""Injected time: every timer, backoff and rate window reads one of these clocks."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "FakeClock", "RealSleepClock", "SystemClock"]


@runtime_checkable
class Clock(Protocol):
    """What the hub and connectors ask for the time, so tests can move it instead of sleeping."""

    def now(self) -> datetime:
        """Wall-clock time, timezone-aware (UTC)."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes backwards, for windows and deadlines."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait; a fake clock advances instead."""
        ...


class SystemClock:
    """The real clock, used in production."""

    def now(self) -> datetime:
        """Current UTC time."""
        return datetime.now(UTC)

    def monotonic(self) -> float:
        """The process's monotonic clock."""
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        """Really wait."""
        if seconds > 0:
            await asyncio.sleep(seconds)


class FakeClock:
    """A clock that tests advance by hand; `sleep` advances it and returns at once.

    Every sleep is recorded in `sleeps`, so a test can assert that a Retry-After
    of 7 seconds was honoured without waiting 7 seconds.
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
        self._mono = 1_000.0
        self.sleeps: list[float] = []

    def now(self) -> datetime:
        """The fake current time."""
        return self._now

    def monotonic(self) -> float:
        """The fake monotonic reading."""
        return self._mono

    def advance(self, seconds: float) -> None:
        """Move time forward, as if `seconds` had passed."""
        if seconds < 0:
            raise ValueError("a clock does not go backwards")
        self._now += timedelta(seconds=seconds)
        self._mono += seconds

    async def sleep(self, seconds: float) -> None:
        """Record the sleep, advance the clock, and let other tasks run."""
        seconds = max(0.0, seconds)
        self.sleeps.append(seconds)
        self.advance(seconds)
        await asyncio.sleep(0)

    @property
    def slept(self) -> float:
        """Total seconds slept so far."""
        return sum(self.sleeps)


class RealSleepClock(FakeClock):
    """A FakeClock whose sleeps also really wait: for a test that talks to a live API.

    Recording cassettes meets a real API's limits; a Retry-After it sends must
    be waited out in real time, or the API is hammered. The test still reads
    the fake time (its `now` is as fixed as ever), and `sleeps` records the waits.
    """

    async def sleep(self, seconds: float) -> None:
        """Wait `seconds` for real, then advance the fake time by as much."""
        seconds = max(0.0, seconds)
        await asyncio.sleep(seconds)
        await super().sleep(seconds)

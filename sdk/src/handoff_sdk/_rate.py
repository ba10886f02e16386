"""One rate budget per connector, shared by every call that connector makes."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from pydantic import BaseModel, ConfigDict, Field

from ._clock import Clock

__all__ = ["RateBudget", "RateLimit"]


class RateLimit(BaseModel):
    """How much of an API a connector may use: N requests per window, M at once."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    requests: int = Field(gt=0, description="Requests allowed per window.")
    per_seconds: float = Field(gt=0, description="Length of the window in seconds.")
    concurrency: int = Field(default=10, gt=0, description="Requests in flight at once.")


class RateBudget:
    """A sliding-window limit plus a concurrency cap, on an injected clock.

    Every request of a connector passes through `slot()`. A 429 pauses the
    whole budget (`pause_for`), so sibling calls stop too instead of each
    discovering the limit on its own.
    """

    def __init__(self, limit: RateLimit, clock: Clock) -> None:
        self.limit = limit
        self._clock = clock
        self._sent: deque[float] = deque()
        self._paused_until = 0.0
        self._semaphore = asyncio.Semaphore(limit.concurrency)
        self._lock = asyncio.Lock()
        self.waited = 0.0

    def pause_for(self, seconds: float) -> None:
        """Hold every call of this connector for `seconds` (a Retry-After)."""
        self._paused_until = max(self._paused_until, self._clock.monotonic() + seconds)

    async def _take(self) -> None:
        async with self._lock:
            while True:
                now = self._clock.monotonic()
                while self._sent and self._sent[0] <= now - self.limit.per_seconds:
                    self._sent.popleft()
                wait = self._paused_until - now
                if wait <= 0 and len(self._sent) >= self.limit.requests:
                    wait = self._sent[0] + self.limit.per_seconds - now
                if wait <= 0:
                    self._sent.append(now)
                    return
                self.waited += wait
                await self._clock.sleep(wait)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Wait for room in the window and a free concurrency slot, then hold it."""
        async with self._semaphore:
            await self._take()
            yield

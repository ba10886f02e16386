"""Backoff with full jitter, bounded, never shorter than what the API asked for."""

from __future__ import annotations

import random

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["RetryPolicy"]


class RetryPolicy(BaseModel):
    """How many times to try a call and how long to wait between tries."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    attempts: int = Field(default=5, ge=1, description="Tries in all, the first included.")
    base_seconds: float = Field(default=0.5, ge=0, description="First backoff ceiling.")
    max_seconds: float = Field(default=60.0, ge=0, description="Largest wait between tries.")

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        """Seconds before try number `attempt + 1`; Retry-After wins when it is longer."""
        ceiling = min(self.max_seconds, self.base_seconds * (2 ** (attempt - 1)))
        jittered = rng.uniform(0, ceiling)
        if retry_after is not None:
            return max(retry_after, jittered)
        return jittered

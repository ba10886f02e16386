"""Failed sign-ins, counted per user name and per client: guessing passwords is refused (429).

A password guesser gets `SignInLimits.per_name` wrong tries at one user
name, and one client (its address) `per_client` wrong tries at any names,
within `window`; past that the sign-in form answers 429 with Retry-After,
without checking the password (so a refused try costs no Argon2 hash and
tells nothing), until the oldest counted failure leaves the window. A
successful sign-in clears the failures of its user name (not of its
client: one account someone holds does not reset their guessing at
others). Time is the console's clock, so tests move it instead of waiting.

Kept in the memory of each server process (the libraries for this, such
as `limits` and `slowapi`, count every request on the wall clock, where
this counts failures only, on an injected clock): a cluster of N servers
allows up to N times the tries; docs/console.md "Signing in" says so.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["SignInLimiter", "SignInLimits", "SignInRefusal"]


@dataclass(frozen=True)
class SignInLimits:
    """How many failed sign-ins are allowed within `window`, per user name and per client."""

    per_name: int = 5
    per_client: int = 20
    window: timedelta = timedelta(minutes=15)


@dataclass(frozen=True)
class SignInRefusal:
    """Why a sign-in is refused now, and in how many seconds one may try again."""

    message: str
    retry_after: int


class SignInLimiter:
    """The failed sign-ins of the last window, by user name and by client."""

    def __init__(self, limits: SignInLimits | None = None, *, max_keys: int = 10_000) -> None:
        self.limits = limits or SignInLimits()
        self.max_keys = max_keys
        """At most this many names and clients are remembered (the oldest forgotten first)."""
        self._failures: dict[tuple[str, str], deque[datetime]] = {}

    @staticmethod
    def _keys(name: str, client: str) -> tuple[tuple[str, str], tuple[str, str]]:
        return ("name", name.strip().casefold()), ("client", client)

    def _recent(self, key: tuple[str, str], now: datetime) -> deque[datetime]:
        found = self._failures.get(key)
        if found is None:
            return deque()
        while found and found[0] <= now - self.limits.window:
            found.popleft()
        if not found:
            del self._failures[key]
        return found

    def refusal(self, name: str, client: str, *, now: datetime) -> SignInRefusal | None:
        """Why a sign-in as `name` from `client` is refused now; None when it may be tried."""
        by_name, by_client = self._keys(name, client)
        for key, allowed, what in (
            (by_name, self.limits.per_name, "for this user name"),
            (by_client, self.limits.per_client, "from your address"),
        ):
            recent = self._recent(key, now)
            if len(recent) >= allowed:
                freed = recent[len(recent) - allowed] + self.limits.window
                seconds = max(1, math.ceil((freed - now).total_seconds()))
                minutes = math.ceil(seconds / 60)
                return SignInRefusal(
                    message=f"Too many failed sign-ins {what}: try again in "
                    f"{minutes} minute{'s' if minutes != 1 else ''}.",
                    retry_after=seconds,
                )
        return None

    def failed(self, name: str, client: str, *, now: datetime) -> None:
        """Count a failed sign-in (a wrong password or an unknown name)."""
        for key in self._keys(name, client):
            self._recent(key, now)
            self._failures.setdefault(key, deque()).append(now)
        if len(self._failures) > self.max_keys:
            for key in list(self._failures):
                self._recent(key, now)  # forgets the keys with no failure left in the window
            while len(self._failures) > self.max_keys:
                oldest = min(self._failures, key=lambda k: self._failures[k][-1])
                del self._failures[oldest]

    def succeeded(self, name: str) -> None:
        """A sign-in as `name` worked: its user name's failures are forgotten."""
        self._failures.pop(self._keys(name, "")[0], None)

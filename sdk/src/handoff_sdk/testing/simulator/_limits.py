"""Per-account rate windows and concurrency, enforced the way a vendor's gateway does."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from handoff_sdk._clock import Clock

from ._model import Limits, RateWindow, Refusal

__all__ = ["LimitState", "Usage"]


@dataclass(frozen=True)
class Usage:
    """How much of one window an account has used: for the vendor's usage headers."""

    window: RateWindow
    used: int
    remaining: int
    reset_seconds: float


@dataclass
class _Account:
    in_flight: int = 0
    sent: dict[tuple[str, str], deque[float]] = field(default_factory=dict)


class LimitState:
    """The windows and in-flight counts of every account, on the simulator's clock.

    A request that a limit refuses does not use up the window: a client
    that waits for the Retry-After it was given gets through.
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._accounts: dict[str, _Account] = {}

    def clear(self) -> None:
        """Forget every window and in-flight count."""
        self._accounts.clear()

    def in_flight(self, account: str) -> int:
        """Requests of `account` being answered now."""
        return self._account(account).in_flight

    def _account(self, account: str) -> _Account:
        return self._accounts.setdefault(account, _Account())

    def _window(self, state: _Account, scope: str, window: RateWindow) -> deque[float]:
        sent = state.sent.setdefault((scope, window.name), deque())
        horizon = self._clock.monotonic() - window.per_seconds
        while sent and sent[0] <= horizon:
            sent.popleft()
        return sent

    def enter(
        self, account: str, limits: Limits, endpoint: str, endpoint_windows: tuple[RateWindow, ...]
    ) -> None:
        """Admit one request of `account`, or raise the Refusal of the first limit it breaks.

        Call `leave` once the request is answered.
        """
        state = self._account(account)
        if limits.concurrency is not None and state.in_flight >= limits.concurrency:
            raise Refusal(
                "too_many_concurrent",
                f"more than {limits.concurrency} requests at once",
                limit="concurrency",
            )
        scoped = [("account", w) for w in limits.windows] + [
            (endpoint, w) for w in endpoint_windows
        ]
        now = self._clock.monotonic()
        for scope, window in scoped:
            sent = self._window(state, scope, window)
            if len(sent) >= window.requests:
                raise Refusal(
                    "rate_limited",
                    f"more than {window.requests} requests in {window.per_seconds:g} s",
                    limit=window.name,
                    retry_after=max(0.0, sent[0] + window.per_seconds - now),
                )
        for scope, window in scoped:
            self._window(state, scope, window).append(now)
        state.in_flight += 1

    def leave(self, account: str) -> None:
        """The request admitted by `enter` has been answered."""
        self._account(account).in_flight -= 1

    def usage(self, account: str, window: RateWindow, scope: str = "account") -> Usage:
        """The state of one window of `account`, for headers such as `ratelimit-remaining`."""
        sent = self._window(self._account(account), scope, window)
        now = self._clock.monotonic()
        reset = sent[0] + window.per_seconds - now if sent else 0.0
        used = len(sent)
        return Usage(window, used, max(0, window.requests - used), max(0.0, reset))

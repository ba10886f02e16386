"""When the database fails: which errors mean "unavailable", how to say so safely, the last one.

An outage (PostgreSQL restarting, a network partition, a full or read-only
disk, a lock held too long) is not a bug in the request that met it: the API
answers 503, the worker backs off and tries again, and /health says why. A
database error's text can carry row values (PostgreSQL's "DETAIL: Failing
row contains (...)" holds a visitor's email), so what is logged or stored is
only the first line of the driver's message, never the statement's
parameters (the engine is also built with `hide_parameters=True`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import exc as sa_exc

from handoff.errors import HandoffError

if TYPE_CHECKING:
    from handoff.store.engine import Store

__all__ = [
    "StoreHealth",
    "StoreUnavailableError",
    "describe_store_error",
    "is_unavailable",
    "wait_until_available",
]

log = logging.getLogger("handoff.store")

_UNAVAILABLE_SQLSTATE_CLASSES = {
    "08",  # connection exception
    "53",  # insufficient resources: disk full, out of memory, too many connections
    "57",  # operator intervention: admin shutdown, cannot connect now
    "58",  # system error: I/O error
}
_READ_ONLY_TRANSACTION = "25006"  # a standby, or a primary demoted after a failover


class StoreUnavailableError(HandoffError):
    """The database cannot take the write now (outage, full or read-only disk); try again later."""


def is_unavailable(exc: BaseException) -> bool:
    """Whether `exc` says the database is out of reach or cannot write, rather than a bug.

    Connection refused or lost, server shutting down, pool exhausted, disk full,
    read-only file or standby, lock held past the busy timeout.
    """
    if isinstance(exc, StoreUnavailableError | sa_exc.TimeoutError):
        return True
    if not isinstance(exc, sa_exc.DBAPIError):
        return False
    if exc.connection_invalidated or isinstance(
        exc, sa_exc.OperationalError | sa_exc.InterfaceError
    ):
        return True
    sqlstate = getattr(exc.orig, "sqlstate", None)
    return isinstance(sqlstate, str) and (
        sqlstate[:2] in _UNAVAILABLE_SQLSTATE_CLASSES or sqlstate == _READ_ONLY_TRANSACTION
    )


def describe_store_error(exc: BaseException) -> str:
    """One line naming the database error, without parameters, statement or row values.

    For a driver error: its class and the first line of its message (the
    PostgreSQL DETAIL line, which quotes values, is dropped).
    """
    if isinstance(exc, sa_exc.DBAPIError) and exc.orig is not None:
        original: BaseException = exc.orig
    else:
        original = exc
    if isinstance(original, sa_exc.StatementError):  # a wrapper without a driver error
        return type(original).__name__
    first = (str(original).strip().splitlines() or [""])[0]
    return f"{type(original).__name__}: {first}" if first else type(original).__name__


@dataclass(frozen=True)
class StoreFailure:
    """The last write that failed because the database was unavailable."""

    at: datetime
    problem: str


class StoreHealth:
    """What the writers of one process last saw: the latest outage, cleared by a success.

    Intake and the worker report each write's fate here, so /health can say
    "the last write failed: database or disk is full" even when a probe that
    writes nothing new (a rolled-back insert) still succeeds.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failure: StoreFailure | None = None

    def failed(self, exc: BaseException, *, now: datetime | None = None) -> None:
        """A write failed because the database is unavailable."""
        with self._lock:
            self._failure = StoreFailure(now or datetime.now(UTC), describe_store_error(exc))

    def succeeded(self) -> None:
        """A write was committed: the database takes writes again."""
        if self._failure is not None:
            with self._lock:
                self._failure = None

    @property
    def failure(self) -> StoreFailure | None:
        """The outage seen by the latest write, or None when the latest write succeeded."""
        return self._failure


def wait_until_available(
    store: Store,
    check: Callable[[Store], object],
    *,
    sleep: Callable[[float], object] = time.sleep,
    first: float = 1.0,
    longest: float = 30.0,
) -> None:
    """Run `check` until the database answers it, waiting (doubling, capped) through an outage.

    For `handoff worker` and `handoff serve` starting while the database is
    still down (a reboot brings both up at once): they log each try and start
    when it answers, instead of exiting. Errors that are not an outage (a
    wrong schema revision) are raised at once.
    """
    tries = 0
    while True:
        try:
            check(store)
        except Exception as exc:
            if not is_unavailable(exc):
                raise
            tries += 1
            delay = min(longest, first * 2 ** (tries - 1))
            log.warning(
                "the database %s is unavailable (%s); trying again in %g s",
                store.describe(),
                describe_store_error(exc),
                delay,
            )
            sleep(delay)
            continue
        if tries:
            log.warning(
                "the database %s answers again after %d failed tries", store.describe(), tries
            )
        return

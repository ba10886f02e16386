"""Readiness, liveness, and the answer every route gives while the database is unavailable.

- `GET /health/live`: the process is up and its event loop answers (restart it
  when this fails).
- `GET /health`: ready for traffic. 503 with the reasons when the database
  cannot take a write (probe: an insert rolled back), when a write of this
  process failed for that reason within the last 30 s, or when the in-process
  worker (`--with-worker`) is not running or is backing off.
- A database outage met by any route (intake, meetings, presence, ...)
  answers 503 in the API's refusal shape with `Retry-After`, never a
  plain-text 500; the log names the error without its parameters.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Literal

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import SQLAlchemyError

from handoff import __version__
from handoff.runtime.worker import WorkerState, WorkerStatus
from handoff.server.models import Refused
from handoff.server.responses import refused
from handoff.store import Store, StoreUnavailableError, describe_store_error, is_unavailable
from handoff_sdk import Clock

__all__ = [
    "PROBE_TIMEOUT_S",
    "RECENT_FAILURE",
    "RETRY_AFTER_S",
    "UNAVAILABLE",
    "health_routes",
    "install_outage_handlers",
]

log = logging.getLogger("handoff.server")

RECENT_FAILURE = timedelta(seconds=30)
"""How long a write that failed for an outage keeps /health at 503 (unless a write succeeds)."""

PROBE_TIMEOUT_S = 5.0
"""How long /health waits for the database's answer to its probe."""

RETRY_AFTER_S = 5
"""The `Retry-After` of a 503 answered during an outage."""

UNAVAILABLE: dict[int | str, dict[str, Any]] = {
    503: {
        "model": Refused,
        "description": "The database cannot store anything right now (unreachable, full or "
        "read-only disk); nothing was stored. Retry after `Retry-After` seconds.",
    }
}
"""The OpenAPI entry of the outage answer, for every route that writes or reads the store."""


class DatabaseHealth(BaseModel):
    """Whether the database takes writes."""

    dialect: str = Field(description="'sqlite' or 'postgresql'.")
    writable: bool = Field(description="A probe write succeeded and no recent write failed.")
    problem: str | None = Field(default=None, description="Why not, when not.")


class WorkerHealth(BaseModel):
    """The in-process worker of `handoff serve --with-worker`."""

    state: WorkerState = Field(description="starting, running, backing_off or stopped.")
    since: datetime = Field(description="When it entered this state.")
    problem: str | None = Field(default=None, description="The error it is backing off from.")
    retry_at: datetime | None = Field(default=None, description="When it tries again.")


class Health(BaseModel):
    """Readiness: 200 when every check passes, else 503 with `problems`."""

    status: Literal["ok", "unavailable"] = Field(description="'ok' when ready for traffic.")
    database: DatabaseHealth
    worker: WorkerHealth | None = Field(
        default=None, description="Only when the server runs a worker (--with-worker)."
    )
    problems: list[str] = Field(default_factory=list, description="Each failed check, in words.")


class Liveness(BaseModel):
    """The process is up and its event loop answers."""

    status: Literal["alive"] = "alive"
    version: str = Field(description="The handoff version running.")


def _database(store: Store, clock: Clock, probe: BaseException | None) -> DatabaseHealth:
    if probe is not None:
        return DatabaseHealth(
            dialect=store.dialect, writable=False, problem=describe_store_error(probe)
        )
    failure = store.health.failure
    if failure is not None and failure.at > clock.now() - RECENT_FAILURE:
        return DatabaseHealth(
            dialect=store.dialect,
            writable=False,
            problem=f"a write failed at {failure.at.isoformat()}: {failure.problem}",
        )
    return DatabaseHealth(dialect=store.dialect, writable=True)


def health_routes(
    store: Store, *, clock: Clock, worker: Callable[[], WorkerStatus | None]
) -> APIRouter:
    """GET /health (readiness) and GET /health/live (liveness).

    `worker` gives the in-process worker's status, or None when the server
    runs without one.
    """
    router = APIRouter(tags=["operations"])

    @router.get(
        "/health",
        response_model=Health,
        responses={503: {"model": Health, "description": "Not ready; `problems` says why."}},
    )
    async def health() -> JSONResponse:
        """Ready for traffic: the database takes writes and the in-process worker runs."""
        probe: BaseException | None = None
        try:
            await asyncio.wait_for(asyncio.to_thread(store.check_writable), PROBE_TIMEOUT_S)
        except TimeoutError:
            probe = StoreUnavailableError(f"no answer to a probe within {PROBE_TIMEOUT_S:g} s")
        except Exception as exc:  # any failure to write is the answer, not an error
            probe = exc
        report = Health(status="ok", database=_database(store, clock, probe))
        if not report.database.writable:
            report.problems.append(f"database cannot be written: {report.database.problem}")
        status = worker()
        if status is not None:
            report.worker = WorkerHealth(
                state=status.state,
                since=status.since,
                problem=status.problem,
                retry_at=status.retry_at,
            )
            if status.state is not WorkerState.RUNNING:
                report.problems.append(
                    f"worker {status.state.value}"
                    + (f": {status.problem}" if status.problem else "")
                )
        if report.problems:
            report.status = "unavailable"
        return JSONResponse(
            status_code=503 if report.problems else 200, content=report.model_dump(mode="json")
        )

    @router.get("/health/live", response_model=Liveness)
    async def live() -> Liveness:
        """The process is up (the event loop answered); says nothing about the database."""
        return Liveness(version=__version__)

    return router


def install_outage_handlers(
    app: FastAPI, store: Store, *, clock: Clock, refused_count: Callable[[str], None]
) -> None:
    """Answer 503 (JSON, `Retry-After`) to a database outage met by any route, 500 JSON to a bug.

    Both log one line without the statement's parameters; a driver error's
    text can quote row values, so no traceback of it is printed.
    """

    def outage(exc: BaseException) -> JSONResponse:
        store.health.failed(exc, now=clock.now())
        refused_count("database_unavailable")
        answer = refused(503, "the database is unavailable; nothing was stored, retry later")
        answer.headers["Retry-After"] = str(RETRY_AFTER_S)
        return answer

    @app.exception_handler(StoreUnavailableError)
    async def unavailable(_request: Request, exc: StoreUnavailableError) -> JSONResponse:
        return outage(exc)  # the intake logged it already, once per batch

    @app.exception_handler(SQLAlchemyError)
    async def database_error(request: Request, exc: SQLAlchemyError) -> JSONResponse:
        problem = describe_store_error(exc)
        if is_unavailable(exc):
            log.error(
                "%s %s: the database is unavailable (%s)", request.method, request.url.path, problem
            )
            return outage(exc)
        log.error("%s %s failed: %s", request.method, request.url.path, problem)
        refused_count("internal_error")
        return refused(500, "internal error; the server log says more")

"""Jobs: the outbox's queued, running, failing and dead jobs, with retry and discard.

The list is `handoff jobs list`'s (`list_jobs`, `job_counts`, plus the
failing ones: queued again after an error); Retry and Discard are
`operator_change`, as `handoff jobs retry|discard` runs it, audited in the
signed-in user's name (`console:<name>`). Ops only.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from handoff.api_keys import Scope
from handoff.console.web import (
    PREFIX,
    ConsoleError,
    ConsolePages,
    NavItem,
    Viewer,
    console_of,
    render,
    require_role,
)
from handoff.runtime import (
    FAILING,
    JobError,
    audit_trail,
    failing_count,
    job_counts,
    list_jobs,
    operator_change,
)
from handoff.store import Job, JobState

__all__ = ["JOB_STATES", "LIMIT", "job_pages"]

JOB_STATES = ("queued", FAILING, "running", "dead", "done")
"""What the page filters on: the stored states, and failing (queued again after an error)."""
DEFAULT_STATES = ("queued", "running", "dead")
"""Shown when no state is chosen: what is not finished well (failing jobs are queued)."""
LIMIT = 200
"""The newest this many jobs are listed."""


def _states(chosen: list[str]) -> tuple[str, ...]:
    wrong = [s for s in chosen if s not in JOB_STATES]
    if wrong:
        raise ConsoleError(
            400, f"state: expected one of {', '.join(JOB_STATES)}, got {wrong[0][:50]!r}"
        )
    return tuple(dict.fromkeys(chosen)) or DEFAULT_STATES


def _row(job: Job) -> dict[str, Any]:
    failing = job.state == JobState.QUEUED.value and job.last_error is not None
    return {
        "id": job.id,
        "state": job.state,
        "failing": failing,
        "target": f"{job.connector}.{job.hook}" if job.hook else job.kind,
        "attempts": job.attempts,
        "max_attempts": job.max_attempts,
        "run_after": job.run_after.isoformat(),
        "last_error": job.last_error,
        "decision_id": job.decision_id,
        "idempotency_key": job.idempotency_key,
        "can_retry": job.state == JobState.DEAD.value,
        "can_discard": job.state in (JobState.QUEUED.value, JobState.DEAD.value),
    }


def job_pages() -> ConsolePages:
    """The Jobs page and its Retry and Discard actions."""
    router = APIRouter()

    @router.get("/jobs")
    async def jobs_page(
        request: Request, _viewer: Annotated[Viewer, require_role(Scope.OPS)]
    ) -> Response:
        """The newest jobs in the chosen states, their errors and attempts; recent actions."""
        states = _states(request.query_params.getlist("state"))
        done = request.query_params.get("done")
        job = request.query_params.get("job", "")
        notice = (
            f"Job {job} {'queued again' if done == 'retry' else 'discarded'}."
            if done in ("retry", "discard") and job.isdigit()
            else None
        )
        back = "?" + "&".join(f"state={s}" for s in states)
        store = console_of(request).store

        def read() -> dict[str, Any]:
            with store.sessions() as session:
                return {
                    "jobs": [_row(j) for j in list_jobs(session, states=states, limit=LIMIT)],
                    "counts": job_counts(session),
                    "failing": failing_count(session),
                    "trail": audit_trail(session, actions=("jobs.retry", "jobs.discard")),
                }

        found = await asyncio.to_thread(read)
        return render(
            request,
            "jobs.html",
            {
                **found,
                "states": states,
                "all_states": JOB_STATES,
                "limit": LIMIT,
                "notice": notice,
                "back": back,
            },
        )

    @router.post("/jobs/{job_id}/{action}")
    async def change(
        request: Request,
        job_id: int,
        action: str,
        viewer: Annotated[Viewer, require_role(Scope.OPS)],
    ) -> Response:
        """Retry a dead job, or discard a queued or dead one; audited with the signed-in user.

        Answered with a redirect back to the list (as it was filtered), which
        says what was done; a job that cannot be changed is a 409 page saying why.
        """
        if action not in ("retry", "discard"):
            raise ConsoleError(404, f"No action '{action[:50]}' on a job: retry or discard")
        store, clock = console_of(request).store, console_of(request).clock

        form = await request.form()
        back = str(form.get("back") or "")
        query = back if back.startswith("?") and len(back) < 500 else ""

        def write() -> None:
            with store.transaction() as session:
                operator_change(session, action, [job_id], actor=viewer.actor, now=clock.now())

        try:
            await asyncio.to_thread(write)
        except JobError as exc:
            raise ConsoleError(409, str(exc)) from None
        joiner = "&" if query else "?"
        return RedirectResponse(
            f"{PREFIX}/jobs{query}{joiner}done={action}&job={job_id}", status_code=303
        )

    return ConsolePages(router=router, nav=(NavItem("Jobs", "/jobs", (Scope.OPS,), order=50),))

"""The Jobs page over HTTP: states, errors and attempts; retry and discard audited with the
signed-in user; ops only; CSRF."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

import httpx
from console_kit import sign_in  # type: ignore[import-not-found]
from ops_kit import routed  # type: ignore[import-not-found]
from sqlalchemy import select, update

from handoff.console.users import UserInfo
from handoff.store import Audit, Job, Store
from handoff_sdk import FakeClock


def text_of(answer: httpx.Response) -> str:
    """The page's main part as text: no tags, unescaped."""
    return html.unescape(re.sub(r"<[^>]+>", "", answer.text.split("<main", 1)[-1]))


def job_of(store: Store, decision: int) -> Job:
    """The job a decision caused."""
    with store.sessions() as session:
        return session.scalars(select(Job).where(Job.decision_id == decision)).one()


async def test_ops_retry_a_dead_job_and_discard_a_failing_one_audited_in_their_name(
    store: Store,
    clock: FakeClock,
    console_client: httpx.AsyncClient,
    console_user: Callable[..., UserInfo],
) -> None:
    dead = job_of(store, routed(store, clock, "c-1", "ana", error="salesforce: 503 Unavailable"))
    failing = job_of(store, routed(store, clock, "c-2", "bo"))
    done = job_of(store, routed(store, clock, "c-3", "bo"))
    with store.transaction() as session:
        session.execute(
            update(Job).where(Job.id == failing.id).values(attempts=2, last_error="timed out")
        )
        session.execute(update(Job).where(Job.id == done.id).values(state="done", attempts=1))
    console_user("olga", "ops")
    csrf = await sign_in(console_client, "olga")
    page = text_of(await console_client.get("/console/jobs"))
    assert "salesforce: 503 Unavailable" in page
    assert "8 of 8" in page
    assert "timed out" in page
    assert "failing: 1" in page
    assert "write-back:c-3" not in page  # done jobs are not shown unless asked for
    only_failing = text_of(await console_client.get("/console/jobs?state=failing"))
    assert "timed out" in only_failing
    assert "salesforce: 503" not in only_failing
    assert "write-back:c-3" in text_of(await console_client.get("/console/jobs?state=done"))
    bad = await console_client.get("/console/jobs?state=asleep")
    assert bad.status_code == 400
    assert "state: expected one of queued, failing, running, dead, done" in text_of(bad)
    # Without the CSRF token: refused, the job still dead.
    forged = await console_client.post(f"/console/jobs/{dead.id}/retry")
    assert forged.status_code == 403
    assert job_of(store, dead.decision_id or 0).state == "dead"
    retried = await console_client.post(
        f"/console/jobs/{dead.id}/retry", data={"csrf_token": csrf, "back": "?state=dead"}
    )
    assert retried.status_code == 303
    assert retried.headers["location"] == f"/console/jobs?state=dead&done=retry&job={dead.id}"
    again = job_of(store, dead.decision_id or 0)
    assert (again.state, again.attempts) == ("queued", 0)
    assert f"Job {dead.id} queued again." in text_of(
        await console_client.get(retried.headers["location"])
    )
    # A done job cannot be retried: said, not a traceback.
    refused = await console_client.post(f"/console/jobs/{done.id}/retry", data={"csrf_token": csrf})
    assert refused.status_code == 409
    assert f"job {done.id} is done, not dead" in text_of(refused)
    discarded = await console_client.post(
        f"/console/jobs/{failing.id}/discard", data={"csrf_token": csrf}
    )
    assert discarded.status_code == 303
    assert job_of(store, failing.decision_id or 0).last_error == "discarded by an operator"
    with store.sessions() as session:
        audits = [
            (a.actor, a.action, a.details["ids"])
            for a in session.scalars(select(Audit).where(Audit.action.like("jobs.%")))
        ]
    assert audits == [
        ("console:olga", "jobs.retry", [dead.id]),
        ("console:olga", "jobs.discard", [failing.id]),
    ]
    trail = text_of(await console_client.get("/console/jobs"))
    assert f"console:olga retried job {dead.id}" in trail
    assert f"console:olga discarded job {failing.id}" in trail


async def test_a_rep_is_refused_the_operations_pages(
    console_client: httpx.AsyncClient, console_user: Callable[..., UserInfo]
) -> None:
    console_user("ana", "rep", rep="ana")
    csrf = await sign_in(console_client, "ana")
    for path in ("/console/jobs", "/console/misroutes"):
        refused = await console_client.get(path)
        assert refused.status_code == 403, path
        assert "This page is for the admin or ops role" in text_of(refused)
    posted = await console_client.post("/console/jobs/1/retry", data={"csrf_token": csrf})
    assert posted.status_code == 403
    assert "Jobs" not in text_of(await console_client.get("/console")).split("Your pages")[-1]

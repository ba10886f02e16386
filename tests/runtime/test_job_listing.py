"""What operators see and change of the outbox: `list_jobs` (its state filters, `failing`,
newest first, its limit), `failing_count`, `job_counts`, and `operator_change` (retry or
discard, all the ids or none, audited). The CLI (`handoff jobs list|retry|discard`) and the
console's Jobs page call these; their own tests drive them over HTTP and the command line,
these pin the listing's exact rules so a mutant of jobs.py cannot hide (`make mutation`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from handoff.runtime import (
    FAILING,
    JobError,
    JobSpec,
    claim_jobs,
    enqueue,
    failing_count,
    job_counts,
    list_jobs,
    operator_change,
)
from handoff.runtime.jobs import complete_job, fail_job
from handoff.store import Audit, Job, JobState, Store
from handoff_sdk import FakeClock

LEASE = timedelta(minutes=5)


def spec(key: str) -> JobSpec:
    return JobSpec(kind="reindex", idempotency_key=key)


def ids_of(store: Store) -> dict[str, int]:
    with store.sessions() as s:
        return {job.idempotency_key: job.id for job in s.scalars(select(Job))}


def one_of_each(store: Store, clock: FakeClock) -> dict[str, int]:
    """Jobs in every state, written in this order: done, dead, failing-1, running,
    failing-2 (queued again after an error), queued (never tried). Their ids, by key."""
    with store.transaction() as s:
        enqueue(s, [spec(k) for k in ("done", "dead", "failing-1", "running")], now=clock.now())
        enqueue(s, [spec("failing-2")], now=clock.now())
    claimed = {
        job.idempotency_key: job
        for job in claim_jobs(store, now=clock.now(), lease=LEASE, limit=10)
    }
    with store.transaction() as s:
        assert complete_job(s, claimed["done"], now=clock.now())
        assert fail_job(s, claimed["dead"], "refused", now=clock.now(), permanent=True)
        assert fail_job(s, claimed["failing-1"], "timed out", now=clock.now())
        assert fail_job(s, claimed["failing-2"], "slack down", now=clock.now())
        enqueue(s, [spec("queued")], now=clock.now())
    return ids_of(store)


def listed(store: Store, **kwargs: Any) -> list[str]:
    with store.sessions() as s:
        return [job.idempotency_key for job in list_jobs(s, **kwargs)]


def test_jobs_are_listed_newest_first_in_the_states_asked_for(
    store: Store, clock: FakeClock
) -> None:
    one_of_each(store, clock)
    assert listed(store) == ["queued", "failing-2", "running", "failing-1", "dead", "done"]
    assert listed(store, states=["queued"]) == ["queued", "failing-2", "failing-1"]
    assert listed(store, states=["running", "done"]) == ["running", "done"]
    assert listed(store, states=["dead"]) == ["dead"]


def test_failing_lists_the_queued_jobs_whose_last_attempt_failed(
    store: Store, clock: FakeClock
) -> None:
    one_of_each(store, clock)
    assert listed(store, states=[FAILING]) == ["failing-2", "failing-1"]
    # A dead job has an error too, but it is not waiting to be tried again.
    assert listed(store, states=[FAILING, "dead"]) == ["failing-2", "failing-1", "dead"]
    assert listed(store, states=["done", FAILING]) == ["failing-2", "failing-1", "done"]
    with store.sessions() as s:
        assert failing_count(s) == 2
        assert job_counts(s) == {"queued": 3, "running": 1, "done": 1, "dead": 1}


def test_no_failing_job_counts_zero(store: Store, clock: FakeClock) -> None:
    with store.transaction() as s:
        enqueue(s, [spec("fresh")], now=clock.now())
    with store.sessions() as s:
        assert failing_count(s) == 0


def test_the_listing_keeps_the_newest_fifty_unless_told_otherwise(
    store: Store, clock: FakeClock
) -> None:
    with store.transaction() as s:
        enqueue(s, [spec(f"k-{n:02}") for n in range(52)], now=clock.now())
    newest = [f"k-{n:02}" for n in reversed(range(52))]
    assert listed(store) == newest[:50]
    assert listed(store, limit=3) == newest[:3]
    assert listed(store, states=["queued"], limit=1) == newest[:1]


def audit_lines(store: Store) -> list[tuple[str, str, dict[str, object]]]:
    with store.sessions() as s:
        return [(a.actor, a.action, a.details) for a in s.scalars(select(Audit).order_by(Audit.id))]


def states(store: Store) -> dict[str, tuple[str, int, str | None]]:
    with store.sessions() as s:
        return {
            job.idempotency_key: (job.state, job.attempts, job.last_error)
            for job in s.scalars(select(Job))
        }


def test_an_operator_retries_dead_jobs_and_discards_queued_ones_in_their_name(
    store: Store, clock: FakeClock
) -> None:
    ids = one_of_each(store, clock)
    with store.transaction() as s:
        assert operator_change(s, "retry", [ids["dead"]], actor="cli", now=clock.now()) == 1
        discarded = [ids["queued"], ids["failing-1"]]
        assert operator_change(s, "discard", discarded, actor="console:ann", now=clock.now()) == 2
    after = states(store)
    assert after["dead"] == (JobState.QUEUED.value, 0, "refused")
    assert after["queued"] == (JobState.DEAD.value, 0, "discarded by an operator")
    assert after["failing-1"] == (JobState.DEAD.value, 1, "discarded by an operator")
    assert audit_lines(store) == [
        ("cli", "jobs.retry", {"ids": [ids["dead"]], "changed": 1}),
        ("console:ann", "jobs.discard", {"ids": discarded, "changed": 2}),
    ]


def test_an_operator_change_names_every_id_it_refuses_and_changes_nothing(
    store: Store, clock: FakeClock
) -> None:
    ids = one_of_each(store, clock)
    before = states(store)
    refusals = [
        ("retry", [ids["dead"], 999], "nothing was queued again: job 999 does not exist"),
        (
            "retry",
            [ids["queued"]],
            f"nothing was queued again: job {ids['queued']} is queued, not dead",
        ),
        (
            "discard",
            [ids["running"], ids["done"], ids["queued"], 999, 999],
            f"nothing was discarded: job {ids['running']} is running, not queued or dead; "
            f"job {ids['done']} is done, not queued or dead; job 999 does not exist",
        ),
        ("rerun", [ids["dead"]], "action: expected retry or discard, got 'rerun'"),
        ("retry", [], "give the ids of the jobs to retry"),
        ("discard", [], "give the ids of the jobs to discard"),
    ]
    for action, wanted, message in refusals:
        with store.transaction() as s, pytest.raises(JobError) as refused:
            operator_change(s, action, wanted, actor="cli", now=clock.now())
        assert str(refused.value) == message
    assert states(store) == before
    assert audit_lines(store) == []

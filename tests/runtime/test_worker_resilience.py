"""A worker that survives: database outages, hung jobs, workers that die, late workers.

Each test drives the real Worker loop (`run()`) or its claims on a real SQLite
store; an outage is injected where the driver would raise it (the statement
fails with the driver's own error), time comes from the FakeClock.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy import exc as sa_exc

from handoff.errors import HandoffError
from handoff.runtime import ClaimedJob, JobSpec, Worker, claim_jobs, enqueue
from handoff.runtime.jobs import WORKER_LOST, complete_job, fail_job
from handoff.runtime.worker import WorkerState
from handoff.store import Job, JobState, Store, StoreError, wait_until_available
from handoff_sdk import FakeClock


def jobs_in(store: Store) -> dict[str, Job]:
    with store.sessions() as s:
        return {job.idempotency_key: job for job in s.scalars(select(Job).order_by(Job.id))}


def queue(store: Store, clock: FakeClock, *keys: str, kind: str = "task", **extra: Any) -> None:
    with store.transaction() as s:
        enqueue(s, [JobSpec(kind=kind, idempotency_key=k, **extra) for k in keys], now=clock.now())


@contextmanager
def database_down(store: Store, message: str = "unable to open database file") -> Iterator[None]:
    """Every statement fails as the driver fails when the database is out of reach."""

    def refuse(*_args: Any) -> None:
        raise sqlite3.OperationalError(message)

    event.listen(store.engine, "before_cursor_execute", refuse)
    try:
        yield
    finally:
        event.remove(store.engine, "before_cursor_execute", refuse)


async def until(condition: Callable[[], bool], what: str, *, within: float = 20.0) -> None:
    """Let the worker's tasks and database threads run until `condition` holds.

    Not a timer: the condition is checked every millisecond; `within` only
    bounds how long a broken worker can keep the test waiting.
    """
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        await asyncio.sleep(0.001)


async def settle(worker: Worker, task: asyncio.Task[Any]) -> None:
    worker.stop()
    await asyncio.wait_for(task, 30)


async def test_the_worker_backs_off_through_an_outage_says_so_and_resumes(
    store: Store, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    ran: list[str] = []

    async def task(job: ClaimedJob) -> dict[str, Any]:
        ran.append(job.idempotency_key)
        return {}

    worker = Worker(store, clock=clock, handlers={"task": task}, poll_interval=1.0)
    caplog.set_level(logging.WARNING, logger="handoff.worker")
    with database_down(store):
        loop = asyncio.create_task(worker.run())
        await until(lambda: worker.stats.outages >= 4, "four failed tries")
        status = worker.status
        assert status.state is WorkerState.BACKING_OFF
        assert status.problem == "OperationalError: unable to open database file"
        assert status.retry_at is not None
        assert status.retry_at > status.since
        assert not loop.done(), "the worker must not exit for an outage"
    assert store.health.failure is not None
    waits = [s for s in clock.sleeps if s > 0]
    assert waits[:3] == [1.0, 2.0, 4.0]  # doubling back-off
    queue(store, clock, "after-the-outage")
    await until(lambda: ran == ["after-the-outage"], "the job queued after the outage ran")
    await until(lambda: jobs_in(store)["after-the-outage"].state == JobState.DONE, "done")
    assert worker.status.state is WorkerState.RUNNING
    await settle(worker, loop)
    text = caplog.text
    assert "the database is unavailable (OperationalError: unable to open database file)" in text
    assert "the database answers again after" in text
    assert worker.status.state is WorkerState.STOPPED


async def test_a_worker_whose_every_slot_waits_on_an_outcome_says_it_is_backing_off(
    store: Store, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    """Every slot busy recording an outcome: the loop never claims, yet the outage shows.

    Found under load by the PostgreSQL restart test: the loop waited for a
    slot, so neither its log nor its status (what /health reports) said the
    database was gone.
    """
    release = asyncio.Event()
    started: list[str] = []

    async def task(job: ClaimedJob) -> dict[str, Any]:
        started.append(job.idempotency_key)
        await release.wait()
        return {}

    queue(store, clock, "a", "b")
    worker = Worker(store, clock=clock, concurrency=2, handlers={"task": task}, poll_interval=1.0)
    caplog.set_level(logging.WARNING, logger="handoff.worker")
    loop = asyncio.create_task(worker.run())
    await until(lambda: sorted(started) == ["a", "b"], "both slots busy")
    assert worker.status.state is WorkerState.RUNNING
    with database_down(store):
        release.set()
        await until(
            lambda: worker.status.state is WorkerState.BACKING_OFF, "the status says backing off"
        )
        assert worker.status.problem == "OperationalError: unable to open database file"
        assert "worker: the database is unavailable" in caplog.text
        assert worker.stats.outages == 0, "the loop itself never tried the database"
    await until(
        lambda: all(job.state == JobState.DONE for job in jobs_in(store).values()),
        "both outcomes recorded once the database answers",
    )
    queue(store, clock, "c")
    await until(lambda: "c" in started, "the loop claims again")
    await until(lambda: worker.status.state is WorkerState.RUNNING, "running again")
    assert "the database answers again after" in caplog.text
    await settle(worker, loop)


async def test_the_back_off_is_capped_at_thirty_seconds(store: Store, clock: FakeClock) -> None:
    worker = Worker(store, clock=clock)
    with database_down(store):
        loop = asyncio.create_task(worker.run())
        await until(lambda: worker.stats.outages >= 9, "nine failed tries")
        await settle(worker, loop)
    waits = [s for s in clock.sleeps if s > 0][:9]
    assert waits == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0, 30.0]


async def test_an_outcome_written_during_an_outage_is_retried_until_the_database_answers(
    store: Store, clock: FakeClock
) -> None:
    """The job finished while the database was down: its 'done' is written once it is back."""
    release = asyncio.Event()

    async def task(_job: ClaimedJob) -> dict[str, Any]:
        await release.wait()
        return {"ok": True}

    queue(store, clock, "k")
    worker = Worker(store, clock=clock, handlers={"task": task})
    runner = asyncio.create_task(worker.run_once())
    await until(lambda: jobs_in(store)["k"].state == JobState.RUNNING, "claimed")
    with database_down(store):
        release.set()
        await until(lambda: len(clock.sleeps) >= 2, "two failed writes of the outcome")
    await asyncio.wait_for(runner, 30)
    job = jobs_in(store)["k"]
    assert (job.state, job.result, job.attempts) == (JobState.DONE, {"ok": True}, 1)


async def test_a_hung_job_times_out_while_its_siblings_finish_and_are_recorded(
    store: Store, clock: FakeClock
) -> None:
    """One hung call holds neither its siblings nor their outcomes; it fails as timed out."""
    hung = asyncio.Event()

    async def slow(_job: ClaimedJob) -> dict[str, Any]:
        hung.set()
        await asyncio.Event().wait()  # never answers
        return {}

    async def quick(job: ClaimedJob) -> dict[str, Any]:
        return {"key": job.idempotency_key}

    queue(store, clock, "hangs", kind="slow")
    queue(store, clock, "a", "b", "c", kind="quick")
    worker = Worker(
        store,
        clock=clock,
        concurrency=4,
        handlers={"slow": slow, "quick": quick},
        job_timeout=30,
        timeouts={"slow": 0.2},
    )
    tick = asyncio.create_task(worker.run_once())
    await until(hung.is_set, "the slow job started")
    await until(
        lambda: all(jobs_in(store)[k].state == JobState.DONE for k in "abc"),
        "the siblings recorded done while the slow job still hangs",
    )
    assert jobs_in(store)["hangs"].state == JobState.RUNNING
    await asyncio.wait_for(tick, 30)
    job = jobs_in(store)["hangs"]
    assert (job.state, job.attempts) == (JobState.QUEUED, 1)
    assert job.last_error == "JobFailedError: timed out after 0.2 s"
    assert worker.stats.timed_out == 1
    assert worker.timeout_for("slow") == 0.2
    assert worker.timeout_for("quick") == 30


async def test_a_slow_job_does_not_keep_the_loop_from_claiming_more(
    store: Store, clock: FakeClock
) -> None:
    """The loop refills freed slots while a job is still running (no batch barrier)."""
    release = asyncio.Event()
    done: list[str] = []

    async def slow(_job: ClaimedJob) -> dict[str, Any]:
        await release.wait()
        return {}

    async def quick(job: ClaimedJob) -> dict[str, Any]:
        done.append(job.idempotency_key)
        return {}

    queue(store, clock, "slow-1", kind="slow")
    queue(store, clock, *(f"q{i}" for i in range(12)), kind="quick")
    worker = Worker(store, clock=clock, concurrency=2, handlers={"slow": slow, "quick": quick})
    loop = asyncio.create_task(worker.run())
    await until(lambda: len(done) == 12, "the twelve quick jobs ran through the one free slot")
    assert jobs_in(store)["slow-1"].state == JobState.RUNNING
    release.set()
    await until(lambda: jobs_in(store)["slow-1"].state == JobState.DONE, "the slow job done")
    await settle(worker, loop)


def test_a_timeout_must_be_shorter_than_the_lease(store: Store) -> None:
    with pytest.raises(HandoffError, match=r"job timeout for event \(400 s\).*lease \(300 s\)"):
        Worker(store, timeouts={"event": 400})
    with pytest.raises(HandoffError, match="lease"):
        Worker(store, lease=timedelta(seconds=30), job_timeout=30)


async def test_a_job_whose_worker_keeps_dying_goes_dead_as_worker_lost(
    store: Store, clock: FakeClock
) -> None:
    """Each expired lease counts the attempt; past max_attempts: dead, "worker lost"."""
    queue(store, clock, "k", max_attempts=3)
    lease = timedelta(seconds=60)
    attempts = []
    for _ in range(5):
        claimed = claim_jobs(store, now=clock.now(), lease=lease, limit=10)
        attempts += [job.attempts for job in claimed]
        clock.advance(61)  # the worker that claimed it died: the lease runs out
    assert attempts == [1, 2, 3]
    job = jobs_in(store)["k"]
    assert (job.state, job.attempts) == (JobState.DEAD, 3)
    assert job.last_error == f"{WORKER_LOST}: its lease ran out on attempt 3 of 3"
    assert job.finished_at is not None
    assert job.lease_token is None


async def test_a_late_worker_cannot_overwrite_the_new_holders_outcome(
    store: Store, clock: FakeClock
) -> None:
    """Fencing by lease token: done over failed, failed over done, failed over failed."""
    queue(store, clock, "x", "y", "z")
    lease = timedelta(seconds=60)
    late = {
        job.idempotency_key: job for job in claim_jobs(store, now=clock.now(), lease=lease, limit=3)
    }
    clock.advance(61)
    holder = {
        job.idempotency_key: job for job in claim_jobs(store, now=clock.now(), lease=lease, limit=3)
    }
    assert {job.attempts for job in holder.values()} == {2}
    now = clock.now()
    with store.transaction() as s:
        assert fail_job(s, holder["x"], "holder failed", now=now) is JobState.QUEUED
        assert complete_job(s, holder["y"], now=now, result={"by": "holder"})
        assert fail_job(s, holder["z"], "holder failed", now=now, permanent=True) is JobState.DEAD
    with store.transaction() as s:
        assert complete_job(s, late["x"], now=now, result={"by": "late"}) is False
        assert fail_job(s, late["y"], "late failure", now=now) is None
        assert fail_job(s, late["z"], "late failure", now=now) is None
    jobs = jobs_in(store)
    assert (jobs["x"].state, jobs["x"].last_error, jobs["x"].result) == (
        JobState.QUEUED,
        "holder failed",
        None,
    )
    assert (jobs["y"].state, jobs["y"].result) == (JobState.DONE, {"by": "holder"})
    assert (jobs["z"].state, jobs["z"].last_error) == (JobState.DEAD, "holder failed")


def test_serve_and_worker_wait_for_a_database_that_is_not_up_yet(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    """At start-up an outage is waited out (logged, doubling); any other error is raised."""
    slept: list[float] = []
    answers = iter([True, True, True, False])

    def check(_store: Store) -> None:
        if next(answers):
            raise sa_exc.OperationalError(
                "SELECT 1", {}, sqlite3.OperationalError("unable to open database file")
            )

    caplog.set_level(logging.WARNING, logger="handoff.store")
    wait_until_available(store, check, sleep=slept.append)
    assert slept == [1.0, 2.0, 4.0]
    assert caplog.text.count("is unavailable (OperationalError: unable to open database file)") == 3
    assert "answers again after 3 failed tries" in caplog.text

    def wrong_revision(_store: Store) -> None:
        raise StoreError("database is at schema revision none: run `handoff db upgrade`")

    with pytest.raises(StoreError, match="handoff db upgrade"):
        wait_until_available(store, wrong_revision, sleep=slept.append)
    assert slept == [1.0, 2.0, 4.0]

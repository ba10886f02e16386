"""The outbox: decision + jobs in one transaction, the key reaches the connector, retries,
dead jobs, leases, and the operator's retry/discard."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from handoff.hub import Hub
from handoff.runtime import (
    DecisionSpec,
    JobError,
    JobSpec,
    Worker,
    claim_jobs,
    discard_jobs,
    enqueue,
    job_counts,
    record_decision,
    retry_jobs,
)
from handoff.runtime.jobs import backoff, complete_job
from handoff.store import Decision, Job, JobState, Store
from handoff_sdk import FakeClock
from handoff_sdk.entities import Notification

from .conftest import RecordingConnector


def notify(key: str, text: str = "hello", **kwargs: Any) -> JobSpec:
    return JobSpec.call(
        "recorder",
        "handoff_send_notification",
        key,
        notification=Notification(channel="#sales", text=text),
        **kwargs,
    )


def decide(store: Store, clock: FakeClock, *jobs: JobSpec, subject: str = "acct-1") -> int:
    with store.transaction() as s:
        return record_decision(
            s,
            DecisionSpec(
                kind="routing",
                subject_type="account",
                subject_id=subject,
                outcome={"rep": "r1"},
                explanation={"why": "owner"},
                rule_ids=("Q3",),
            ),
            now=clock.now(),
            jobs=jobs,
        )


def jobs_in(store: Store) -> list[Job]:
    with store.sessions() as s:
        return list(s.scalars(select(Job).order_by(Job.id)))


async def test_a_decision_and_its_jobs_commit_together_or_not_at_all(
    store: Store, clock: FakeClock
) -> None:
    def crash_before_commit() -> None:
        with store.transaction() as s:
            record_decision(
                s,
                DecisionSpec("routing", "account", "a", {"rep": "r"}),
                now=clock.now(),
                jobs=[notify("k-1")],
            )
            raise RuntimeError("crash before commit")

    with pytest.raises(RuntimeError):
        crash_before_commit()
    with store.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Decision)) == 0
        assert s.scalar(select(func.count()).select_from(Job)) == 0
    decision_id = decide(store, clock, notify("k-1"))
    [job] = jobs_in(store)
    assert job.decision_id == decision_id
    assert job.state == JobState.QUEUED
    assert job.payload == {
        "notification": {
            "channel": "#sales",
            "recipients": [],
            "mentions": [],
            "subject": None,
            "text": "hello",
            "link": None,
            "headers": {},
        }
    }


async def test_the_same_idempotency_key_is_queued_once(store: Store, clock: FakeClock) -> None:
    decide(store, clock, notify("same"))
    decide(store, clock, notify("same"), notify("other"))
    assert [j.idempotency_key for j in jobs_in(store)] == ["same", "other"]


async def test_the_worker_calls_the_hook_with_the_jobs_idempotency_key(
    store: Store, clock: FakeClock, hub: Hub, recorder: type[RecordingConnector]
) -> None:
    decide(store, clock, notify("route:acct-1:1", text="new lead"))
    worker = Worker(store, hub=hub, clock=clock)
    assert await worker.run_once() == 1
    [(what, key, notification)] = recorder.calls
    assert (what, key) == ("notify", "route:acct-1:1")
    assert notification == Notification(channel="#sales", text="new lead")
    [job] = jobs_in(store)
    assert job.state == JobState.DONE
    assert job.result is not None
    assert job.result["id"] == "msg-route:acct-1:1"
    assert await worker.run_once() == 0  # nothing left: done jobs are not run again


async def test_a_failing_job_is_retried_with_backoff_then_dead_with_its_last_error(
    store: Store, clock: FakeClock, hub: Hub, recorder: type[RecordingConnector]
) -> None:
    recorder.failures["flaky"] = 100
    decide(store, clock, notify("k", text="flaky", max_attempts=3))
    worker = Worker(store, hub=hub, clock=clock)
    await worker.run_once()
    [job] = jobs_in(store)
    assert (job.state, job.attempts) == (JobState.QUEUED, 1)
    assert job.run_after == clock.now() + backoff(1, "k")
    assert job.last_error == "ConnectionError: slack down for flaky"
    assert await worker.run_once() == 0  # not due before its backoff
    clock.advance(backoff(1, "k").total_seconds())
    await worker.run_once()
    [job] = jobs_in(store)
    assert (job.state, job.attempts) == (JobState.QUEUED, 2)
    assert backoff(2, "k") > backoff(1, "k")
    clock.advance(backoff(2, "k").total_seconds())
    await worker.run_once()
    [job] = jobs_in(store)
    assert (job.state, job.attempts) == (JobState.DEAD, 3)
    assert job.last_error == "ConnectionError: slack down for flaky"
    assert len(recorder.calls) == 3
    assert (worker.stats.retried, worker.stats.dead) == (2, 1)


async def test_a_job_that_succeeds_on_a_retry_ends_done(
    store: Store, clock: FakeClock, hub: Hub, recorder: type[RecordingConnector]
) -> None:
    recorder.failures["once"] = 1
    decide(store, clock, notify("k", text="once"))
    worker = Worker(store, hub=hub, clock=clock)
    await worker.run_once()
    clock.advance(3600)
    await worker.run_once()
    [job] = jobs_in(store)
    assert (job.state, job.attempts, job.last_error) == (JobState.DONE, 2, None)
    assert [c[1] for c in recorder.calls] == ["k", "k"]  # same key on every attempt


def test_backoff_doubles_up_to_the_cap() -> None:
    delays = [backoff(n, "key").total_seconds() for n in range(1, 15)]
    assert delays == sorted(delays)
    assert 10 <= delays[0] <= 11
    assert 20 <= delays[1] <= 22
    assert 3600 <= delays[-1] <= 3960


async def test_an_expired_lease_lets_another_worker_take_the_job(
    store: Store, clock: FakeClock
) -> None:
    decide(store, clock, notify("k"))
    lease = timedelta(seconds=60)
    [first] = claim_jobs(store, now=clock.now(), lease=lease, limit=10)
    assert claim_jobs(store, now=clock.now(), lease=lease, limit=10) == []
    clock.advance(59)
    assert claim_jobs(store, now=clock.now(), lease=lease, limit=10) == []
    clock.advance(2)  # the first worker died: its lease ran out
    [second] = claim_jobs(store, now=clock.now(), lease=lease, limit=10)
    assert (second.id, second.attempts) == (first.id, 2)
    with store.transaction() as s:
        # The first worker comes back late: its outcome is refused (fencing by lease token).
        assert complete_job(s, first, now=clock.now()) is False
        assert complete_job(s, second, now=clock.now()) is True
    assert jobs_in(store)[0].state == JobState.DONE


async def test_claims_are_disjoint_and_in_due_order(store: Store, clock: FakeClock) -> None:
    decide(store, clock, *(notify(f"k{i}") for i in range(25)))
    lease = timedelta(minutes=5)
    batches = [claim_jobs(store, now=clock.now(), lease=lease, limit=10) for _ in range(4)]
    assert [len(b) for b in batches] == [10, 10, 5, 0]
    ids = [job.id for batch in batches for job in batch]
    assert len(ids) == len(set(ids)) == 25
    assert ids == sorted(ids)


async def test_operators_retry_dead_jobs_and_discard_queued_ones(
    store: Store, clock: FakeClock, hub: Hub, recorder: type[RecordingConnector]
) -> None:
    recorder.failures["boom"] = 1
    decide(store, clock, notify("a", text="boom", max_attempts=1), notify("b"))
    worker = Worker(store, hub=hub, clock=clock, concurrency=1)
    await worker.run_once()  # a: dead after one attempt
    a, b = jobs_in(store)
    assert a.state == JobState.DEAD
    with store.transaction() as s:
        assert discard_jobs(s, [b.id], now=clock.now()) == 1
        assert retry_jobs(s, [a.id], now=clock.now()) == 1
        assert job_counts(s) == {"queued": 1, "dead": 1}
    await worker.run_once()
    a, b = jobs_in(store)
    assert (a.state, a.attempts) == (JobState.DONE, 1)
    assert (b.state, b.last_error) == (JobState.DEAD, "discarded by an operator")
    assert [c[1] for c in recorder.calls] == ["a", "a"]


async def test_a_job_with_no_handler_goes_dead_at_once(store: Store, clock: FakeClock) -> None:
    with store.transaction() as s:
        enqueue(s, [JobSpec(kind="mystery", idempotency_key="m")], now=clock.now())
    await Worker(store, clock=clock).run_once()
    [job] = jobs_in(store)
    assert job.state == JobState.DEAD
    assert "no handler for kind 'mystery'" in (job.last_error or "")


async def test_custom_job_kinds_run_their_handler(store: Store, clock: FakeClock) -> None:
    seen: list[str] = []

    async def handler(job: Any) -> dict[str, Any]:
        seen.append(job.idempotency_key)
        return {"ok": True}

    with store.transaction() as s:
        enqueue(s, [JobSpec(kind="reindex", idempotency_key="r1")], now=clock.now())
    await Worker(store, clock=clock, handlers={"reindex": handler}).run_once()
    assert seen == ["r1"]
    assert jobs_in(store)[0].result == {"ok": True}


def test_hook_arguments_are_checked_when_the_job_is_written() -> None:
    with pytest.raises(JobError, match="missing: notification"):
        JobSpec.call("recorder", "handoff_send_notification", "k")
    with pytest.raises(JobError, match="unknown: colour"):
        JobSpec.call(
            "recorder",
            "handoff_send_notification",
            "k",
            notification=Notification(text="x"),
            colour="red",
        )
    with pytest.raises(JobError, match="not a write hook"):
        JobSpec.call("recorder", "handoff_find_person", "k", email="a@example.test")
    with pytest.raises(JobError, match="argument 'notification'"):
        JobSpec.call("recorder", "handoff_send_notification", "k", notification={"text": 5})

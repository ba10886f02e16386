"""Claims on PostgreSQL skip the rows another worker holds, never wait for them (SKIP LOCKED):
found missing by mutation testing (`make mutation`), where dropping SKIP LOCKED from the
claim or from the burial of lost jobs changed nothing the SQLite tests could see.

Each test holds a job's row in one transaction (as a worker claiming it does) and claims
from a second engine whose lock_timeout is 5 s: waiting for the row would fail the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from handoff.runtime import JobSpec
from handoff.runtime.jobs import WORKER_LOST, claim_jobs, enqueue
from handoff.store import Job, JobState, Store
from handoff_sdk import FakeClock

LEASE = timedelta(seconds=60)


@pytest.fixture
def second(pg_url: str, pg_store: Store) -> Iterator[Store]:
    """Another worker's engine on the same schema; a lock it waits for fails it after 5 s."""
    url = make_url(pg_url)
    options = f"{url.query['options']} -clock_timeout=5000"
    other = Store(url.update_query_dict({"options": options}).render_as_string(hide_password=False))
    yield other
    other.dispose()


def states(store: Store) -> dict[str, tuple[str, str | None]]:
    with store.sessions() as s:
        return {job.idempotency_key: (job.state, job.last_error) for job in s.scalars(select(Job))}


def test_on_postgres_a_job_another_worker_holds_is_skipped_by_a_claim(
    pg_store: Store, second: Store, clock: FakeClock
) -> None:
    with pg_store.transaction() as s:
        enqueue(s, [JobSpec("reindex", "held"), JobSpec("reindex", "free")], now=clock.now())
    with pg_store.transaction() as first:
        first.execute(select(Job).where(Job.idempotency_key == "held").with_for_update())
        claimed = claim_jobs(second, now=clock.now(), lease=LEASE, limit=10)
    assert [job.idempotency_key for job in claimed] == ["free"]
    assert states(pg_store)["held"] == (JobState.QUEUED.value, None)


def test_on_postgres_a_lost_job_another_worker_holds_is_buried_later_not_waited_for(
    pg_store: Store, second: Store, clock: FakeClock
) -> None:
    """A job whose lease ran out on its last attempt is dead ('worker lost') at the next claim;
    while another worker holds its row, the claim leaves it for later."""
    with pg_store.transaction() as s:
        enqueue(
            s,
            [
                JobSpec("reindex", "held", max_attempts=1),
                JobSpec("reindex", "lost", max_attempts=1),
            ],
            now=clock.now(),
        )
    assert len(claim_jobs(pg_store, now=clock.now(), lease=LEASE, limit=10)) == 2
    clock.advance(LEASE.total_seconds() + 1)  # both workers died on the last attempt
    with pg_store.transaction() as first:
        first.execute(select(Job).where(Job.idempotency_key == "held").with_for_update())
        assert claim_jobs(second, now=clock.now(), lease=LEASE, limit=10) == []
    lost = f"{WORKER_LOST}: its lease ran out on attempt 1 of 1"
    assert states(pg_store) == {
        "held": (JobState.RUNNING.value, None),
        "lost": (JobState.DEAD.value, lost),
    }
    assert claim_jobs(second, now=clock.now(), lease=LEASE, limit=10) == []
    assert states(pg_store)["held"] == (JobState.DEAD.value, lost)

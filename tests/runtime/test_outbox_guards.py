"""Guards of the outbox found missing by mutation testing (`make mutation`): each test
kills mutants of handoff/runtime/jobs.py or timers.py that survived the suite.

A repeated enqueue never re-queues a job already done (or dead); a worker
whose lease ran out cannot overwrite the outcome of the worker that took the
job after it, neither its failure nor its success; `fire_due_timers` counts
what it fired and fires at most `limit` per call, the earliest first; a lease holds
to its last instant; the retry backoff's doubling, cap and jitter (its exact range);
an error cut at 4000 characters and a subject at 300.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from handoff.runtime import JobError, JobSpec, fire_due_timers, record_events
from handoff.runtime.jobs import backoff, claim_jobs, complete_job, enqueue, fail_job
from handoff.runtime.timers import schedule_timer
from handoff.store import Job, JobState, JobSubject, Store, Timer, TimerState
from handoff_sdk import FakeClock
from handoff_sdk.entities import Event, Notification

LEASE = timedelta(seconds=60)


def notify(key: str) -> JobSpec:
    return JobSpec.call(
        "recorder", "handoff_send_notification", key, notification=Notification(text=key)
    )


def job(store: Store, key: str) -> Job:
    with store.sessions() as s:
        found = s.scalar(select(Job).where(Job.idempotency_key == key))
    assert found is not None
    return found


def test_enqueueing_a_done_or_dead_job_again_changes_nothing(
    store: Store, clock: FakeClock
) -> None:
    with store.transaction() as s:
        assert enqueue(s, [notify("done"), notify("dead")], now=clock.now()) == 2
    dead, done = sorted(
        claim_jobs(store, now=clock.now(), lease=LEASE, limit=10), key=lambda j: j.idempotency_key
    )
    with store.transaction() as s:
        assert complete_job(s, done, now=clock.now(), result={"id": "m-1"})
        assert fail_job(s, dead, "refused", now=clock.now(), permanent=True) is JobState.DEAD
    before = {key: (job(store, key).state, job(store, key).attempts) for key in ("done", "dead")}
    clock.advance(3600)
    with store.transaction() as s:
        assert enqueue(s, [notify("done"), notify("dead")], now=clock.now()) == 0
    after = {key: (job(store, key).state, job(store, key).attempts) for key in ("done", "dead")}
    assert before == after == {"done": (JobState.DONE.value, 1), "dead": (JobState.DEAD.value, 1)}
    assert job(store, "done").result == {"id": "m-1"}
    assert claim_jobs(store, now=clock.now(), lease=LEASE, limit=10) == []


def test_a_worker_whose_lease_ran_out_cannot_overwrite_the_new_holders_outcome(
    store: Store, clock: FakeClock
) -> None:
    with store.transaction() as s:
        enqueue(s, [notify("k")], now=clock.now())
    [late] = claim_jobs(store, now=clock.now(), lease=LEASE, limit=1)
    clock.advance(61)
    [holder] = claim_jobs(store, now=clock.now(), lease=LEASE, limit=1)
    assert holder.lease_token != late.lease_token
    with store.transaction() as s:
        assert fail_job(s, holder, "holder: slack down", now=clock.now()) is JobState.QUEUED
    failed = job(store, "k")
    with store.transaction() as s:
        # The late worker's failure and success are both refused: the job is no longer its own.
        assert fail_job(s, late, "late: timed out", now=clock.now()) is None
        assert fail_job(s, late, "late: refused", now=clock.now(), permanent=True) is None
        assert complete_job(s, late, now=clock.now(), result={"late": True}) is False
    kept = job(store, "k")
    assert (kept.state, kept.last_error, kept.attempts) == (
        JobState.QUEUED.value,
        "holder: slack down",
        2,
    )
    assert (kept.run_after, kept.result) == (failed.run_after, None)
    assert kept.run_after > clock.now()  # queued again after the holder's backoff


def test_a_late_worker_cannot_finish_a_job_the_new_holder_is_still_running(
    store: Store, clock: FakeClock
) -> None:
    with store.transaction() as s:
        enqueue(s, [notify("k")], now=clock.now())
    [late] = claim_jobs(store, now=clock.now(), lease=LEASE, limit=1)
    clock.advance(61)
    [holder] = claim_jobs(store, now=clock.now(), lease=LEASE, limit=1)
    with store.transaction() as s:
        assert complete_job(s, late, now=clock.now()) is False
        assert fail_job(s, late, "late", now=clock.now()) is None
    running = job(store, "k")
    assert (running.state, running.lease_token, running.last_error) == (
        JobState.RUNNING.value,
        holder.lease_token,
        None,
    )
    with store.transaction() as s:
        assert complete_job(s, holder, now=clock.now())
    assert job(store, "k").state == JobState.DONE.value


def test_fire_due_timers_counts_what_it_fired_and_fires_at_most_limit(
    store: Store, clock: FakeClock
) -> None:
    with store.transaction() as s:
        for n in range(5):
            schedule_timer(
                s, f"t-{n}", notify(f"j-{n}"), now=clock.now(), after=timedelta(seconds=10 + n)
            )
        schedule_timer(s, "later", notify("j-later"), now=clock.now(), after=timedelta(hours=1))
    assert fire_due_timers(store, now=clock.now()) == 0
    clock.advance(20)
    assert fire_due_timers(store, now=clock.now(), limit=2) == 2
    with store.sessions() as s:
        fired = set(s.scalars(select(Timer.key).where(Timer.state == TimerState.FIRED.value)))
    assert fired == {"t-0", "t-1"}  # the earliest first
    assert fire_due_timers(store, now=clock.now()) == 3
    assert fire_due_timers(store, now=clock.now()) == 0
    with store.sessions() as s:
        jobs = s.scalar(select(Job.id).where(Job.idempotency_key.like("timer:later:%")))
        states = dict(s.execute(select(Timer.key, Timer.state)).all())
    assert jobs is None
    assert states["later"] == TimerState.PENDING.value
    assert sum(state == TimerState.FIRED.value for state in states.values()) == 5


def test_fire_due_timers_fires_a_hundred_per_call_by_default(
    store: Store, clock: FakeClock
) -> None:
    with store.transaction() as s:
        for n in range(101):
            schedule_timer(
                s, f"t-{n:03}", notify(f"j-{n}"), now=clock.now(), after=timedelta(seconds=1)
            )
    clock.advance(5)
    assert fire_due_timers(store, now=clock.now()) == 100
    assert fire_due_timers(store, now=clock.now()) == 1


def test_on_postgres_a_timer_another_worker_is_firing_is_skipped_not_waited_for(
    pg_url: str, pg_store: Store, clock: FakeClock
) -> None:
    """Two workers fire timers at once: the second skips the rows the first holds (SKIP LOCKED)."""
    with pg_store.transaction() as s:
        schedule_timer(s, "held", notify("j-held"), now=clock.now(), after=timedelta(seconds=1))
        schedule_timer(s, "free", notify("j-free"), now=clock.now(), after=timedelta(seconds=1))
    clock.advance(5)
    url = make_url(pg_url)
    options = f"{url.query['options']} -clock_timeout=5000"  # waiting would fail, not hang
    second = Store(
        url.update_query_dict({"options": options}).render_as_string(hide_password=False)
    )
    try:
        with pg_store.transaction() as first:
            first.execute(select(Timer).where(Timer.key == "held").with_for_update())
            assert fire_due_timers(second, now=clock.now()) == 1
    finally:
        second.dispose()
    with pg_store.sessions() as s:
        states = dict(s.execute(select(Timer.key, Timer.state)).all())
    assert states == {"held": TimerState.PENDING.value, "free": TimerState.FIRED.value}


def test_a_lease_holds_up_to_its_last_instant(store: Store, clock: FakeClock) -> None:
    """A job is taken from its worker only once the lease is over, not at its last instant."""
    with store.transaction() as s:
        enqueue(s, [notify("k")], now=clock.now())
    [first] = claim_jobs(store, now=clock.now(), lease=LEASE, limit=1)
    assert first.lease_until == clock.now() + LEASE
    clock.advance(LEASE.total_seconds())
    assert claim_jobs(store, now=clock.now(), lease=LEASE, limit=1) == []
    clock.advance(0.001)
    [second] = claim_jobs(store, now=clock.now(), lease=LEASE, limit=1)
    assert (second.id, second.attempts) == (first.id, 2)


# Keys whose 16-bit blake2b digest is the lowest (0x0000) and the highest (0xffff): the
# jitter at the two ends of its range (checked below, not taken on trust).
LOWEST, HIGHEST = "key-71323", "key-19879"


def digest16(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=2).digest(), "big")


def test_the_backoff_doubles_from_ten_seconds_to_an_hour_plus_the_keys_jitter() -> None:
    """The delay before attempt n + 1 is 10 s * 2^(n - 1), at most 3600 s, then 0 - 10 % more
    by the key: the key whose digest is the lowest waits exactly that, the highest 10 % more."""
    assert (digest16(LOWEST), digest16(HIGHEST)) == (0, 0xFFFF)
    doubling = {0: 10, 1: 10, 2: 20, 3: 40, 4: 80, 9: 2560, 10: 3600, 11: 3600, 30: 3600}
    for attempts, seconds in doubling.items():
        assert backoff(attempts, LOWEST) == timedelta(seconds=seconds), attempts
        assert backoff(attempts, HIGHEST) == timedelta(seconds=seconds * 1.1), attempts
    assert backoff(3, LOWEST, base=1.5, cap=5) == timedelta(seconds=5)
    assert backoff(2, HIGHEST, base=1.5, cap=5) == timedelta(seconds=3.3)


def test_the_backoffs_jitter_spreads_many_keys_over_the_whole_ten_percent() -> None:
    """Any key: the jitter is its digest's share of 0xffff, so retries of many jobs spread out."""
    keys = [f"job-{n}" for n in range(2000)]
    for key in keys:
        expected = 40 * (1 + 0.1 * digest16(key) / 0xFFFF)
        assert backoff(3, key) == timedelta(seconds=expected), key
    jitters = {backoff(3, key) - timedelta(seconds=40) for key in keys}
    assert len(jitters) > 1900  # a 16-bit spread: hardly two keys alike
    assert min(jitters) >= timedelta(0)
    assert max(jitters) <= timedelta(seconds=4)


def test_a_long_error_is_kept_to_its_first_4000_characters(store: Store, clock: FakeClock) -> None:
    """A failed attempt's error (a whole traceback, an HTML error page) is stored cut at 4000."""
    with store.transaction() as s:
        enqueue(s, [notify("long"), notify("exact")], now=clock.now())
    long, exact = sorted(
        claim_jobs(store, now=clock.now(), lease=LEASE, limit=2), key=lambda j: j.id
    )
    error = "".join(f"{n:>10}" for n in range(500))  # 5000 characters, each position distinct
    with store.transaction() as s:
        assert fail_job(s, long, error, now=clock.now()) is JobState.QUEUED
        assert fail_job(s, exact, error[:4000], now=clock.now()) is JobState.QUEUED
    assert job(store, "long").last_error == error[:4000]
    assert job(store, "exact").last_error == error[:4000]


def test_a_subject_is_stored_cut_at_300_characters_and_orders_by_what_is_kept(
    store: Store, clock: FakeClock
) -> None:
    """Subjects longer than the column (300) are cut; two that agree on those 300 characters
    are one subject (the second job waits), one that differs at the 300th is another."""
    base = "visitor:" + "v" * 291  # 299 characters
    same_1, same_2 = base + "a" + "-first", base + "a" + "-second"
    other = base + "b" + "-first"
    with store.transaction() as s:
        enqueue(
            s,
            [
                JobSpec("reindex", "first", subjects=(same_1,)),
                JobSpec("reindex", "second", subjects=(same_2,)),
                JobSpec("reindex", "other", subjects=(other,)),
            ],
            now=clock.now(),
        )
    with store.sessions() as s:
        stored = sorted(s.execute(select(JobSubject.subject, JobSubject.job_id)).all())
    assert [(subject, job_id) for subject, job_id in stored] == [
        (base + "a", job(store, "first").id),
        (base + "a", job(store, "second").id),
        (base + "b", job(store, "other").id),
    ]
    claimed = claim_jobs(store, now=clock.now(), lease=LEASE, limit=10)
    assert sorted(j.idempotency_key for j in claimed) == ["first", "other"]


def test_a_job_is_tried_eight_times_by_default_then_dead(store: Store, clock: FakeClock) -> None:
    """docs/runtime.md: `max_attempts` (default 8), for a hook's job as for any other kind."""
    with store.transaction() as s:
        enqueue(s, [notify("hook"), JobSpec("reindex", "custom")], now=clock.now())
    outcomes: list[tuple[str, int, JobState | None]] = []
    for _ in range(8):
        clock.advance(3960)  # the longest backoff: every failed job is due again
        for claimed in claim_jobs(store, now=clock.now(), lease=LEASE, limit=10):
            with store.transaction() as s:
                state = fail_job(s, claimed, "down", now=clock.now())
            outcomes.append((claimed.idempotency_key, claimed.attempts, state))
    for key in ("hook", "custom"):
        assert [(n, state) for k, n, state in outcomes if k == key] == [
            *((n, JobState.QUEUED) for n in range(1, 8)),
            (8, JobState.DEAD),
        ]
    clock.advance(3960)
    assert claim_jobs(store, now=clock.now(), lease=LEASE, limit=10) == []


def test_enqueueing_no_job_writes_nothing_and_says_so(store: Store, clock: FakeClock) -> None:
    with store.transaction() as s:
        assert enqueue(s, [], now=clock.now()) == 0
        assert enqueue(s, iter(()), now=clock.now()) == 0
    assert claim_jobs(store, now=clock.now(), lease=LEASE, limit=10) == []


def test_a_claimed_job_and_a_job_spec_cannot_be_changed_by_their_holder(
    store: Store, clock: FakeClock
) -> None:
    """A claimed job's lease token is what fences its outcome: a worker cannot rewrite it
    (nor the id, nor the attempts); nor can a spec be changed once built."""
    spec = notify("k")
    with store.transaction() as s:
        enqueue(s, [spec], now=clock.now())
    [claimed] = claim_jobs(store, now=clock.now(), lease=LEASE, limit=1)
    for name, value in (("lease_token", "forged"), ("id", 0), ("attempts", 0)):
        with pytest.raises(AttributeError):
            setattr(claimed, name, value)
    with pytest.raises(AttributeError):
        spec.max_attempts = 1  # type: ignore[misc]


def test_a_hook_argument_with_several_problems_is_refused_with_the_first() -> None:
    """The error names the argument and its first problem (the field order of the entity)."""
    with pytest.raises(JobError) as refused:
        JobSpec.call(
            "recorder",
            "handoff_send_notification",
            "k",
            notification={"channel": 5, "recipients": "ops@example.test"},
        )
    assert str(refused.value) == (
        "handoff_send_notification: argument 'notification': Input should be a valid string"
    )


def test_a_job_is_finished_when_it_goes_dead_not_when_it_is_queued_again(
    store: Store, clock: FakeClock
) -> None:
    """finished_at says when a job ended: set when it is dead, empty while it will be retried."""
    with store.transaction() as s:
        enqueue(s, [notify("again"), notify("dead")], now=clock.now())
    again, dead = sorted(
        claim_jobs(store, now=clock.now(), lease=LEASE, limit=2), key=lambda j: j.id
    )
    clock.advance(5)
    with store.transaction() as s:
        assert fail_job(s, again, "timed out", now=clock.now()) is JobState.QUEUED
        assert fail_job(s, dead, "refused", now=clock.now(), permanent=True) is JobState.DEAD
    assert job(store, "again").finished_at is None
    finished = job(store, "dead").finished_at
    assert finished is not None
    assert finished.replace(tzinfo=clock.now().tzinfo) == clock.now()


def test_a_jobs_own_event_wins_over_the_one_its_caller_gives(
    store: Store, clock: FakeClock
) -> None:
    """enqueue(event_id=...) is the event every job came from, unless a job names its own."""
    with store.transaction() as s:
        first, second = record_events(
            s,
            [
                Event(type="hub.test", source="hub", dedupe_key=key, payload={})
                for key in ("first", "second")
            ],
            now=clock.now(),
        )
        specs = [JobSpec("reindex", "own", event_id=first.id), JobSpec("reindex", "callers")]
        enqueue(s, specs, now=clock.now(), event_id=second.id)
    assert (job(store, "own").event_id, job(store, "callers").event_id) == (first.id, second.id)

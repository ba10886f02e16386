"""Events about one subject are decided in the order they were stored, whichever worker
takes them: a job is not claimed while an earlier job about one of its subjects is queued
or running. Generic (any flow's events, any job with `subjects`), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from handoff.chat.intake import ChatRequest, ConversationEvent, PageView
from handoff.runtime import EventHandler, Worker, claim_jobs, record_events, retry_jobs
from handoff.runtime.events import event_subjects
from handoff.runtime.jobs import complete_job, fail_job
from handoff.store import EventRecord, Job, JobState, JobSubject, Store
from handoff_sdk import FakeClock
from handoff_sdk.entities import Event

LEASE = timedelta(minutes=5)


def event(key: str, body: PageView | ChatRequest | ConversationEvent) -> Event:
    return Event(type=f"hub.{key}", source="hub", dedupe_key=key, payload=body.to_payload())


def page_view(key: str, visitor: str) -> Event:
    return event(key, PageView(id=key, visitor_id=visitor, url="https://www.example.test/"))


def chat(key: str, conversation: str, visitor: str) -> Event:
    return event(key, ChatRequest(id=key, conversation_id=conversation, visitor_id=visitor))


def joined(key: str, conversation: str) -> Event:
    return event(key, ConversationEvent(id=key, conversation_id=conversation, kind="rep_joined"))


def store_events(store: Store, clock: FakeClock, *events: Event) -> None:
    with store.transaction() as session:
        record_events(session, list(events), now=clock.now())


def claimed_keys(store: Store, clock: FakeClock) -> dict[str, Any]:
    jobs = claim_jobs(store, now=clock.now(), lease=LEASE, limit=50)
    with store.sessions() as session:
        keys = {
            job.id: session.get(EventRecord, job.payload["event_id"]).dedupe_key  # type: ignore[union-attr]
            for job in jobs
        }
    return {keys[job.id]: job for job in jobs}


def test_a_chat_request_is_about_its_conversation_and_related_to_its_visitor() -> None:
    assert event_subjects(page_view("pv", "v-1")) == ("visitor:v-1",)
    assert event_subjects(chat("cr", "c-1", "v-1")) == ("conversation:c-1", "visitor:v-1")
    assert event_subjects(joined("j", "c-1")) == ("conversation:c-1",)
    assert event_subjects(Event(type="x", source="s", dedupe_key="k")) == ()


async def test_q1_q3_jobs_about_one_subject_are_claimed_one_at_a_time_in_order(
    store: Store, clock: FakeClock
) -> None:
    """Page view, then chat request (same visitor), then rep joined (same conversation)."""
    store_events(
        store,
        clock,
        page_view("pv-1", "v-1"),
        chat("chat-1", "c-1", "v-1"),
        joined("joined-1", "c-1"),
        page_view("pv-2", "v-2"),  # another visitor: not held up
    )
    first = claimed_keys(store, clock)
    assert set(first) == {"pv-1", "pv-2"}
    assert claimed_keys(store, clock) == {}, "the chat waits for v-1's page view, running"
    with store.transaction() as session:
        complete_job(session, first["pv-1"], now=clock.now())
    second = claimed_keys(store, clock)
    assert set(second) == {"chat-1"}
    with store.transaction() as session:
        complete_job(session, second["chat-1"], now=clock.now())
    assert set(claimed_keys(store, clock)) == {"joined-1"}
    with store.sessions() as session:
        left = set(session.scalars(select(JobSubject.subject)))
    assert left == {"conversation:c-1", "visitor:v-2"}, "done jobs release their subjects"


async def test_a_later_event_waits_while_the_earlier_is_retried_and_goes_on_once_it_is_dead(
    store: Store, clock: FakeClock
) -> None:
    store_events(store, clock, page_view("pv-1", "v-1"), chat("chat-1", "c-1", "v-1"))
    [pv] = claimed_keys(store, clock).values()
    with store.transaction() as session:
        assert fail_job(session, pv, "enrichment failed", now=clock.now()) is JobState.QUEUED
    assert claimed_keys(store, clock) == {}, "queued for a retry, not due yet: still first"
    clock.advance(3600)
    again = claimed_keys(store, clock)
    assert set(again) == {"pv-1"}
    with store.transaction() as session:
        fail_job(session, again["pv-1"], "bad event", now=clock.now(), permanent=True)
    later = claimed_keys(store, clock)
    assert set(later) == {"chat-1"}, "a dead earlier job holds nothing up"
    with store.transaction() as session:
        complete_job(session, later["chat-1"], now=clock.now())
        dead = session.scalars(select(Job.id).where(Job.state == JobState.DEAD.value)).one()
        retry_jobs(session, [dead], now=clock.now())
    store_events(store, clock, page_view("pv-3", "v-1"))
    assert set(claimed_keys(store, clock)) == {"pv-1"}, "the retried job is first again"


class Recorder(EventHandler):
    """Decides events slowly (a random pause in enrich), noting order and overlap per subject."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.order: dict[str, list[int]] = defaultdict(list)
        self.in_flight: dict[str, int] = defaultdict(int)
        self.overlaps = 0
        self.rng = random.Random(7)

    async def enrich(self, hub: Any, event: EventRecord) -> dict[str, Any]:
        subjects = event_subjects(
            Event(type="t", source="s", dedupe_key="k", payload=event.payload)
        )
        for subject in subjects:
            self.in_flight[subject] += 1
            self.overlaps += self.in_flight[subject] > 1
        await asyncio.sleep(self.rng.random() / 500)
        return {"subjects": subjects}

    def decide(
        self, session: Session, event: EventRecord, context: dict[str, Any], now: datetime
    ) -> None:
        for subject in context["subjects"]:
            self.order[subject].append(event.id)
            self.in_flight[subject] -= 1


def mixed_events(visitors: int, rounds: int) -> list[Event]:
    rng = random.Random(11)
    events: list[Event] = []
    for r in range(rounds):
        for v in rng.sample(range(visitors), visitors):
            events.append(page_view(f"pv-{v}-{r}", f"v-{v}"))
            if r % 3 == 1:
                events.append(chat(f"chat-{v}-{r}", f"c-{v}", f"v-{v}"))
                events.append(joined(f"joined-{v}-{r}", f"c-{v}"))
    return events


async def three_workers_decide(store: Store, clock: FakeClock, events: list[Event]) -> Recorder:
    recorder = Recorder(store)
    for start in range(0, len(events), 40):  # arriving in several batches
        store_events(store, clock, *events[start : start + 40])
    workers = [Worker(store, clock=clock, concurrency=8, events=recorder) for _ in range(3)]
    await asyncio.wait_for(
        asyncio.gather(*(worker.run(until_idle=True) for worker in workers)), 120
    )
    with store.sessions() as session:
        states = set(session.scalars(select(Job.state)))
    assert states == {JobState.DONE.value}
    assert sum(w.stats.done for w in workers) == len(events)
    assert sum(1 for w in workers if w.stats.done) >= 2, "the work was shared"
    return recorder


def assert_in_order(recorder: Recorder) -> None:
    assert recorder.overlaps == 0, "two events of one subject were in flight at once"
    for subject, ids in recorder.order.items():
        assert ids == sorted(ids), f"{subject} decided out of order: {ids}"


async def test_three_workers_decide_each_subjects_events_in_order_on_sqlite(
    store: Store, clock: FakeClock
) -> None:
    recorder = await three_workers_decide(store, clock, mixed_events(visitors=8, rounds=6))
    assert_in_order(recorder)
    assert len(recorder.order) == 16  # 8 visitors, 8 conversations


@pytest.mark.postgres
async def test_three_workers_decide_each_subjects_events_in_order_on_postgres(
    pg_store: Store, clock: FakeClock
) -> None:
    recorder = await three_workers_decide(pg_store, clock, mixed_events(visitors=10, rounds=6))
    assert_in_order(recorder)
    assert len(recorder.order) == 20

"""Q3 daily caps under concurrency on PostgreSQL: two workers cannot both give a rep the last chat.

SQLite serialises every write transaction (BEGIN IMMEDIATE); on PostgreSQL the
snapshot locks the counters of capped reps, so the second decision waits for
the first to commit and then sees the rep at their cap.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

from helpers import playbook  # type: ignore[import-not-found]
from sqlalchemy import select, text

from handoff.chat.routing.availability import (
    count_routed,
    load_snapshot,
    routed_counter_name,
    set_rep_status,
)
from handoff.chat.routing.engine import RoutingDecision
from handoff.chat.routing.handler import store_routing_decision
from handoff.store import Cursor, Store
from handoff_sdk.entities import RepStatus

NOON = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
CONFIG = playbook().model_copy(
    update={
        "reps": [
            r.model_copy(update={"daily_cap": 1}) if r.id == "sdr-amy" else r
            for r in playbook().reps
        ]
    }
)
AMER = {"visitor": {"id": "v", "geo": "AMER"}}


def waiting_on_a_lock(store: Store) -> int:
    """Sessions of this database blocked on a row lock right now."""
    with store.sessions() as session:
        return int(
            session.scalar(
                text(
                    "select count(*) from pg_stat_activity "
                    "where datname = current_database() and wait_event_type = 'Lock'"
                )
            )
            or 0
        )


def test_q3_the_last_chat_under_a_cap_goes_to_one_worker_only(pg_store: Store) -> None:
    with pg_store.transaction() as session:
        set_rep_status(session, "sdr-amy", RepStatus.ONLINE, now=NOON)  # the only AMER rep online
    second: list[RoutingDecision] = []

    def other_worker() -> None:
        with pg_store.transaction() as session:
            second.append(
                store_routing_decision(
                    session, conversation_id="c-2", context=AMER, config=CONFIG, now=NOON
                )
            )

    with pg_store.transaction() as session:
        first = store_routing_decision(
            session, conversation_id="c-1", context=AMER, config=CONFIG, now=NOON
        )
        assert first.rep_id == "sdr-amy"
        worker = threading.Thread(target=other_worker)
        worker.start()
        deadline = time.monotonic() + 10
        while waiting_on_a_lock(pg_store) == 0:  # the other decision waits for this one
            assert time.monotonic() < deadline, "the second decision did not wait for the first"
            assert worker.is_alive(), "the second decision finished without waiting"
            time.sleep(0.01)
    worker.join(timeout=10)
    (decision,) = second
    assert decision.rep_id != "sdr-amy"
    skipped = [s for s in decision.explanation["skipped"] if s.get("rep") == "sdr-amy"]
    assert skipped
    assert "capped (1/1 today)" in skipped[0]["reason"]
    with pg_store.sessions() as session:
        count = session.scalar(
            select(Cursor.position).where(
                Cursor.name == routed_counter_name("sdr-amy", NOON, "UTC")
            )
        )
    assert count == 1


def test_q3_a_capped_reps_existing_counter_row_is_locked_by_the_snapshot(pg_store: Store) -> None:
    """Found by mutation testing: without the row lock, the insert of a *missing* counter row
    still made the other decision wait, so only an existing row shows the lock is taken.

    Two decisions load their snapshots: the second waits until the first commits,
    and then reads the count the first one wrote."""
    name = routed_counter_name("sdr-amy", NOON, "UTC")
    with pg_store.transaction() as session:  # earlier today: the counter row exists, at 1
        count_routed(session, "sdr-amy", now=NOON, timezone="UTC")
    seen: list[int] = []

    def other_worker() -> None:
        with pg_store.transaction() as session:
            snapshot = load_snapshot(
                session, now=NOON, reps=[("sdr-amy", "UTC")], capped=["sdr-amy"]
            )
            seen.append(snapshot.routed_today["sdr-amy"])

    with pg_store.transaction() as session:
        snapshot = load_snapshot(session, now=NOON, reps=[("sdr-amy", "UTC")], capped=["sdr-amy"])
        assert snapshot.routed_today == {"sdr-amy": 1}
        worker = threading.Thread(target=other_worker)
        worker.start()
        deadline = time.monotonic() + 60
        while waiting_on_a_lock(pg_store) == 0:
            assert time.monotonic() < deadline, "the second snapshot did not wait for the first"
            assert worker.is_alive(), "the second snapshot was taken without waiting"
            time.sleep(0.01)
        count_routed(session, "sdr-amy", now=NOON, timezone="UTC")  # the first routes to amy
    worker.join(timeout=60)
    assert seen == [2]
    with pg_store.sessions() as session:
        assert session.scalar(select(Cursor.position).where(Cursor.name == name)) == 2

"""The hub's small durable state helpers: the audit history (and the trail the console
reads), and the entities it owns, locked while replaced (handoff.runtime.state; the
round-robin counter is tested in tests/rules/test_rotation.py and
tests/runtime/test_sqlite_contention.py)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, text

from handoff.runtime.state import audit, audit_trail, upsert_entity
from handoff.store import Audit, EntityRecord, Store

NOW = datetime(2026, 1, 5, 12, tzinfo=UTC)


def test_an_audit_line_keeps_its_details_and_has_empty_ones_when_given_none(store: Store) -> None:
    with store.transaction() as session:
        audit(session, actor="ops", action="job.retried", now=NOW, details={"job": 7})
        audit(session, actor="ops", action="config.reloaded", now=NOW)
    with store.sessions() as session:
        lines = session.scalars(select(Audit).order_by(Audit.id)).all()
        assert [(a.action, a.details) for a in lines] == [
            ("job.retried", {"job": 7}),
            ("config.reloaded", {}),
        ]


def test_an_entity_starts_at_version_1_and_each_replacement_bumps_it(store: Store) -> None:
    later = NOW + timedelta(minutes=5)
    with store.transaction() as session:
        first = upsert_entity(session, "visitor", "v-1", {"email": "a@example.test"}, now=NOW)
        assert first.version == 1
    with store.transaction() as session:
        again = upsert_entity(session, "visitor", "v-1", {"email": "b@example.test"}, now=later)
        assert again.version == 2
    with store.sessions() as session:
        row = session.get(EntityRecord, ("visitor", "v-1"))
        assert row is not None
        assert (row.data, row.version) == ({"email": "b@example.test"}, 2)
        assert row.created_at.replace(tzinfo=UTC) == NOW
        assert row.updated_at.replace(tzinfo=UTC) == later


def test_the_audit_trail_lists_the_newest_lines_of_the_actions_asked_for(store: Store) -> None:
    """The console's Jobs and Experiences pages read their operators' lines through it."""
    with store.transaction() as session:
        for n, (action, subject_type) in enumerate(
            [
                ("jobs.retry", None),
                ("rep.status", "rep"),
                ("jobs.discard", None),
                ("experiences.rollback", "experiences"),
                ("experiences.rollback", "flows"),
                ("jobs.retry", None),
            ]
        ):
            audit(
                session,
                actor="ops",
                action=action,
                now=NOW + timedelta(minutes=n),
                subject_type=subject_type,
                details={"n": n},
            )
    with store.sessions() as session:

        def trail(**kwargs: Any) -> list[int]:
            return [line.details["n"] for line in audit_trail(session, **kwargs)]

        assert trail(actions=("jobs.retry", "jobs.discard")) == [5, 2, 0]
        assert trail(actions=["experiences.rollback"]) == [4, 3]
        assert trail(actions=["experiences.rollback"], subject_type="experiences") == [3]
        assert trail(actions=["jobs.retry", "rep.status"], subject_type="rep") == [1]
        assert trail(actions=["jobs.retry", "jobs.discard"], limit=2) == [5, 2]
        assert trail(actions=["config.reloaded"]) == []


def test_the_audit_trail_shows_the_newest_twenty_unless_told_otherwise(store: Store) -> None:
    with store.transaction() as session:
        for n in range(22):
            audit(session, actor="ops", action="jobs.retry", now=NOW, details={"n": n})
    with store.sessions() as session:
        shown = [line.details["n"] for line in audit_trail(session, actions=["jobs.retry"])]
    assert shown == list(range(21, 1, -1))


def test_on_postgres_two_replacements_of_one_entity_at_once_both_bump_its_version(
    pg_store: Store,
) -> None:
    """The entity's row is locked while it is replaced: the second writer waits, then reads
    and bumps the first one's version (without the lock it would write version 2 again)."""
    with pg_store.transaction() as session:
        upsert_entity(session, "visitor", "v-1", {"email": "a@example.test"}, now=NOW)
    versions: list[int] = []

    def other_writer() -> None:
        with pg_store.transaction() as session:
            row = upsert_entity(session, "visitor", "v-1", {"email": "c@example.test"}, now=NOW)
            versions.append(row.version)

    with pg_store.transaction() as session:
        versions.append(
            upsert_entity(session, "visitor", "v-1", {"email": "b@example.test"}, now=NOW).version
        )
        writer = threading.Thread(target=other_writer)
        writer.start()
        deadline = time.monotonic() + 60
        while waiting_on_a_lock(pg_store) == 0:  # the other writer waits for this one
            assert time.monotonic() < deadline, "the second writer did not wait for the first"
            assert writer.is_alive(), "the second writer finished without waiting"
            time.sleep(0.01)
    writer.join(timeout=60)
    assert versions == [2, 3]
    with pg_store.sessions() as session:
        row = session.get(EntityRecord, ("visitor", "v-1"))
        assert row is not None
        assert (row.data, row.version) == ({"email": "c@example.test"}, 3)


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

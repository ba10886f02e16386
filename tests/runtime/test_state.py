"""The hub's small durable state helpers: the audit history and the entities it owns
(handoff.runtime.state; the round-robin counter is tested in tests/rules/test_rotation.py
and tests/runtime/test_sqlite_contention.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from handoff.runtime.state import audit, upsert_entity
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

"""Small pieces of state that must survive restarts: round-robin cursors, audit, owned entities."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from handoff.store import Audit, Cursor, EntityRecord, dialect_insert

__all__ = ["advance_counter", "audit", "upsert_entity"]


def advance_counter(session: Session, name: str, *, now: datetime, modulo: int = 0) -> int:
    """Add one to a named cursor and return the new position, in one statement.

    The row is created at 1 when absent; with `modulo` the position wraps
    from `modulo` back to 1. The UPSERT takes the row lock (PostgreSQL) or
    runs under the writer lock (SQLite, BEGIN IMMEDIATE), so concurrent
    transactions each get their own position.
    """
    table = Cursor.__table__
    step = (table.c.position % modulo if modulo else table.c.position) + 1
    statement = (
        dialect_insert(session, table)
        .values(name=name, position=1, updated_at=now)
        .on_conflict_do_update(index_elements=["name"], set_={"position": step, "updated_at": now})
        .returning(table.c.position)
    )
    position: int = session.connection().execute(statement).scalar_one()
    return position


def audit(
    session: Session,
    *,
    actor: str,
    action: str,
    now: datetime,
    subject_type: str | None = None,
    subject_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Append one line to the audit history (operators retrying jobs, config changes...)."""
    session.add(
        Audit(
            at=now,
            actor=actor,
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            details=details or {},
        )
    )


def upsert_entity(
    session: Session, entity_type: str, entity_id: str, data: dict[str, Any], *, now: datetime
) -> EntityRecord:
    """Create or replace an entity the hub owns, bumping its version."""
    row = session.get(EntityRecord, (entity_type, entity_id), with_for_update=True)
    if row is None:
        row = EntityRecord(
            type=entity_type, id=entity_id, data=data, version=1, created_at=now, updated_at=now
        )
        session.add(row)
    else:
        row.data = data
        row.version += 1
        row.updated_at = now
    session.flush()
    return row


def audit_trail(
    session: Session,
    *,
    actions: Sequence[str],
    subject_type: str | None = None,
    limit: int = 20,
) -> list[Audit]:
    """The newest audit lines of some actions (what operators did), newest first.

    The console's Jobs and Experiences pages show who retried, discarded,
    rolled back or restored what, from the same lines the CLI writes.
    """
    query = select(Audit).where(Audit.action.in_(list(actions)))
    if subject_type is not None:
        query = query.where(Audit.subject_type == subject_type)
    return list(session.scalars(query.order_by(Audit.id.desc()).limit(limit)))

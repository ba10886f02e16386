"""Small pieces of state that must survive restarts: round-robin cursors, audit, owned entities."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from handoff.store import Audit, Cursor, EntityRecord

__all__ = ["audit", "next_in_rotation", "upsert_entity"]


def next_in_rotation(session: Session, name: str, members: Sequence[str], *, now: datetime) -> str:
    """The next member of a round robin (Q3), advancing the stored cursor in this transaction.

    The cursor row is locked (FOR UPDATE on PostgreSQL; SQLite's writer lock
    does the same), so two workers routing at once hand out different reps.
    """
    if not members:
        raise ValueError(f"round robin '{name}' has no members")
    cursor = session.scalar(select(Cursor).where(Cursor.name == name).with_for_update())
    if cursor is None:
        cursor = Cursor(name=name, position=0, updated_at=now)
        session.add(cursor)
    position = cursor.position % len(members)
    cursor.position = position + 1
    cursor.value = members[position]
    cursor.updated_at = now
    session.flush()
    return members[position]


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

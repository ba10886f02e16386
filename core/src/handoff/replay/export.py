"""`handoff events export`: the stored events of a period, as lines of the events file."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from handoff.replay.format import event_line, header_line
from handoff.store import EventRecord

__all__ = ["count_events", "export_lines"]


def _query(since: datetime | None, until: datetime | None, sources: Sequence[str]) -> Any:
    query = select(EventRecord)
    if since is not None:
        query = query.where(EventRecord.received_at >= since)
    if until is not None:
        query = query.where(EventRecord.received_at < until)
    if sources:
        query = query.where(EventRecord.source.in_(list(sources)))
    return query


def count_events(
    session: Session, *, since: datetime | None, until: datetime | None, sources: Sequence[str]
) -> int:
    """How many events the export will write (for its progress bar)."""
    query = _query(since, until, sources).with_only_columns(func.count())
    return int(session.scalar(query) or 0)


def export_lines(
    session: Session,
    *,
    now: datetime,
    since: datetime | None = None,
    until: datetime | None = None,
    sources: Sequence[str] = (),
) -> Iterator[dict[str, Any]]:
    """The header, every event received in [since, until) in the order decided, then the end.

    Events come in the order the hub decided them (`processed_at`; those
    not decided yet by when they arrived), read in batches. The last line
    moves the clock to `until` (or `now`), so a replay fires the timers that
    came due in the period.
    """
    yield header_line(exported_at=now, since=since, until=until, sources=list(sources))
    order = func.coalesce(EventRecord.processed_at, EventRecord.received_at)
    query = _query(since, until, sources).order_by(order, EventRecord.id)
    for event in session.scalars(query.execution_options(yield_per=500)):
        yield event_line(event)
    yield {"kind": "clock", "at": (until or now).isoformat()}

"""Events in: stored once per (source, dedupe key), each processed once through the outbox.

Storing an event also writes, in the same transaction, the job that will
process it (key `event:<id>`), carrying the subjects the event is about. A
duplicate delivery finds the event already there and writes nothing, so it
is stored once and processed once. Events about one subject are decided in
the order they were stored (see `event_subjects` and `claim_jobs`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from handoff.runtime.jobs import JobSpec, enqueue
from handoff.store import EventRecord, dialect_insert
from handoff_sdk.entities import Event

if TYPE_CHECKING:
    from handoff.hub import Hub

__all__ = [
    "EVENT_KIND",
    "CompositeHandler",
    "EventHandler",
    "EventObserver",
    "StoredEvent",
    "decide_event",
    "event_subjects",
    "record_events",
    "stored_by",
]

EVENT_KIND = "event"
"""Job kind that runs the EventHandler on one stored event."""


_ORIGIN: ContextVar[str | None] = ContextVar("handoff_event_origin", default=None)


@contextmanager
def stored_by(job_kind: str) -> Iterator[None]:
    """Events stored meanwhile (in this task and its threads) came from a `job_kind` job.

    The worker wraps each job runner in it, so an event a timer or a poll
    stores says so (`EventRecord.origin`): replay regenerates a timer's
    events on its simulated clock instead of reading them from the file.
    """
    token = _ORIGIN.set(job_kind)
    try:
        yield
    finally:
        _ORIGIN.reset(token)


@dataclass(frozen=True)
class StoredEvent:
    """The outcome of storing one event: its id, and whether it was new."""

    id: int
    created: bool


def _typed_id(value: Any) -> tuple[str, str] | None:
    if isinstance(value, dict):
        kind, ident = value.get("type"), value.get("id")
        if isinstance(kind, str) and isinstance(ident, str) and kind and ident:
            return kind, ident
    return None


def _subject(event: Event) -> tuple[str | None, str | None]:
    subject = _typed_id(event.payload.get("subject"))
    return (subject[0][:50], subject[1][:200]) if subject else (None, None)


def event_subjects(event: Event) -> tuple[str, ...]:
    """What an event is about, as 'type:id': its `subject`, then each of its `related`.

    The event's job carries them (JobSpec.subjects), so events about one
    visitor, lead, ticket or conversation are decided in the order they were
    stored. A chat request is about its conversation and related to its
    visitor: it waits for that visitor's earlier page views.
    """
    found = [_typed_id(event.payload.get("subject"))]
    related = event.payload.get("related")
    if isinstance(related, list):
        found += [_typed_id(item) for item in related]
    subjects: list[str] = []
    for item in found:
        if item is not None and f"{item[0]}:{item[1]}" not in subjects:
            subjects.append(f"{item[0]}:{item[1]}")
    return tuple(subjects)


def record_events(session: Session, events: Sequence[Event], *, now: datetime) -> list[StoredEvent]:
    """Store events (once per source + dedupe key) and queue each new one for processing.

    Runs in the caller's transaction; one result per input, in order. An
    event repeated inside `events` counts as new only the first time.
    """
    if not events:
        return []
    rows: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    origin = _ORIGIN.get()
    for event in events:
        key = (event.source, event.dedupe_key)
        if key in seen:
            continue
        seen.add(key)
        subject_type, subject_id = _subject(event)
        rows.append(
            {
                "source": event.source,
                "dedupe_key": event.dedupe_key,
                "type": event.type,
                "occurred_at": event.occurred_at,
                "received_at": now,
                "payload": event.payload,
                "subject_type": subject_type,
                "subject_id": subject_id,
                "origin": origin,
            }
        )
    # A Core insert on the session's connection: the ORM's bulk-insert bookkeeping
    # cost more than the statement itself on the intake's hot path.
    table = EventRecord.__table__
    statement = (
        dialect_insert(session, table)
        .on_conflict_do_nothing(index_elements=["source", "dedupe_key"])
        .returning(table.c.id, table.c.source, table.c.dedupe_key)
    )
    new: dict[tuple[str, str], int] = {
        (source, dedupe): ident
        for ident, source, dedupe in session.connection().execute(statement, rows)
    }
    subjects = {(event.source, event.dedupe_key): event_subjects(event) for event in events}
    missing = [k for k in seen if k not in new]
    old: dict[tuple[str, str], int] = {}
    if missing:
        found = session.execute(
            select(EventRecord.id, EventRecord.source, EventRecord.dedupe_key).where(
                tuple_(EventRecord.source, EventRecord.dedupe_key).in_(missing)
            )
        )
        old = {(source, dedupe): ident for ident, source, dedupe in found}
    enqueue(
        session,
        [
            JobSpec(
                kind=EVENT_KIND,
                idempotency_key=f"event:{ident}",
                payload={"event_id": ident},
                event_id=ident,
                subjects=subjects[key],
            )
            for key, ident in sorted(new.items(), key=lambda item: item[1])
        ],
        now=now,
    )
    results: list[StoredEvent] = []
    first: set[tuple[str, str]] = set()
    for event in events:
        key = (event.source, event.dedupe_key)
        if key in new and key not in first:
            first.add(key)
            results.append(StoredEvent(new[key], created=True))
        else:
            results.append(StoredEvent(new.get(key) or old[key], created=False))
    return results


class EventHandler:
    """What the worker does with each stored event: enrich (I/O), then decide (pure, stored).

    The rules engine subclasses this. `decide` runs in the same transaction
    that marks the event processed and its job done, so the decisions and
    jobs it writes (with `record_decision`) are committed exactly when the
    event counts as processed, never twice.
    """

    async def enrich(self, hub: Hub | None, event: EventRecord) -> dict[str, Any]:
        """Ask connectors what the decision needs (firmographics, CRM match). Default: nothing."""
        return {}

    async def complete(
        self, hub: Hub | None, event: EventRecord, recorded: Mapping[str, Any]
    ) -> dict[str, Any]:
        """The context recorded when the event was decided, for deciding it again (replay).

        Default: as recorded. `CompositeHandler` enriches the parts it lacks.
        """
        return dict(recorded)

    def decide(
        self, session: Session, event: EventRecord, context: dict[str, Any], now: datetime
    ) -> None:
        """Take and store the decisions about this event. Default: none."""


class EventObserver(Protocol):
    """Told of every event the worker decided, after its decisions are committed (shadow mode).

    It must never act on the live hub: it reads the event and the context it
    was decided on. Its failures are logged and never affect the event.
    """

    async def observe(self, event: EventRecord, context: dict[str, Any], now: datetime) -> None:
        """Look at one decided event."""
        ...


def decide_event(
    session: Session,
    handler: EventHandler,
    event: EventRecord,
    context: dict[str, Any],
    now: datetime,
) -> bool:
    """Decide a stored event once, keeping the context it was decided on; False: done already.

    The worker calls it in the transaction that finishes the event's job;
    replay and shadow mode call it on their own stores. The context is kept
    on the event (`EventRecord.context`) so the event can be exported and
    decided again under another configuration without asking the connectors.
    """
    if event.processed_at is not None:
        return False
    handler.decide(session, event, context, now)
    event.processed_at = now
    event.context = context
    return True


class CompositeHandler(EventHandler):
    """Several handlers on every event: each enriches, then each decides, in order.

    Each handler's context is kept under its name, so a recorded context
    still lines up when another configuration adds or drops a handler.
    `event_types` limits a handler to those types of event (absent: all).
    """

    def __init__(
        self,
        handlers: Mapping[str, EventHandler],
        *,
        event_types: Mapping[str, Collection[str]] | None = None,
    ) -> None:
        self.handlers = dict(handlers)
        self.event_types = {name: frozenset(types) for name, types in (event_types or {}).items()}

    def _wants(self, name: str, event: EventRecord) -> bool:
        types = self.event_types.get(name)
        return types is None or event.type in types

    async def enrich(self, hub: Hub | None, event: EventRecord) -> dict[str, Any]:
        """Each handler's context, under its name."""
        return {
            name: await handler.enrich(hub, event)
            for name, handler in self.handlers.items()
            if self._wants(name, event)
        }

    async def complete(
        self, hub: Hub | None, event: EventRecord, recorded: Mapping[str, Any]
    ) -> dict[str, Any]:
        """A recorded context, with the parts it lacks enriched now (replay, shadow).

        A handler the recorded run did not have (another configuration turns
        it on) has no recorded part: it is enriched with `hub` (None: no
        connector, so it decides on what the event itself says). Nested
        composites are completed part by part.
        """
        context: dict[str, Any] = {}
        for name, handler in self.handlers.items():
            if not self._wants(name, event):
                continue
            part = recorded.get(name)
            if not isinstance(part, Mapping):
                context[name] = await handler.enrich(hub, event)
            elif isinstance(handler, CompositeHandler):
                context[name] = await handler.complete(hub, event, part)
            else:
                context[name] = dict(part)
        return context

    def decide(
        self, session: Session, event: EventRecord, context: dict[str, Any], now: datetime
    ) -> None:
        """Each handler decides on its own context, in the one transaction."""
        for name, handler in self.handlers.items():
            if self._wants(name, event):
                handler.decide(session, event, context.get(name, {}), now)

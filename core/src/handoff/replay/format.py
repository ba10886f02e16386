"""The events file: what `handoff events export` writes and `handoff replay` reads (version 1).

JSON Lines, one object per line, each with a `kind`:

- `header` (first line, optional when written by hand): `{"kind": "header",
  "format": "handoff.events", "version": 1, "exported_at": ..., "since": ...,
  "until": ..., "sources": [...]}`;
- `event`: one stored event: `{"kind": "event", "at": T, "source": ...,
  "type": ..., "dedupe_key": ..., "occurred_at": ..., "received_at": ...,
  "payload": {...}, "context": {...} | null, "origin": null | JOB_KIND,
  "id": N}`. `at` is the hub's time when it was decided (the clock replay
  sets before deciding it); `context` is what the handlers' enrich returned
  then, by flow (null: not decided yet, replay enriches it without
  connectors); `origin` is the job kind whose runner stored it (a timer's
  event), which replay regenerates on its own clock instead;
- `clock`: `{"kind": "clock", "at": T}`: only moves the clock (timers due
  by then fire).

Times are ISO 8601 with a zone. Lines must not go back in time by more than
the events' own disorder: replay never moves its clock backwards (an event
older than the clock is decided at the clock's time).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from handoff.errors import HandoffError
from handoff.store import EventRecord

__all__ = [
    "FORMAT",
    "VERSION",
    "ClockLine",
    "EventLine",
    "Line",
    "event_line",
    "header_line",
    "parse_lines",
    "read_lines",
]

FORMAT = "handoff.events"
"""The `format` of the header line."""
VERSION = 1
"""The version this hub writes and reads."""


@dataclass(frozen=True)
class EventLine:
    """One event of the file: as stored, with the context it was decided on."""

    line: int
    at: datetime
    source: str
    type: str
    dedupe_key: str
    payload: dict[str, Any]
    occurred_at: datetime | None = None
    context: dict[str, Any] | None = None
    origin: str | None = None
    id: int | None = None


@dataclass(frozen=True)
class ClockLine:
    """A line that only moves the clock."""

    line: int
    at: datetime


Line = EventLine | ClockLine


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def header_line(
    *, exported_at: datetime, since: datetime | None, until: datetime | None, sources: list[str]
) -> dict[str, Any]:
    """The first line of an export: what it holds."""
    return {
        "kind": "header",
        "format": FORMAT,
        "version": VERSION,
        "exported_at": exported_at.isoformat(),
        "since": _time(since),
        "until": _time(until),
        "sources": sources,
    }


def event_line(event: EventRecord) -> dict[str, Any]:
    """One stored event as a line of the file."""
    at = event.processed_at or event.received_at
    return {
        "kind": "event",
        "at": at.isoformat(),
        "id": event.id,
        "source": event.source,
        "type": event.type,
        "dedupe_key": event.dedupe_key,
        "occurred_at": _time(event.occurred_at),
        "received_at": event.received_at.isoformat(),
        "payload": event.payload,
        "context": event.context,
        "origin": event.origin,
    }


def _parse_time(value: Any, where: str, *, required: bool = True) -> datetime | None:
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise HandoffError(f"{where}: expected an ISO 8601 time with a zone, got {value!r}")
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise HandoffError(f"{where}: not an ISO 8601 time: {value!r}") from None
    if when.tzinfo is None:
        raise HandoffError(f"{where}: the time needs a zone, e.g. 2026-01-05T12:00:00Z")
    return when


def _text(data: dict[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise HandoffError(f"{where}: {key}: required, a non-empty string")
    return value


def _parse(data: Any, where: str, number: int) -> Line | None:
    if not isinstance(data, dict):
        raise HandoffError(f"{where}: expected a JSON object")
    kind = data.get("kind", "event")
    if kind == "header":
        if data.get("format") != FORMAT:
            raise HandoffError(f"{where}: format: expected {FORMAT!r}, got {data.get('format')!r}")
        if data.get("version") != VERSION:
            raise HandoffError(
                f"{where}: version: this handoff reads version {VERSION}, "
                f"the file is version {data.get('version')!r}"
            )
        return None
    at = _parse_time(data.get("at"), f"{where}: at")
    assert at is not None
    if kind == "clock":
        return ClockLine(number, at)
    if kind != "event":
        raise HandoffError(f"{where}: kind: expected 'header', 'event' or 'clock', got {kind!r}")
    payload = data.get("payload")
    if not isinstance(payload, dict):
        raise HandoffError(f"{where}: payload: required, a JSON object")
    context = data.get("context")
    if context is not None and not isinstance(context, dict):
        raise HandoffError(f"{where}: context: expected a JSON object or null")
    origin = data.get("origin")
    if origin is not None and not isinstance(origin, str):
        raise HandoffError(f"{where}: origin: expected a job kind or null")
    ident = data.get("id")
    return EventLine(
        line=number,
        at=at,
        source=_text(data, "source", where),
        type=_text(data, "type", where),
        dedupe_key=_text(data, "dedupe_key", where),
        payload=payload,
        occurred_at=_parse_time(data.get("occurred_at"), f"{where}: occurred_at", required=False),
        context=context,
        origin=origin,
        id=ident if isinstance(ident, int) else None,
    )


def parse_lines(raw_lines: Iterable[str], name: str) -> Iterator[Line]:
    """The lines of an events file's text, in order; an error names `name`, the line and field.

    `read_lines` reads a file with it; the console's Rules page an uploaded one.
    """
    for number, raw in enumerate(raw_lines, start=1):
        if not raw.strip():
            continue
        where = f"{name}:{number}"
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise HandoffError(f"{where}: not valid JSON: {exc}") from None
        parsed = _parse(data, where, number)
        if parsed is not None:
            yield parsed


def read_lines(path: Path) -> Iterator[Line]:
    """The lines of an events file, in order; an error names the file, line and field."""
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise HandoffError(f"{path}: cannot be read: {exc.strerror}") from None
    with handle:
        yield from parse_lines(handle, str(path))

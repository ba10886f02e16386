"""Who can take a chat now (Q3): presence, working hours in the rep's time zone, calendar busy.

Presence is set through the API (`set_rep_status`) and kept as an entity of
kind `rep_status`, every change audited. Busy times come from the calendar
connector (`handoff_rep_busy`) during `enrich`, never inside a decision: the
decision only reads an `AvailabilitySnapshot` taken before it.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from handoff.runtime import advance_counter, audit, upsert_entity
from handoff.store import Cursor, EntityRecord, dialect_insert, is_postgresql
from handoff_sdk.entities import BusySlot, Rep, RepStatus

if TYPE_CHECKING:
    from handoff.hub import Hub

__all__ = [
    "DAYS",
    "PRESENCE_VERSION",
    "REP_STATUS_KIND",
    "AvailabilitySnapshot",
    "WorkingHours",
    "count_routed",
    "fetch_busy",
    "load_snapshot",
    "rep_statuses",
    "routed_counter_name",
    "set_rep_status",
]

REP_STATUS_KIND = "rep_status"
"""Entity type under which each rep's presence is stored."""

PRESENCE_VERSION = "presence:version"
"""The counter every presence change advances: a cached presence is current while it matches."""

_presence_cache: WeakKeyDictionary[Engine, tuple[int, dict[str, RepStatus]]] = WeakKeyDictionary()
"""Per database: the presence last read and the version it was read at."""

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Day names of working-hours keys, Monday first (datetime.weekday order)."""

_SPAN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def set_rep_status(
    session: Session, rep_id: str, status: RepStatus, *, now: datetime, actor: str = "api"
) -> None:
    """Store a rep's presence (online/away/offline), audited, in the caller's transaction."""
    previous = session.get(EntityRecord, (REP_STATUS_KIND, rep_id))
    before = previous.data.get("status") if previous is not None else None
    upsert_entity(
        session,
        REP_STATUS_KIND,
        rep_id,
        {"status": RepStatus(status).value, "since": now.isoformat()},
        now=now,
    )
    audit(
        session,
        actor=actor,
        action="rep.status",
        now=now,
        subject_type="rep",
        subject_id=rep_id,
        details={"status": RepStatus(status).value, "previous": before},
    )
    advance_counter(session, PRESENCE_VERSION, now=now)


def rep_statuses(session: Session) -> dict[str, RepStatus]:
    """Every stored presence, by rep id; a rep never set is absent (and counts as offline)."""
    table = EntityRecord.__table__
    rows = session.connection().execute(
        select(table.c.id, table.c.data).where(table.c.type == REP_STATUS_KIND)
    )
    return {ident: RepStatus(data["status"]) for ident, data in rows}


def _parse_span(text: str, where: str) -> tuple[time, time]:
    match = _SPAN.match(text)
    if not match:
        raise ValueError(f"{where}: expected 'HH:MM-HH:MM', got {text!r}")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
        raise ValueError(f"{where}: not a time of day in {text!r}")
    end = time(23, 59, 59, 999999) if h2 == 24 else time(h2, m2)
    start = time(h1, m1)
    if end <= start:
        raise ValueError(f"{where}: the span {text!r} ends before it starts")
    return start, end


def _days(key: str) -> list[int]:
    key = key.strip().lower()
    if "-" in key:
        first, _, last = key.partition("-")
        if first not in DAYS or last not in DAYS:
            raise ValueError(f"unknown day range {key!r} (use mon..sun, e.g. 'mon-fri')")
        a, b = DAYS.index(first), DAYS.index(last)
        return list(range(a, b + 1)) if a <= b else [*range(a, 7), *range(b + 1)]
    if key not in DAYS:
        raise ValueError(f"unknown day {key!r} (use mon..sun, e.g. 'mon-fri')")
    return [DAYS.index(key)]


@dataclass(frozen=True)
class WorkingHours:
    """When a rep works, in their own IANA time zone: day -> spans of local time.

    Built from a config table such as `{"mon-fri" = "09:00-17:30", "sat" = "10:00-12:00"}`;
    several spans of a day are separated by commas. No table at all means
    "always" (the AI rep, a 24/7 team).
    """

    timezone: str = "UTC"
    spans: tuple[tuple[tuple[time, time], ...], ...] = ()
    text: str = "always"

    @classmethod
    def parse(cls, table: Mapping[str, str] | None, timezone: str = "UTC") -> WorkingHours:
        """Validate a working-hours table; errors say which day or span is wrong."""
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {timezone!r}") from None
        if not table:
            return cls(timezone=timezone)
        per_day: list[list[tuple[time, time]]] = [[] for _ in DAYS]
        for key, value in table.items():
            for day in _days(key):
                per_day[day].extend(_parse_span(part, key) for part in value.split(","))
        text = ", ".join(f"{k} {v}" for k, v in table.items()) + f" {timezone}"
        return cls(timezone=timezone, spans=tuple(tuple(d) for d in per_day), text=text)

    def contains(self, now: datetime) -> bool:
        """Whether `now` (timezone-aware) falls inside the working hours."""
        if not self.spans:
            return True
        local = now.astimezone(ZoneInfo(self.timezone))
        moment = local.time()
        return any(start <= moment < end for start, end in self.spans[local.weekday()])


def routed_counter_name(rep_id: str, now: datetime, timezone: str) -> str:
    """The cursor row counting a rep's routed chats on their local day (daily caps)."""
    day = now.astimezone(ZoneInfo(timezone)).date().isoformat()
    return f"routed:{rep_id}:{day}"


@dataclass
class AvailabilitySnapshot:
    """What the decision may know about reps, taken before it: presence, busy, today's counts."""

    now: datetime
    statuses: dict[str, RepStatus] = field(default_factory=dict)
    busy: dict[str, list[BusySlot]] = field(default_factory=dict)
    routed_today: dict[str, int] = field(default_factory=dict)

    def status(self, rep_id: str) -> RepStatus:
        """The rep's presence; never set counts as offline."""
        return self.statuses.get(rep_id, RepStatus.OFFLINE)

    def busy_until(self, rep_id: str) -> datetime | None:
        """The end of the calendar slot the rep is in now, or None when free."""
        for slot in self.busy.get(rep_id, ()):
            if slot.start <= self.now < slot.end:
                return slot.end
        return None

    def unavailable_reason(
        self, rep_id: str, hours: WorkingHours, *, is_ai: bool = False, daily_cap: int | None = None
    ) -> str | None:
        """Why the rep cannot take a chat now ('offline', 'capped ...'), or None when they can.

        The AI rep is always available. The order of the checks is the order
        of the reasons an operator reads: presence, hours, calendar, cap.
        """
        if is_ai:
            return None
        status = self.status(rep_id)
        if status is not RepStatus.ONLINE:
            return status.value
        if not hours.contains(self.now):
            return f"outside working hours ({hours.text})"
        until = self.busy_until(rep_id)
        if until is not None:
            return f"busy (calendar) until {until.isoformat()}"
        if daily_cap is not None and self.routed_today.get(rep_id, 0) >= daily_cap:
            return f"capped ({self.routed_today.get(rep_id, 0)}/{daily_cap} today)"
        return None

    def to_json(self) -> dict[str, Any]:
        """The snapshot as JSON, stored with the decision that used it."""
        return {
            "now": self.now.isoformat(),
            "statuses": {k: v.value for k, v in sorted(self.statuses.items())},
            "busy": {
                k: [s.model_dump(mode="json") for s in v] for k, v in sorted(self.busy.items()) if v
            },
            "routed_today": dict(sorted(self.routed_today.items())),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], now: datetime) -> AvailabilitySnapshot:
        """A snapshot from a JSON object ({statuses, busy, routed_today}), e.g. `handoff route`."""
        return cls(
            now=now,
            statuses={k: RepStatus(v) for k, v in (data.get("statuses") or {}).items()},
            busy={
                k: [BusySlot.model_validate(s) for s in v]
                for k, v in (data.get("busy") or {}).items()
            },
            routed_today={k: int(v) for k, v in (data.get("routed_today") or {}).items()},
        )


def load_snapshot(
    session: Session,
    *,
    now: datetime,
    reps: Iterable[tuple[str, str]],
    busy: Mapping[str, Sequence[BusySlot]] | None = None,
    capped: Iterable[str] = (),
    statuses: Mapping[str, RepStatus] | None = None,
) -> AvailabilitySnapshot:
    """Presence and today's routed counts from the store (inside the decision's transaction).

    `reps` are (rep id, time zone) pairs: each rep's day is counted in their
    own time zone. `statuses`: the presence `enrich` recorded (replay decides
    on the presence of the time); absent, it is read here. `busy` is what
    `fetch_busy` found during enrich. The counters of `capped` reps (those
    with a daily cap) are locked until the decision commits, so two workers
    cannot both give a rep the last chat
    under their cap: SQLite's writer lock does this for every transaction;
    on PostgreSQL the rows are created if absent and locked in name order.
    """
    names = {routed_counter_name(rep_id, now, tz): rep_id for rep_id, tz in reps}
    table = Cursor.__table__
    connection = session.connection()
    counts: dict[str, int] = {}
    capped_ids = set(capped)
    locked = sorted(name for name, rep_id in names.items() if rep_id in capped_ids)
    if locked and is_postgresql(session):
        connection.execute(
            dialect_insert(session, table).on_conflict_do_nothing(index_elements=["name"]),
            [{"name": name, "position": 0, "updated_at": now} for name in locked],
        )
        query = select(table.c.name, table.c.position).where(table.c.name.in_(locked))
        for name, position in connection.execute(query.order_by(table.c.name).with_for_update()):
            counts[names[name]] = position
    wanted = [name for name in names if names[name] not in counts] + [PRESENCE_VERSION]
    version: int | None = None
    query = select(table.c.name, table.c.position).where(table.c.name.in_(wanted))
    for name, position in connection.execute(query):
        if name == PRESENCE_VERSION:
            version = position
        else:
            counts[names[name]] = position
    return AvailabilitySnapshot(
        now=now,
        statuses=_presence(session, version) if statuses is None else dict(statuses),
        busy={k: list(v) for k, v in (busy or {}).items()},
        routed_today=counts,
    )


def _presence(session: Session, version: int | None) -> dict[str, RepStatus]:
    """Every rep's presence, read again only when a change advanced PRESENCE_VERSION.

    Presence changes a few times a day and is read by every decision; the
    version is read in the same statement as the counters, so a decision
    pays one query for both. Without a version row (nobody set since the
    counter exists) the presence is always read.
    """
    engine = session.get_bind().engine
    cached = _presence_cache.get(engine)
    if version is not None and cached is not None and cached[0] == version:
        return dict(cached[1])
    statuses = rep_statuses(session)
    if version is not None:
        _presence_cache[engine] = (version, dict(statuses))
    return statuses


def count_routed(session: Session, rep_id: str, *, now: datetime, timezone: str) -> int:
    """Add one to the rep's routed count for their local day (in the decision's transaction)."""
    return advance_counter(session, routed_counter_name(rep_id, now, timezone), now=now)


async def fetch_busy(
    hub: Hub, reps: Sequence[Rep], *, now: datetime, window: timedelta = timedelta(minutes=30)
) -> tuple[dict[str, list[BusySlot]], list[str]]:
    """Ask every calendar connector for each rep's busy times in [now, now + window).

    Runs in `enrich` (connector I/O). Failures are returned as notes for the
    explanation, and the rep is then treated as free: a calendar outage must
    not stop routing.
    """
    if not reps or not hub.implementing("handoff_rep_busy"):
        return {}, []
    answers = await asyncio.gather(*(hub.rep_busy_all(rep, now, now + window) for rep in reps))
    busy: dict[str, list[BusySlot]] = {}
    notes: list[str] = []
    for rep, outcomes in zip(reps, answers, strict=True):
        for outcome in outcomes:
            if outcome.ok:
                busy.setdefault(rep.id, []).extend(outcome.value or [])
            else:
                notes.append(
                    f"{outcome.connector}: busy times of {rep.id} unknown ({outcome.error})"
                )
    return busy, notes

"""Conversation events, the Q15 rep performance metrics computed from them, Q19 misroute flags.

A conversation's life is stored as events (all `source = "hub"`):

| kind | stored as |
| --- | --- |
| requested | `hub.chat_request` (POST /v1/chat-requests), or kind `requested` |
| routed | kind `routed` with `rep_id`, or a routing decision about the conversation |
| rep joined | kind `rep_joined` with `rep_id` |
| timed out | kind `timed_out` (the rep did not answer in time, Q4) |
| handed to AI | kind `ai_took_over` |
| meeting booked | kind `meeting_booked` |
| ended | kind `ended` |

"kind X" means an event of type `hub.conversation_event` whose payload has
`kind = X` and `conversation_id`: received through POST /v1/conversation-events,
or written by the hub itself with `record_conversation_event` (for the kinds
that API does not accept yet). Metrics are computed from what is stored, never
kept as counters, so they can be recomputed for any period.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from handoff.chat.kinds import (
    CHAT_REQUEST,
    CONVERSATION_EVENT,
    MISROUTE_FLAG,
    PROACTIVE_ENGAGEMENT,
    ROUTING_DECISION,
)
from handoff.chat.pounce import ACTIVELY_WORKING, SESSION_GAP, page_view_times, visitor_accounts
from handoff.moments import MOMENT_SCHEMA, parse_moment
from handoff.runtime.events import StoredEvent, record_events
from handoff.store import Audit, Decision, EventRecord
from handoff_sdk.entities import Event

__all__ = [
    "CONVERSATION_KINDS",
    "MOMENT_SCHEMA",
    "MisrouteFlag",
    "RepMetrics",
    "flag_misrouted",
    "list_misroutes",
    "parse_moment",
    "record_conversation_event",
    "rep_metrics",
]

REP_STATUS_ACTION = "rep.status"
"""The audit action of handoff.chat.routing.availability.set_rep_status (presence history)."""

CONVERSATION_KINDS = (
    "requested",
    "routed",
    "rep_joined",
    "rep_declined",
    "message",
    "timed_out",
    "ai_took_over",
    "meeting_booked",
    "ended",
)
"""Every kind of conversation event the metrics read."""


def record_conversation_event(
    session: Session,
    conversation_id: str,
    kind: str,
    *,
    now: datetime,
    rep_id: str | None = None,
    visitor_id: str | None = None,
    key: str | None = None,
    details: dict[str, Any] | None = None,
) -> StoredEvent:
    """Store one conversation event written by the hub itself (routed, timed out, meeting booked).

    Same `key` (default: conversation, kind, rep and time) = stored once.
    """
    if kind not in CONVERSATION_KINDS:
        raise ValueError(f"kind: '{kind}' is not one of {', '.join(CONVERSATION_KINDS)}")
    payload: dict[str, Any] = {
        "conversation_id": conversation_id,
        "kind": kind,
        "rep_id": rep_id,
        "subject": {"type": "conversation", "id": conversation_id},
        **(details or {}),
    }
    if visitor_id is not None:
        payload["visitor_id"] = visitor_id
    dedupe = key or f"{conversation_id}:{kind}:{rep_id or '-'}:{now.isoformat()}"
    [stored] = record_events(
        session,
        [
            Event(
                type=CONVERSATION_EVENT,
                source="hub",
                dedupe_key=f"conversation_event:{dedupe}",
                occurred_at=now,
                payload=payload,
            )
        ],
        now=now,
    )
    return stored


@dataclass
class RepMetrics:
    """One rep's performance over a period (Q15)."""

    rep_id: str
    sessions_routed_for_pouncing: int = 0
    pounces: int = 0
    successful_pounce_conversations: int = 0
    waited_sessions: int = 0
    waited_with_conversation: int = 0
    waited_without_conversation: int = 0
    meetings_booked: int = 0
    available_seconds: float = 0.0
    available_by_hour: list[float] = field(default_factory=lambda: [0.0] * 24)

    def to_json(self) -> dict[str, Any]:
        """The JSON shape of `handoff metrics reps --json` and GET /v1/metrics/reps."""
        return {
            "rep_id": self.rep_id,
            "sessions_routed_for_pouncing": self.sessions_routed_for_pouncing,
            "pounces": self.pounces,
            "successful_pounce_conversations": self.successful_pounce_conversations,
            "waited_sessions": self.waited_sessions,
            "waited_with_conversation": self.waited_with_conversation,
            "waited_without_conversation": self.waited_without_conversation,
            "meetings_booked": self.meetings_booked,
            "available_seconds": round(self.available_seconds, 3),
            "available_by_hour": {
                f"{hour:02d}": round(sec, 3) for hour, sec in enumerate(self.available_by_hour)
            },
        }


def _when(event: EventRecord) -> datetime:
    return event.occurred_at or event.received_at


def _conversation_events(
    session: Session, since: datetime, until: datetime
) -> dict[str, list[tuple[datetime, str, str | None, dict[str, Any]]]]:
    """Each conversation with activity in the period: its events (time, kind, rep, payload)."""
    rows = session.scalars(
        select(EventRecord)
        .where(
            EventRecord.type.in_([CHAT_REQUEST, CONVERSATION_EVENT, PROACTIVE_ENGAGEMENT]),
            EventRecord.received_at >= since - timedelta(days=1),
        )
        .order_by(EventRecord.id)
    )
    timeline: dict[str, list[tuple[datetime, str, str | None, dict[str, Any]]]] = defaultdict(list)
    for row in rows:
        payload = row.payload or {}
        conversation = payload.get("conversation_id")
        if not isinstance(conversation, str):
            continue
        if row.type == CHAT_REQUEST:
            kind = "requested"
        elif row.type == PROACTIVE_ENGAGEMENT:
            kind = "pounce"
        else:
            kind = str(payload.get("kind"))
        rep = payload.get("rep_id")
        timeline[conversation].append(
            (_when(row), kind, rep if isinstance(rep, str) else None, payload)
        )
    decisions = session.execute(  # the columns read, not the explanations
        select(Decision.subject_id, Decision.decided_at, Decision.outcome).where(
            Decision.kind == ROUTING_DECISION,
            Decision.subject_type == "conversation",
            Decision.decided_at >= since - timedelta(days=1),
        )
    )
    for subject_id, decided_at, stored in decisions:
        outcome = stored or {}
        rep = outcome.get("rep_id") or outcome.get("rep")
        if isinstance(rep, str):
            timeline[subject_id].append((decided_at, "routed", rep, outcome))
    result = {}
    for conversation, items in timeline.items():
        items.sort(key=lambda item: item[0])
        if any(since <= item[0] < until for item in items):
            result[conversation] = items
    return result


def _availability(
    session: Session,
    since: datetime,
    until: datetime,
    zone: ZoneInfo,
    metrics: dict[str, RepMetrics],
) -> None:
    """Online time from the rep presence history (set_rep_status audit), per local hour."""
    rows = session.scalars(
        select(Audit)
        .where(Audit.action == REP_STATUS_ACTION, Audit.at < until)
        .order_by(Audit.at, Audit.id)
    )
    changes: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    for row in rows:
        if row.subject_id:
            changes[row.subject_id].append((row.at, str(row.details.get("status"))))
    for rep, history in changes.items():
        spans: list[tuple[datetime, datetime]] = []
        for (at, status), following in zip(history, [*history[1:], (until, "")], strict=True):
            start, end = max(at, since), min(following[0], until)
            if status == "online" and end > start:
                spans.append((start, end))
        if not spans:
            continue
        m = metrics.setdefault(rep, RepMetrics(rep))
        for start, end in spans:
            m.available_seconds += (end - start).total_seconds()
            cursor = start
            whole_days = int((end - cursor) / timedelta(days=1)) - 1
            if whole_days > 0:  # a long span: whole days cover every hour once each
                m.available_by_hour = [h + whole_days * 3600.0 for h in m.available_by_hour]
                cursor += timedelta(days=whole_days)
            while cursor < end:
                local = cursor.astimezone(zone)
                next_hour = (local.replace(minute=0, second=0, microsecond=0)) + timedelta(hours=1)
                stop = min(end, next_hour.astimezone(cursor.tzinfo))
                if stop <= cursor:  # DST edge: step one hour in absolute time
                    stop = min(end, cursor + timedelta(hours=1))
                m.available_by_hour[local.hour] += (stop - cursor).total_seconds()
                cursor = stop


def _pounce_sessions(
    session: Session, since: datetime, until: datetime, status: str, metrics: dict[str, RepMetrics]
) -> None:
    """Sessions of visitors from a rep's Actively Working accounts: routed to them for pouncing."""
    seen: dict[str, list[datetime]] = defaultdict(list)
    for visitor, when in page_view_times(session, since, until):
        seen[visitor].append(when)
    accounts = visitor_accounts(session, seen, with_intent=False)  # the rep is all it needs
    for visitor, times in seen.items():
        account = accounts.get(visitor)
        if account is None or account.assigned_rep is None:
            continue
        if (account.status or "").strip().lower() != status.strip().lower():
            continue
        times.sort()
        sessions = 1 + sum(1 for a, b in pairwise(times) if b - a > SESSION_GAP)
        metrics.setdefault(account.assigned_rep, RepMetrics(account.assigned_rep))
        metrics[account.assigned_rep].sessions_routed_for_pouncing += sessions


def rep_metrics(
    session: Session,
    since: datetime,
    until: datetime,
    *,
    timezone: str = "UTC",
    status: str = ACTIVELY_WORKING,
) -> list[RepMetrics]:
    """The performance of every rep with activity in [since, until), by rep id (Q15).

    - sessions routed for pouncing: page-view sessions (30 min gap) of visitors
      identified with an Actively Working account assigned to the rep;
    - pounces / successful pounce conversations: proactive engagements the rep
      started, and those where the visitor answered (a message without rep_id)
      or a meeting was booked;
    - waited: conversations routed to the rep (the visitor waited for them); with
      a conversation when that rep joined, without otherwise (timed out, handed
      to AI, ended or still waiting);
    - availability: seconds online (rep presence history), in total and per hour
      of the day in `timezone`.
    """
    metrics: dict[str, RepMetrics] = {}

    def rep_of(rep_id: str) -> RepMetrics:
        return metrics.setdefault(rep_id, RepMetrics(rep_id))

    for items in _conversation_events(session, since, until).values():
        pouncer = next((rep for _, kind, rep, _ in items if kind == "pounce" and rep), None)
        if pouncer is not None:
            rep_of(pouncer).pounces += 1
            answered = any(
                (kind == "message" and rep is None) or kind == "meeting_booked"
                for _, kind, rep, _ in items
            )
            rep_of(pouncer).successful_pounce_conversations += answered
        routed: list[tuple[datetime, str]] = []
        for when, kind, rep, _ in items:
            if kind == "routed" and rep and (not routed or routed[-1][1] != rep):
                routed.append((when, rep))
        for index, (when, rep) in enumerate(routed):
            if not since <= when < until:
                continue
            ends = routed[index + 1][0] if index + 1 < len(routed) else None
            joined = any(
                kind == "rep_joined" and who == rep and at >= when and (ends is None or at <= ends)
                for at, kind, who, _ in items
            )
            m = rep_of(rep)
            m.waited_sessions += 1
            if joined:
                m.waited_with_conversation += 1
            else:
                m.waited_without_conversation += 1
        for when, kind, rep, _ in items:
            if kind == "meeting_booked" and rep and since <= when < until:
                rep_of(rep).meetings_booked += 1
    _pounce_sessions(session, since, until, status, metrics)
    _availability(session, since, until, ZoneInfo(timezone), metrics)
    return [metrics[k] for k in sorted(metrics)]


@dataclass(frozen=True)
class MisrouteFlag:
    """A rep says a routing decision sent the conversation to the wrong place (Q19)."""

    event_id: int
    decision_id: int
    rep: str
    reason: str
    flagged_at: datetime
    duplicate: bool = False


def flag_misrouted(
    session: Session, decision_id: int, rep: str, reason: str, *, now: datetime
) -> MisrouteFlag | None:
    """Store a flag against the decision (None when there is no such decision; Q19).

    Stored as an event about the decision's own subject, so `handoff explain
    conversation:ID` lists it next to the decision. One flag per rep per
    decision: a repeat is answered with the first.
    """
    decision = session.get(Decision, decision_id)
    if decision is None:
        return None
    [stored] = record_events(
        session,
        [
            Event(
                type=MISROUTE_FLAG,
                source="hub",
                dedupe_key=f"misroute:{decision_id}:{rep}",
                occurred_at=now,
                payload={
                    "decision_id": decision_id,
                    "rep": rep,
                    "reason": reason,
                    "subject": {"type": decision.subject_type, "id": decision.subject_id},
                },
            )
        ],
        now=now,
    )
    row = session.get(EventRecord, stored.id)
    assert row is not None
    return MisrouteFlag(
        event_id=row.id,
        decision_id=decision_id,
        rep=str(row.payload["rep"]),
        reason=str(row.payload["reason"]),
        flagged_at=_when(row),
        duplicate=not stored.created,
    )


def list_misroutes(
    session: Session, *, decision_ids: Iterable[int] | None = None
) -> list[dict[str, Any]]:
    """Every flag, oldest first, with the flagged decision's outcome and explanation (Q19)."""
    query = select(EventRecord).where(EventRecord.type == MISROUTE_FLAG).order_by(EventRecord.id)
    if decision_ids is not None:
        wanted = [str(i) for i in decision_ids]
        query = query.where(
            or_(*(EventRecord.dedupe_key.like(f"misroute:{i}:%") for i in wanted))
            if wanted
            else EventRecord.id < 0
        )
    rows = list(session.scalars(query))
    wanted_ids = sorted({int(row.payload["decision_id"]) for row in rows})
    decisions: dict[int, Decision] = {}
    for start in range(0, len(wanted_ids), 500):  # one query a page of flags, not one a flag
        chunk = wanted_ids[start : start + 500]
        decisions.update(
            (d.id, d) for d in session.scalars(select(Decision).where(Decision.id.in_(chunk)))
        )
    flags = []
    for row in rows:
        decision = decisions.get(int(row.payload["decision_id"]))
        flags.append(
            {
                "flag_id": row.id,
                "flagged_at": _when(row).isoformat(),
                "rep": row.payload.get("rep"),
                "reason": row.payload.get("reason"),
                "decision": {
                    "id": decision.id,
                    "kind": decision.kind,
                    "subject": f"{decision.subject_type}:{decision.subject_id}",
                    "decided_at": decision.decided_at.isoformat(),
                    "rule_ids": decision.rule_ids,
                    "outcome": decision.outcome,
                    "explanation": decision.explanation,
                }
                if decision is not None
                else {"id": row.payload.get("decision_id"), "missing": True},
            }
        )
    return flags

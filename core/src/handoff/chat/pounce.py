"""Pounce (Q10, Q2): the live visitors of a BDR's Actively Working accounts, and engaging them.

Who a visitor is comes from the Q1 `identify` decisions (handoff.chat.identify):
the newest one about `visitor:ID` names the matched CRM account, its ids and
its status. The rep the account is assigned to is its "BDR Assigned", else its
owner: read from the decision's outcome when it carries them
(`bdr_assigned_id`, `owner_id`), else from the account entity in the store
(entity type `account`, keyed by any of its CRM ids).

A proactive engagement is stored as an event (`hub.proactive_engagement`)
about the visitor, so `handoff explain visitor:ID` shows it and the Q15
metrics count it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from handoff.chat.kinds import IDENTIFY_DECISION, PAGE_VIEW, PROACTIVE_ENGAGEMENT
from handoff.runtime.events import StoredEvent, record_events
from handoff.store import Decision, EntityRecord, EventRecord
from handoff_sdk.entities import Event

__all__ = [
    "ACTIVELY_WORKING",
    "SESSION_GAP",
    "LiveVisitor",
    "NotAssignedError",
    "VisitorAccount",
    "engage",
    "live_visitors",
    "visitor_accounts",
]

ACTIVELY_WORKING = "Actively Working"
"""The account status that makes a visitor pounce-able (configuration, default GitLab's)."""

SESSION_GAP = timedelta(minutes=30)
"""Page views of one visitor further apart than this are separate sessions (Q15)."""


@dataclass(frozen=True)
class VisitorAccount:
    """The CRM account a visitor was identified with (Q1) and who it is assigned to."""

    visitor_id: str
    account: str | None
    account_ids: dict[str, str]
    status: str | None
    assigned_rep: str | None
    decision_id: int
    intent: dict[str, Any] = field(default_factory=dict)


class NotAssignedError(Exception):
    """The visitor's account is not an Actively Working account of that rep (Q10: 403)."""


def _account_entity(session: Session, ids: dict[str, Any]) -> dict[str, Any] | None:
    keys = [str(v) for v in ids.values() if v]
    if not keys:
        return None
    row = session.scalar(
        select(EntityRecord).where(EntityRecord.type == "account", EntityRecord.id.in_(keys))
    )
    return row.data if row is not None else None


def _intent(explanation: dict[str, Any]) -> dict[str, Any]:
    firmographics = explanation.get("firmographics") or {}
    wanted = ("buying_stage", "intent_score", "profile_fit", "segments", "product_insights")
    return {k: firmographics[k] for k in wanted if firmographics.get(k) not in (None, [], {})}


def visitor_accounts(
    session: Session, visitor_ids: Iterable[str], *, with_intent: bool = True
) -> dict[str, VisitorAccount]:
    """Each visitor's newest identify decision (Q1), with the rep its account is assigned to (Q10).

    Visitors never identified, or identified with no account, are absent.
    The outcomes are read first and the explanations (for `intent`) of the
    deciding decisions only; `with_intent=False` reads none (the Q15
    figures need the rep, not the intent: `intent` is then empty).
    """
    wanted = sorted(set(visitor_ids))
    newest: dict[str, tuple[int, dict[str, Any]]] = {}
    for start in range(0, len(wanted), 500):
        rows = session.execute(
            select(Decision.id, Decision.subject_id, Decision.outcome)
            .where(
                Decision.kind == IDENTIFY_DECISION,
                Decision.subject_type == "visitor",
                Decision.subject_id.in_(wanted[start : start + 500]),
            )
            .order_by(Decision.id)
        )
        for ident, subject, stored in rows:
            outcome = stored or {}
            if outcome.get("account"):
                newest[subject] = (ident, outcome)
    explanations: dict[int, dict[str, Any]] = {}
    if with_intent:
        deciding = sorted(ident for ident, _ in newest.values())
        for start in range(0, len(deciding), 500):
            rows_read = session.execute(
                select(Decision.id, Decision.explanation).where(
                    Decision.id.in_(deciding[start : start + 500])
                )
            )
            explanations.update((ident, explanation) for ident, explanation in rows_read)
    found: dict[str, VisitorAccount] = {}
    for visitor, (ident, outcome) in newest.items():
        ids = {str(k): str(v) for k, v in (outcome.get("account_ids") or {}).items()}
        bdr = outcome.get("bdr_assigned_id")
        owner = outcome.get("owner_id")
        status = outcome.get("account_status")
        if bdr is None and owner is None:
            stored_account = _account_entity(session, ids) or {}
            bdr, owner = stored_account.get("bdr_assigned_id"), stored_account.get("owner_id")
            status = status or stored_account.get("status")
        found[visitor] = VisitorAccount(
            visitor_id=visitor,
            account=outcome.get("account"),
            account_ids=ids,
            status=status,
            assigned_rep=bdr or owner,
            decision_id=ident,
            intent=_intent(explanations.get(ident) or {}),
        )
    return found


def _when(event: EventRecord) -> datetime:
    return event.occurred_at or event.received_at


class LiveVisitor(BaseModel):
    """A visitor on the site now, from one of the rep's Actively Working accounts (Q2, Q10)."""

    visitor_id: str = Field(description="The website's id for the visitor.")
    account: str | None = Field(description="Name of the identified account.")
    account_ids: dict[str, str] = Field(description="The account's id in each system.")
    last_seen: datetime = Field(description="Time of the latest page view.")
    last_page: str | None = Field(description="URL of the latest page view.")
    page_views: int = Field(description="Page views within the window.")
    intent: dict[str, Any] = Field(description="Buying stage, intent score, segments (Q2).")
    identify_decision: int = Field(description="The Q1 decision that identified the visitor.")


def page_view_times(
    session: Session, since: datetime, until: datetime
) -> Iterator[tuple[str, datetime]]:
    """(visitor, when seen) of each page view received in [since, until), oldest first.

    Three columns a view, not whole rows, and of the payload its visitor id
    alone (the database's JSON operator; the value keeps its JSON type): the
    Q15 figures read a week of a busy site's page views. Views without a
    visitor id, or with one that is not a string, are left out.
    """
    views = session.execute(
        select(EventRecord.payload["visitor_id"], EventRecord.occurred_at, EventRecord.received_at)
        .where(*_in_window(since, until))
        .order_by(EventRecord.id)
    )
    for visitor, occurred_at, received_at in views:
        if isinstance(visitor, str):
            yield visitor, occurred_at or received_at


def _in_window(since: datetime, until: datetime) -> tuple[ColumnElement[bool], ...]:
    """Page views received in [since, until): the range the (type, received_at) index reads."""
    return (
        EventRecord.type == PAGE_VIEW,
        EventRecord.received_at >= since,
        EventRecord.received_at < until,
    )


def _candidates(session: Session, rep: str, since: datetime, until: datetime) -> list[str]:
    """Visitors seen in the window with an identify decision that may give them to `rep`.

    A superset, decided in SQL so the site's other visitors are never
    loaded: a decision naming `rep` as BDR or owner, or naming no BDR (its
    owner, or the account entity, may be `rep`). `visitor_accounts` then
    says exactly whose each one is.
    """
    visitor = EventRecord.payload["visitor_id"].as_string()
    bdr = Decision.outcome["bdr_assigned_id"].as_string()
    owner = Decision.outcome["owner_id"].as_string()
    seen = select(visitor).where(*_in_window(since, until))
    return list(
        session.scalars(
            select(Decision.subject_id)
            .where(
                Decision.kind == IDENTIFY_DECISION,
                Decision.subject_type == "visitor",
                Decision.subject_id.in_(seen.scalar_subquery()),
                or_(bdr == rep, owner == rep, bdr.is_(None), bdr == ""),
            )
            .distinct()
        )
    )


def live_visitors(
    session: Session,
    rep: str,
    *,
    now: datetime,
    window: timedelta = timedelta(minutes=15),
    status: str = ACTIVELY_WORKING,
) -> list[LiveVisitor]:
    """Visitors seen in the last `window` whose account is `status` and assigned to `rep` (Q10).

    Most recently seen first. Only the rep's visitors' page views are
    loaded: who may be the rep's is found in SQL (`_candidates`), so the
    page costs the rep's traffic, not the site's.
    """
    since, until = now - window, now + timedelta(seconds=1)
    accounts = {
        visitor: account
        for visitor, account in visitor_accounts(
            session, _candidates(session, rep, since, until)
        ).items()
        if account.assigned_rep == rep and _is_status(account, status)
    }
    by_visitor: dict[str, list[EventRecord]] = {}
    wanted = sorted(accounts)
    visitor = EventRecord.payload["visitor_id"].as_string()
    for start in range(0, len(wanted), 500):
        query = (
            select(EventRecord)
            .where(*_in_window(since, until), visitor.in_(wanted[start : start + 500]))
            .order_by(EventRecord.id)
        )
        for view in session.scalars(query):
            seen = view.payload.get("visitor_id")
            if isinstance(seen, str) and seen in accounts:
                by_visitor.setdefault(seen, []).append(view)
    found: list[LiveVisitor] = []
    for visitor_id, seen_views in sorted(by_visitor.items(), key=lambda item: item[1][0].id):
        account = accounts[visitor_id]
        last = max(seen_views, key=_when)
        found.append(
            LiveVisitor(
                visitor_id=visitor_id,
                account=account.account,
                account_ids=account.account_ids,
                last_seen=_when(last),
                last_page=last.payload.get("url"),
                page_views=len(seen_views),
                intent=account.intent,
                identify_decision=account.decision_id,
            )
        )
    found.sort(key=lambda v: v.last_seen, reverse=True)
    return found


def _is_status(account: VisitorAccount, status: str) -> bool:
    return (account.status or "").strip().lower() == status.strip().lower()


def engage(
    session: Session,
    visitor_id: str,
    rep: str,
    *,
    now: datetime,
    engagement_id: str | None = None,
    status: str = ACTIVELY_WORKING,
) -> tuple[StoredEvent, str]:
    """Record that `rep` starts a conversation with the visitor (Q10): (event, conversation).

    Refused (NotAssignedError) unless the visitor's account is `status` and
    assigned to `rep`. The same `engagement_id` is stored once.
    """
    account = visitor_accounts(session, [visitor_id]).get(visitor_id)
    if account is None:
        raise NotAssignedError(f"visitor '{visitor_id}' is not identified with a CRM account")
    if account.assigned_rep != rep or not _is_status(account, status):
        raise NotAssignedError(
            f"visitor '{visitor_id}' is not from an {status} account assigned to '{rep}'"
        )
    key = engagement_id or f"{visitor_id}:{rep}:{now.isoformat()}"
    conversation = f"pounce:{key}"
    [stored] = record_events(
        session,
        [
            Event(
                type=PROACTIVE_ENGAGEMENT,
                source="hub",
                dedupe_key=f"proactive_engagement:{key}",
                occurred_at=now,
                payload={
                    "visitor_id": visitor_id,
                    "rep_id": rep,
                    "conversation_id": conversation,
                    "account": account.account,
                    "account_ids": account.account_ids,
                    "identify_decision": account.decision_id,
                    "subject": {"type": "visitor", "id": visitor_id},
                },
            )
        ],
        now=now,
    )
    if not stored.created:
        existing = session.get(EventRecord, stored.id)
        if existing is not None:
            conversation = str(existing.payload.get("conversation_id", conversation))
    return stored, conversation

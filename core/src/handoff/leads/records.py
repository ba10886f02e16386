"""Reading and writing the leads flow's tables, inside the caller's transaction.

Decisions read a lead here (locked for the transaction on PostgreSQL, so two
workers deciding about one lead take turns) and write it back; the API and
the CLI read it for display. Nothing here decides anything.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from handoff.leads.store import LeadIdRow, LeadRow, LeadSyncRow, TransitionRow
from handoff.store import dialect_insert

__all__ = [
    "find_by_external_id",
    "get_lead",
    "lead_json",
    "lead_key",
    "new_lead",
    "queue_sync",
    "remember_id",
    "search_leads",
    "transitions_of",
]

PERSON_FIELDS = ("first_name", "last_name", "company", "title", "phone", "country")
"""What a form, a mail or a webhook may tell about a person, as the `leads` columns name it."""


def lead_key(email: str) -> str:
    """A lead's id: its email, trimmed and lower-cased (one lead per address)."""
    return email.strip().lower()


def get_lead(session: Session, lead_id: str, *, lock: bool = True) -> LeadRow | None:
    """The lead with this id (an email in any case); locked until the transaction ends."""
    return session.get(LeadRow, lead_key(lead_id), with_for_update=lock)


def new_lead(
    session: Session,
    email: str,
    *,
    now: datetime,
    status: str | None,
    source: str | None,
    person: dict[str, Any] | None = None,
) -> LeadRow:
    """Create a lead (status None: a subscriber only, not a sales lead)."""
    row = LeadRow(
        id=lead_key(email),
        email=email.strip(),
        status=status,
        status_since=now if status else None,
        source=source,
        score=0,
        score_detail={},
        crm={},
        bant={},
        attempts=0,
        opt_out=False,
        lists=[],
        context={},
        ids={},
        created_at=now,
        updated_at=now,
    )
    update_person(row, person or {})
    session.add(row)
    session.flush()
    return row


def update_person(row: LeadRow, person: dict[str, Any]) -> list[str]:
    """Fill what a new submission tells about the person; returns the fields that changed.

    A value given replaces the stored one; a blank or missing one keeps it.
    """
    changed: list[str] = []
    for name in PERSON_FIELDS:
        value = person.get(name)
        if isinstance(value, str) and value.strip() and getattr(row, name) != value.strip():
            setattr(row, name, value.strip()[:200])
            changed.append(name)
    return changed


def remember_id(session: Session, row: LeadRow, system: str, external_id: str) -> None:
    """Record the lead's id in `system` (found by it later, e.g. from a Marketo activity)."""
    if row.ids.get(system) == external_id:
        return
    row.ids = {**row.ids, system: external_id}
    session.execute(
        dialect_insert(session, LeadIdRow)
        .values(system=system, external_id=external_id, lead_id=row.id)
        .on_conflict_do_update(index_elements=["system", "external_id"], set_={"lead_id": row.id})
    )


def find_by_external_id(session: Session, system: str, external_id: str) -> LeadRow | None:
    """The lead another system knows by `external_id`."""
    found = session.scalar(
        select(LeadIdRow.lead_id).where(
            LeadIdRow.system == system, LeadIdRow.external_id == external_id
        )
    )
    return get_lead(session, found) if found else None


def queue_sync(session: Session, lead_id: str, systems: Iterable[str], *, now: datetime) -> None:
    """Mark the lead for the next write-back flush to each system (once per system)."""
    rows = [{"lead_id": lead_id, "system": s, "queued_at": now} for s in systems]
    if rows:
        session.execute(
            dialect_insert(session, LeadSyncRow).on_conflict_do_nothing(
                index_elements=["lead_id", "system"]
            ),
            rows,
        )


def transitions_of(session: Session, lead_id: str) -> list[TransitionRow]:
    """Every status change of a lead, oldest first."""
    return list(
        session.scalars(
            select(TransitionRow)
            .where(TransitionRow.lead_id == lead_key(lead_id))
            .order_by(TransitionRow.id)
        )
    )


def search_leads(
    session: Session,
    *,
    text: str = "",
    status: str | None = None,
    owner_rep: str | None = None,
    limit: int = 100,
) -> tuple[list[LeadRow], int]:
    """Sales leads (not subscribers) matching a search, most recently changed first; the total.

    `text` is found, in any case, in the email, first or last name or
    company; `status` and `owner_rep` (the hub's rep id of the owner) must
    be equal. The console's lead list reads this; the count says how many
    matched beyond `limit`.
    """
    query = select(LeadRow).where(LeadRow.status.is_not(None))
    if text:
        needle = text.strip().lower()
        query = query.where(
            or_(
                *(
                    func.lower(column).contains(needle, autoescape=True)
                    for column in (
                        LeadRow.id,
                        LeadRow.first_name,
                        LeadRow.last_name,
                        LeadRow.company,
                    )
                )
            )
        )
    if status is not None:
        query = query.where(LeadRow.status == status)
    if owner_rep is not None:
        query = query.where(LeadRow.owner_rep == owner_rep)
    total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    rows = session.scalars(query.order_by(LeadRow.updated_at.desc(), LeadRow.id).limit(limit))
    return list(rows), total


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def lead_json(row: LeadRow, history: Iterable[TransitionRow] = ()) -> dict[str, Any]:
    """A lead as the API and `handoff leads show --json` give it: state, score, history."""
    return {
        "id": row.id,
        "email": row.email,
        "person": {name: getattr(row, name) for name in PERSON_FIELDS},
        "source": row.source,
        "status": row.status,
        "status_since": _iso(row.status_since),
        "owner": {"id": row.owner_id, "rep": row.owner_rep, "name": row.owner_name},
        "team": row.team,
        "claim": {"team": row.claim_team} if row.claim_team else None,
        "score": row.score,
        "score_breakdown": row.score_detail,
        "mql_at": _iso(row.mql_at),
        "accepted_at": _iso(row.accepted_at),
        "sql_at": _iso(row.sql_at),
        "bant": row.bant,
        "attempts": row.attempts,
        "last_attempt_at": _iso(row.last_attempt_at),
        "last_reply_at": _iso(row.last_reply_at),
        "passed_at": _iso(row.passed_at),
        "opt_out": row.opt_out,
        "opt_out_until": _iso(row.opt_out_until),
        "lists": row.lists,
        "ids": row.ids,
        "history": [
            {
                "from": t.from_status,
                "to": t.to_status,
                "actor": t.actor,
                "reason": t.reason,
                "rule_ids": t.rule_ids,
                "decision_id": t.decision_id,
                "at": t.at.isoformat(),
            }
            for t in history
        ],
    }

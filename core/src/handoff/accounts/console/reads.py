"""What the accounts flow's console pages read that the API does not: pages of a large pool.

The store may hold 100,000 pooled accounts: the tier list is filtered,
counted and paged in SQL (`account_page`), ordered by the account's id (the
primary key), never loaded whole. The rest reuses `handoff.accounts.queries`
(`rank_of`, `history_rows`, `case_rows`, `tier_counts`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from handoff.accounts.kinds import (
    ACCOUNT,
    CASE,
    CASE_DECISION,
    CASE_REQUEST,
    HAND_OFF,
    HAND_OFF_DECISION,
    RANK_DECISION,
    RANK_OVERRIDE,
)
from handoff.accounts.store import AccountRankRow
from handoff.store import Decision, EventRecord, Job

__all__ = [
    "NO_TIER",
    "AccountPage",
    "account_page",
    "case_count",
    "case_states",
    "known_accounts",
    "rerank_runs",
    "waiting_overrides",
    "waiting_requests",
]

NO_TIER = "none"
"""The tier filter of accounts holding no tier (as `tier_counts` names them)."""
CREATE_CASE = "handoff_create_case"
"""The CRM hook a case decision's job opens the case with (cases_handler)."""


@dataclass(frozen=True)
class AccountPage:
    """One page of the pooled accounts, and how many match the filter in all."""

    rows: list[dict[str, Any]]
    total: int


def _tier() -> ColumnElement[Any]:
    """The tier an account holds: its override, else the CRM's (as `rank_of` says)."""
    return func.coalesce(AccountRankRow.override_tier, AccountRankRow.crm_tier)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def account_page(
    session: Session, *, tier: str | None, search: str | None, offset: int, limit: int
) -> AccountPage:
    """The accounts holding `tier` whose name contains `search` (any case) or whose id starts so.

    Filtered, counted and cut in SQL, ordered by id (the primary key's order).
    """
    where: list[ColumnElement[bool]] = []
    if tier == NO_TIER:
        where.append(_tier().is_(None))
    elif tier:
        where.append(_tier() == tier)
    if search:
        needle = _escape(search.lower())
        where.append(
            or_(
                func.lower(AccountRankRow.name).like(f"%{needle}%", escape="\\"),
                AccountRankRow.account_id.like(f"{_escape(search)}%", escape="\\"),
            )
        )
    condition = and_(True, *where)
    total = session.scalar(select(func.count()).select_from(AccountRankRow).where(condition)) or 0
    found = session.execute(
        select(
            AccountRankRow.account_id,
            AccountRankRow.name,
            _tier(),
            AccountRankRow.auto_tier,
            AccountRankRow.override_tier,
            AccountRankRow.override_by,
            AccountRankRow.ranked_at,
        )
        .where(condition)
        .order_by(AccountRankRow.account_id)
        .offset(offset)
        .limit(limit)
    )
    rows = [
        {
            "account_id": account_id,
            "name": name,
            "tier": held,
            "auto_tier": auto,
            "override": override,
            "override_by": by,
            "ranked_at": ranked,
        }
        for account_id, name, held, auto, override, by, ranked in found
    ]
    return AccountPage(rows, int(total))


def rerank_runs(session: Session, limit: int = 5) -> list[dict[str, Any]]:
    """The last re-rank runs, newest first: when, accounts read, writes, moves between tiers.

    The run's end is stored as an `accounts.rank` decision about `rerank:<run>`
    (rank_handler), with the moves counted from the history.
    """
    found = session.scalars(
        select(Decision)
        .where(Decision.subject_type == "rerank", Decision.kind == RANK_DECISION)
        .order_by(Decision.id.desc())
        .limit(limit)
    )
    return [
        {
            "run": d.subject_id,
            "decision_id": d.id,
            "decided_at": d.decided_at,
            "accounts": d.outcome.get("accounts"),
            "writes": d.outcome.get("writes"),
            "moves": d.outcome.get("moves") or {},
        }
        for d in found
    ]


def waiting_overrides(session: Session, account_id: str) -> list[dict[str, Any]]:
    """Overrides of the account stored but not applied by the worker yet, oldest first."""
    found = session.scalars(
        select(EventRecord)
        .where(
            EventRecord.subject_type == ACCOUNT,
            EventRecord.subject_id == account_id,
            EventRecord.type == RANK_OVERRIDE,
            EventRecord.processed_at.is_(None),
        )
        .order_by(EventRecord.id)
        .limit(20)
    )
    return [
        {
            "event_id": e.id,
            "tier": e.payload.get("tier"),
            "by": e.payload.get("by"),
            "why": e.payload.get("why"),
            "received_at": e.received_at,
        }
        for e in found
    ]


def waiting_requests(session: Session, limit: int = 50) -> list[dict[str, Any]]:
    """Cases asked for by hand (P6) or hand-offs (P4) stored but not decided yet, oldest first."""
    found = session.scalars(
        select(EventRecord)
        .where(EventRecord.type.in_((CASE_REQUEST, HAND_OFF)), EventRecord.processed_at.is_(None))
        .order_by(EventRecord.id)
        .limit(limit)
    )
    return [
        {
            "event_id": e.id,
            "type": e.type,
            "subject": e.payload.get("subject_line") or e.payload.get("message"),
            "customer": e.payload.get("account_id") or e.payload.get("email"),
            "by": e.payload.get("requested_by"),
            "received_at": e.received_at,
        }
        for e in found
    ]


def case_count(session: Session) -> int:
    """How many case decisions are stored (the cases list's pages)."""
    found = session.scalar(
        select(func.count())
        .select_from(Decision)
        .where(
            Decision.subject_type == CASE,
            Decision.kind.in_((CASE_DECISION, HAND_OFF_DECISION)),
        )
    )
    return int(found or 0)


def case_states(session: Session, decision_ids: Sequence[int]) -> dict[int, str]:
    """The state of each decision's CRM case job (queued, running, done, dead), by decision."""
    if not decision_ids:
        return {}
    found = session.execute(
        select(Job.decision_id, Job.state).where(
            Job.decision_id.in_(list(decision_ids)), Job.hook == CREATE_CASE
        )
    )
    return {int(d): state for d, state in found if d is not None}


def known_accounts(session: Session, account_ids: Sequence[str]) -> dict[str, str | None]:
    """The accounts the hub ranks among `account_ids` (they have a page), with their names."""
    wanted = [a for a in dict.fromkeys(account_ids) if a]
    if not wanted:
        return {}
    found = session.execute(
        select(AccountRankRow.account_id, AccountRankRow.name).where(
            AccountRankRow.account_id.in_(wanted)
        )
    )
    return {row[0]: row[1] for row in found}

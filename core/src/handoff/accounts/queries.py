"""Reads over the accounts flow's tables, shared by its API and its commands."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from handoff.accounts.config import TierRule
from handoff.accounts.kinds import (
    CASE,
    CASE_DECISION,
    HAND_OFF_DECISION,
    RANK_DECISION,
    TABLE_DECISION,
    TIER_TABLE,
)
from handoff.accounts.store import AccountRankRow, RankHistoryRow, SignalRow
from handoff.accounts.tiers import explain_stored
from handoff.store import Decision

__all__ = [
    "case_rows",
    "full_explanation",
    "history_rows",
    "rank_of",
    "run_moves",
    "signal_rows",
    "tier_counts",
]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def full_explanation(session: Session, kind: str, explanation: dict[str, Any]) -> dict[str, Any]:
    """A rank decision's explanation criterion by criterion (the flow's `Flow.explanations`).

    The re-rank stores each account's facts and the name of the tier table
    it applied (stored once, `accounts.tier_table`); this words it again
    from that table. Any other explanation is returned as stored.
    """
    name = explanation.get("table")
    if kind != RANK_DECISION or not isinstance(name, str) or "rows" in explanation:
        return explanation
    table = session.scalar(
        select(Decision.outcome)
        .where(
            Decision.kind == TABLE_DECISION,
            Decision.subject_type == TIER_TABLE,
            Decision.subject_id == name,
        )
        .limit(1)
    )
    if not isinstance(table, dict):
        return {**explanation, "warning": f"the tier table {name} is not stored"}
    tiers = [TierRule.model_validate(row) for row in table.get("tiers") or []]
    return explain_stored(explanation, tiers)


def rank_of(session: Session, account_id: str) -> dict[str, Any] | None:
    """An account's rank as the hub knows it, with its last ranking's explanation."""
    row = session.get(AccountRankRow, account_id)
    if row is None:
        return None
    last = session.scalar(
        select(Decision)
        .where(
            Decision.kind == RANK_DECISION,
            Decision.subject_type == "account",
            Decision.subject_id == account_id,
        )
        .order_by(Decision.id.desc())
        .limit(1)
    )
    return {
        "account_id": row.account_id,
        "name": row.name,
        "tier": row.override_tier or row.crm_tier,
        "crm_tier": row.crm_tier,
        "auto_tier": row.auto_tier,
        "auto_row": row.auto_row,
        "override": None
        if not row.override_tier
        else {
            "tier": row.override_tier,
            "by": row.override_by,
            "at": _iso(row.override_at),
            "why": row.override_why,
        },
        "ranked_at": _iso(row.ranked_at),
        "explanation": full_explanation(session, last.kind, last.explanation) if last else None,
    }


def history_rows(session: Session, account_id: str) -> list[dict[str, Any]]:
    """Every rank change of an account, oldest first (P3)."""
    rows = session.scalars(
        select(RankHistoryRow)
        .where(RankHistoryRow.account_id == account_id)
        .order_by(RankHistoryRow.at, RankHistoryRow.id)
    )
    return [
        {
            "at": r.at.isoformat(),
            "kind": r.kind,
            "actor": r.actor,
            "from": r.from_tier,
            "to": r.to_tier,
            "why": r.why,
            "run": r.run,
            "decision_id": r.decision_id,
        }
        for r in rows
    ]


def run_moves(session: Session, run: str) -> dict[str, int]:
    """A run's moves between tiers, as 'from -> to': count (P3 summary)."""
    rows = session.execute(
        select(RankHistoryRow.from_tier, RankHistoryRow.to_tier, func.count())
        .where(RankHistoryRow.run == run, RankHistoryRow.kind.in_(("auto", "manual", "cleared")))
        .group_by(RankHistoryRow.from_tier, RankHistoryRow.to_tier)
    )
    return {
        f"{a or 'none'} -> {b or 'none'}": int(n)
        for a, b, n in sorted(rows, key=lambda r: (r[0] or "", r[1] or ""))
    }


def tier_counts(session: Session) -> dict[str, int]:
    """How many pooled accounts hold each tier now (an override counts as its tier)."""
    tier = func.coalesce(AccountRankRow.override_tier, AccountRankRow.crm_tier)
    return {
        (t or "none"): int(n)
        for t, n in session.execute(select(tier, func.count()).group_by(tier)).all()
    }


def signal_rows(session: Session, account_id: str, limit: int = 500) -> list[dict[str, Any]]:
    """An account's signals, newest first (Q14)."""
    rows = session.scalars(
        select(SignalRow)
        .where(SignalRow.account_id == account_id)
        .order_by(SignalRow.at.desc(), SignalRow.id.desc())
        .limit(limit)
    )
    return [
        {
            "at": r.at.isoformat(),
            "name": r.name,
            "value": r.number if r.number is not None else r.text,
            "source": r.source,
        }
        for r in rows
    ]


def case_rows(session: Session, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
    """The latest case decisions, newest first (P4-P6); `offset` skips the newest (paging)."""
    rows = session.scalars(
        select(Decision)
        .where(
            Decision.subject_type == CASE,
            Decision.kind.in_((CASE_DECISION, HAND_OFF_DECISION)),
        )
        .order_by(Decision.id.desc())
        .offset(offset)
        .limit(limit)
    )
    found = []
    for d in rows:
        case = d.outcome.get("case") or {}
        found.append(
            {
                "ref": f"{CASE}:{d.subject_id}",
                "decision_id": d.id,
                "decided_at": d.decided_at.isoformat(),
                "kind": d.kind,
                "action": d.outcome.get("action"),
                "source": case.get("source"),
                "trigger": case.get("trigger"),
                "subject": case.get("subject"),
                "account_id": case.get("account_id"),
                "notifications": [n.get("via") for n in d.outcome.get("notifications") or []],
                "rule_ids": list(d.rule_ids),
                "why": (d.explanation or {}).get("why"),
            }
        )
    return found

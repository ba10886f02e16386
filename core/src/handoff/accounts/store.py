"""The accounts flow's own tables.

Each pooled account's rank state, its rank history, and
its signals over time.

- `account_ranks`: one row per account the re-rank has seen. The tier the CRM
  holds as the hub last knew it (so a change made in the CRM is noticed),
  the last auto rank, an AE's override (who, when, why) which holds until
  cleared, the CRM history text to append to, and the write waiting for the
  end of the run (`pending`).
- `account_rank_history`: every change, auto or manual: who, when, from, to,
  why (P3); the same lines are appended to the CRM's history field.
- `account_signals`: engagement and intent readings per account, a time
  series (Q14), summed or taken latest by the daily Account 360 write.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from handoff.store import Base
from handoff.store.types import BigId

__all__ = ["AccountRankRow", "RankHistoryRow", "SignalRow"]


class AccountRankRow(Base):
    """A pooled account's rank as the hub knows it (P2, P3)."""

    __tablename__ = "account_ranks"

    account_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(300))
    crm_tier: Mapped[str | None] = mapped_column(String(100))
    auto_tier: Mapped[str | None] = mapped_column(String(100))
    auto_row: Mapped[str | None] = mapped_column(String(100))
    override_tier: Mapped[str | None] = mapped_column(String(100))
    override_by: Mapped[str | None] = mapped_column(String(200))
    override_at: Mapped[datetime | None]
    override_why: Mapped[str | None] = mapped_column(Text)
    history_text: Mapped[str | None] = mapped_column(Text)
    pending: Mapped[dict[str, Any] | None]
    pending_run: Mapped[str | None] = mapped_column(String(100), index=True)
    ranked_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class RankHistoryRow(Base):
    """One rank change: auto, manual (in the CRM or the hub), an override cleared, or held (P3)."""

    __tablename__ = "account_rank_history"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(100), index=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    from_tier: Mapped[str | None] = mapped_column(String(100))
    to_tier: Mapped[str | None] = mapped_column(String(100))
    why: Mapped[str] = mapped_column(Text)
    run: Mapped[str | None] = mapped_column(String(100), index=True)
    decision_id: Mapped[int | None] = mapped_column(BigId)


class SignalRow(Base):
    """One engagement or intent reading of an account (Q14)."""

    __tablename__ = "account_signals"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime]
    number: Mapped[float | None] = mapped_column(Float)
    text: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(100))
    event_id: Mapped[int | None] = mapped_column(BigId)

    __table_args__ = (Index(None, "account_id", "name", "at"), Index(None, "at"))

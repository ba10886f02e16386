"""The leads flow's own tables: each lead's state, its status history, its ids elsewhere.

- `leads`: one row per person, keyed by the lower-cased email. What the
  decisions read in their transaction: status and since when, owner, the
  open claim, the score and its breakdown, MQL/SQL dates, Soft-BANT,
  attempts and replies, opt-outs and lists.
- `lead_transitions`: every status change, with who or what caused it and
  why (D5), and the decision that made it.
- `lead_ids`: the lead's id in each outside system (a Marketo activity names
  the lead by Marketo id), indexed for the look-up.
- `lead_sync`: the write-back outbox: which leads changed since the last
  flush, per system; the flush sends them in batches (one call per 200 or
  300 leads, not one per change).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from handoff.store import Base
from handoff.store.types import BigId

__all__ = ["LeadIdRow", "LeadRow", "LeadSyncRow", "TransitionRow"]


class LeadRow(Base):
    """A person the hub knows as a lead or a subscriber (status None: a subscriber only)."""

    __tablename__ = "leads"

    id: Mapped[str] = mapped_column(String(320), primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    first_name: Mapped[str | None] = mapped_column(String(200))
    last_name: Mapped[str | None] = mapped_column(String(200))
    company: Mapped[str | None] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(100))
    country: Mapped[str | None] = mapped_column(String(100))
    source: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str | None] = mapped_column(String(50))
    status_since: Mapped[datetime | None]
    owner_id: Mapped[str | None] = mapped_column(String(100))
    owner_rep: Mapped[str | None] = mapped_column(String(100))
    owner_name: Mapped[str | None] = mapped_column(String(200))
    team: Mapped[str | None] = mapped_column(String(100))
    claim_team: Mapped[str | None] = mapped_column(String(100))
    score: Mapped[int] = mapped_column(Integer, default=0)
    score_detail: Mapped[dict[str, Any]]
    mql_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    sql_at: Mapped[datetime | None]
    crm: Mapped[dict[str, Any]]
    bant: Mapped[dict[str, Any]]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_attempt_at: Mapped[datetime | None]
    last_reply_at: Mapped[datetime | None]
    email_bounced_at: Mapped[datetime | None]
    passed_at: Mapped[datetime | None]
    last_owner_action_at: Mapped[datetime | None]
    opt_out: Mapped[bool] = mapped_column(Boolean, default=False)
    opt_out_until: Mapped[datetime | None]
    lists: Mapped[list[Any]]
    context: Mapped[dict[str, Any]]
    ids: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (Index(None, "status"), Index(None, "owner_id"))


class TransitionRow(Base):
    """One status change of a lead: from, to, who or what moved it, why (D5)."""

    __tablename__ = "lead_transitions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    lead_id: Mapped[str] = mapped_column(String(320), index=True)
    from_status: Mapped[str | None] = mapped_column(String(50))
    to_status: Mapped[str] = mapped_column(String(50))
    actor: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text)
    rule_ids: Mapped[list[Any]]
    decision_id: Mapped[int | None] = mapped_column(BigId)
    at: Mapped[datetime]


class LeadIdRow(Base):
    """A lead's id in another system (salesforce, marketo), for finding it from theirs."""

    __tablename__ = "lead_ids"

    system: Mapped[str] = mapped_column(String(50), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    lead_id: Mapped[str] = mapped_column(String(320), index=True)


class LeadSyncRow(Base):
    """A lead whose fields in `system` are behind the hub's: written at the next flush."""

    __tablename__ = "lead_sync"

    lead_id: Mapped[str] = mapped_column(String(320), primary_key=True)
    system: Mapped[str] = mapped_column(String(50), primary_key=True)
    queued_at: Mapped[datetime] = mapped_column(index=True)

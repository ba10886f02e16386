"""Write-back: status, owner, score, MQL date and Soft-BANT to the CRM, the score to marketing.

    [leads.writeback]
    batch = 200                        # leads per call (the connectors split further if needed)
    flush_seconds = 60                 # changes are gathered this long, then written at once
    crm_fields = { status = "Status", owner = "OwnerId", score = "Lead_Score__c",
                   mql_at = "MQL_Date__c", bant = "BANT__c" }
    marketing_fields = { score = "leadScore" }

A decision that changes one of those values marks the lead in the `lead_sync`
outbox (one row per lead and system, however often it changes) and enqueues
the flush job of its `flush_seconds` window (key `leads:writeback:<window>`,
so one job per window, whatever the number of changes). The job sends every
marked lead, in batches of `batch`, each batch with its own idempotency key,
and clears the marks it wrote; a lead changed again meanwhile stays marked.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from handoff.leads.kinds import WRITEBACK_JOB
from handoff.leads.store import LeadRow, LeadSyncRow
from handoff.runtime import JobSpec, enqueue
from handoff.store import dialect_insert
from handoff_sdk.entities import Lead

if TYPE_CHECKING:
    from handoff.leads.settings import LeadsConfig

__all__ = ["WRITABLE", "WritebackConfig", "lead_entity", "queue_writeback", "sync_batches"]

WRITABLE = ("status", "owner", "score", "mql_at", "sql_at", "bant")
"""The lead values that may be written back, as `crm_fields`/`marketing_fields` name them."""


def _fields(value: dict[str, str]) -> dict[str, str]:
    unknown = [k for k in value if k not in WRITABLE]
    if unknown:
        raise ValueError(
            f"'{unknown[0]}' is not a lead value; expected one of {', '.join(WRITABLE)}"
        )
    return value


class WritebackConfig(BaseModel):
    """The `[leads.writeback]` table."""

    model_config = ConfigDict(extra="forbid")

    batch: int = Field(default=200, ge=1, le=2000, description="Leads per write call.")
    flush_seconds: float = Field(
        default=60, gt=0, le=3600, description="Changes gathered this long, then written at once."
    )
    crm_fields: dict[str, str] = Field(
        default_factory=lambda: {
            "status": "Status",
            "owner": "OwnerId",
            "score": "Lead_Score__c",
            "mql_at": "MQL_Date__c",
            "bant": "BANT__c",
        },
        description="Lead value -> CRM lead field (API name); leave a value out to not write it.",
    )
    marketing_fields: dict[str, str] = Field(
        default_factory=lambda: {"score": "leadScore"},
        description="Lead value -> marketing lead field (API name).",
    )

    def model_post_init(self, _context: Any) -> None:
        """Refuse a value that is not a lead value (at load, naming it)."""
        _fields(self.crm_fields)
        _fields(self.marketing_fields)


def _window(now: datetime, seconds: float) -> datetime:
    stamp = now.timestamp()
    return datetime.fromtimestamp(stamp - stamp % seconds + seconds, tz=now.tzinfo)


def queue_writeback(session: Session, config: LeadsConfig, lead: LeadRow, *, now: datetime) -> None:
    """Mark the lead for the next write-back to the CRM and marketing, and enqueue the flush."""
    systems = [s for s in (config.crm, config.marketing) if s]
    if not systems or lead.status is None:
        return
    rows = [{"lead_id": lead.id, "system": s, "queued_at": now} for s in systems]
    session.execute(
        dialect_insert(session, LeadSyncRow).on_conflict_do_update(
            index_elements=["lead_id", "system"], set_={"queued_at": now}
        ),
        rows,
    )
    due = _window(now, config.writeback.flush_seconds)
    enqueue(
        session,
        [
            JobSpec(
                kind=WRITEBACK_JOB,
                idempotency_key=f"leads:writeback:{due.isoformat()}",
                payload={"window": due.isoformat()},
                run_after=due,
            )
        ],
        now=now,
    )


def _value(lead: LeadRow, name: str) -> Any:
    if name == "owner":
        return lead.owner_id
    if name in ("mql_at", "sql_at"):
        at: datetime | None = getattr(lead, name)
        return at.date().isoformat() if at else None
    if name == "bant":
        met = [
            k.capitalize() for k in ("budget", "authority", "need", "timeline") if lead.bant.get(k)
        ]
        return ";".join(met) if lead.bant else None
    return getattr(lead, name)


def lead_entity(lead: LeadRow, fields: dict[str, str], source_system: str) -> Lead:
    """The lead as the connector writes it: identity plus the configured values."""
    values = {api: _value(lead, name) for name, api in fields.items() if api}
    return Lead(
        email=lead.email,
        first_name=lead.first_name,
        last_name=lead.last_name or "[not provided]",
        company=lead.company or "[not provided]",
        ids={source_system: lead.ids[source_system]} if source_system in lead.ids else {},
        fields={k: v for k, v in values.items() if v is not None},
    )


def sync_batches(
    session: Session, config: LeadsConfig, system: str, *, limit: int = 10_000
) -> list[tuple[str, list[Lead], dict[str, datetime]]]:
    """The marked leads of `system`, in batches: (idempotency key, leads, marks to clear)."""
    fields = (
        config.writeback.crm_fields if system == config.crm else config.writeback.marketing_fields
    )
    marks = list(
        session.execute(
            select(LeadSyncRow.lead_id, LeadSyncRow.queued_at)
            .where(LeadSyncRow.system == system)
            .order_by(LeadSyncRow.queued_at, LeadSyncRow.lead_id)
            .limit(limit)
        )
    )
    batches: list[tuple[str, list[Lead], dict[str, datetime]]] = []
    size = config.writeback.batch
    for start in range(0, len(marks), size):
        chunk = marks[start : start + size]
        rows = {
            r.id: r
            for r in session.scalars(select(LeadRow).where(LeadRow.id.in_([m[0] for m in chunk])))
        }
        leads = [lead_entity(rows[m[0]], fields, system) for m in chunk if m[0] in rows]
        digest = hashlib.sha256(
            json.dumps([[m[0], m[1].isoformat()] for m in chunk]).encode()
        ).hexdigest()[:24]
        batches.append((f"leads:writeback:{system}:{digest}", leads, {m[0]: m[1] for m in chunk}))
    return batches


def clear_marks(session: Session, system: str, written: dict[str, datetime]) -> None:
    """Clear the marks written, unless the lead changed again since (then it stays marked)."""
    for lead_id, queued_at in written.items():
        session.execute(
            delete(LeadSyncRow).where(
                LeadSyncRow.lead_id == lead_id,
                LeadSyncRow.system == system,
                LeadSyncRow.queued_at <= queued_at,
            )
        )


def pending_systems(session: Session) -> Sequence[str]:
    """The systems with marked leads."""
    return list(session.scalars(select(LeadSyncRow.system).distinct()))

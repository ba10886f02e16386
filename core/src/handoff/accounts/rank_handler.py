"""The re-rank's decisions (P2, P3).

Each page of pooled accounts ranked, the changes written
back in batches at the end of the run, and the AEs' overrides through the hub.

- RERANK_PAGE (written by the `accounts.rerank` job, one per page the CRM
  returned): its payload holds the accounts as read, so `decide` needs no
  I/O. Each account is planned (`plan_rank`); its state row, its history
  rows and, when anything changed, an `accounts.rank` decision are stored;
  a write is left in the row (`pending`) for the end of the run.
- Writes: as soon as `write_batch` changes wait (a multiple of 200), they
  become a `handoff_update_accounts` job, so writing overlaps reading;
  RERANK_DONE (every page decided: the run's events are decided in order)
  sends the rest. The CRM is called once per 200 changed accounts, not once
  per page or per account.
- RANK_OVERRIDE: an AE sets or clears a rank through the hub; recorded and
  written at once. Its write job is about `account-rank:<id>` (`rank_subject`)
  until it is done: a run reading the account meanwhile sees the CRM's tier
  from before the change, which is no AE's change, so the run plans on the
  tier the hub holds, and its own write of that account waits for that job.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.orm import Session

from handoff.accounts.config import AccountsConfig
from handoff.accounts.kinds import (
    ACCOUNT,
    OVERRIDE_DECISION,
    RANK_DECISION,
    RANK_OVERRIDE,
    RERANK_DONE,
    RERANK_PAGE,
    TABLE_DECISION,
    TIER_TABLE,
)
from handoff.accounts.pool import pooled
from handoff.accounts.rerank import (
    HistoryLine,
    Override,
    RankPlan,
    RankState,
    Seen,
    append_history,
    plan_rank,
)
from handoff.accounts.store import AccountRankRow, RankHistoryRow
from handoff.accounts.tiers import table_id, table_json
from handoff.runtime import (
    DecisionSpec,
    EventHandler,
    JobSpec,
    enqueue,
    record_decision,
    record_decisions,
)
from handoff.store import Decision, EventRecord, Job, JobSubject
from handoff.store.bulk import insert_rows, update_rows
from handoff_sdk.entities import AccountUpdate

__all__ = ["RankHandler", "rank_subject", "state_of"]

log = logging.getLogger("handoff.accounts")


def rank_subject(account_id: str) -> str:
    """The job subject of a rank the hub writes to the CRM for one account (set or cleared)."""
    return f"account-rank:{account_id}"


def _unwritten(session: Session, account_ids: Iterable[str]) -> set[str]:
    """The accounts whose rank, set or cleared through the hub, the CRM does not hold yet.

    A write job keeps its subjects until it is done (and while it is dead):
    one row per account whose override write waits, fails, or gave up.
    """
    subjects = [rank_subject(i) for i in account_ids]
    found: set[str] = set()
    for start in range(0, len(subjects), 500):
        found.update(
            session.scalars(
                select(JobSubject.subject).where(
                    JobSubject.subject.in_(subjects[start : start + 500])
                )
            )
        )
    return {subject.removeprefix("account-rank:") for subject in found}


def _stale(account: Seen, row: AccountRankRow, unwritten: set[str]) -> bool:
    """Whether the CRM's tier, differing from the hub's, predates the hub's last change of it.

    So when the hub's write of the account still waits (`unwritten`), or the
    CRM record was last modified no later than the hub changed the row (its
    write failed, or the page was read before it landed). An AE's change in
    the CRM is later than both.
    """
    if row.account_id in unwritten:
        return True
    return account.modified_at is not None and account.modified_at <= row.updated_at


def state_of(row: AccountRankRow | None, *, stale: bool = False) -> RankState | None:
    """The planning view of a stored rank row (`stale`: see `RankState.stale`)."""
    if row is None:
        return None
    override = None
    if row.override_tier:
        override = Override(
            row.override_tier,
            row.override_by or "an AE",
            row.override_at or row.updated_at,
            row.override_why or "",
        )
    return RankState(row.crm_tier, row.auto_tier, override, row.history_text, row.ranked_at, stale)


def _override_columns(override: Override | None) -> dict[str, Any]:
    if override is None:
        return {
            "override_tier": None,
            "override_by": None,
            "override_at": None,
            "override_why": None,
        }
    return {
        "override_tier": override.tier,
        "override_by": override.by,
        "override_at": override.at,
        "override_why": override.why,
    }


class RankHandler(EventHandler):
    """Decides re-rank pages, the end of a run, and overrides under one `[accounts]` table."""

    def __init__(self, settings: AccountsConfig) -> None:
        self.settings = settings
        self.table = table_id(settings.tiers)
        """The tier table's name: the rank decisions' explanations refer to it."""

    def decide(
        self, session: Session, event: EventRecord, context: dict[str, Any], now: datetime
    ) -> None:
        """See the module docstring."""
        if event.type == RERANK_PAGE:
            self._decide_page(session, event, now)
        elif event.type == RERANK_DONE:
            self._decide_done(session, event, now)
        elif event.type == RANK_OVERRIDE:
            self._decide_override(session, event, now)

    # -- a page of the weekly run ----------------------------------------------------------

    def _decide_page(self, session: Session, event: EventRecord, now: datetime) -> None:
        cfg = self.settings
        payload = event.payload
        run = str(payload.get("run") or "")
        owner_id = payload.get("owner_id")
        stored: list[dict[str, Any]] = [
            a for a in payload.get("accounts") or [] if isinstance(a, dict)
        ]
        ids = [str((a.get("ids") or {}).get(cfg.crm) or "") for a in stored]
        # The accounts as JSON, never as models again: the pool's check and the plan read them.
        accounts = [Seen.stored(a) for a in stored]
        rows = {
            r.account_id: r
            for r in session.scalars(
                select(AccountRankRow).where(AccountRankRow.account_id.in_([i for i in ids if i]))
            )
        }
        # Only where the CRM's tier is not the one the hub knows can it be stale.
        differ = [
            (a, rows[i])
            for a, i in zip(accounts, ids, strict=True)
            if i in rows and a.tier != rows[i].crm_tier
        ]
        unwritten = _unwritten(session, [row.account_id for _a, row in differ]) if differ else set()
        stale = {row.account_id for a, row in differ if _stale(a, row, unwritten)}
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        history: list[dict[str, Any]] = []
        plans: list[tuple[RankPlan, AccountRankRow | None, dict[str, Any]]] = []
        for values, account, account_id in zip(stored, accounts, ids, strict=True):
            if not account_id:
                continue
            if not pooled(values, cfg.pool, owner_id):
                continue  # the CRM's query and the pool disagree (e.g. a text field's case)
            row = rows.get(account_id)
            state = state_of(row, stale=account_id in stale)
            plans.append((plan_rank(account, account_id, state, cfg, now), row, values))
        changed = [plan for plan, _row, _values in plans if plan.changed]
        if changed:
            self._record_table(session, event, now)
        decided = dict(
            zip(
                [p.account_id for p in changed],
                record_decisions(session, [self._spec(event, p) for p in changed], now=now),
                strict=True,
            )
        )
        for plan, row, read in plans:
            account_id = plan.account_id
            history += self._history_rows(account_id, plan.lines, run, decided.get(account_id))
            text = row.history_text if row else None
            pending: dict[str, Any] | None = row.pending if row else None
            if cfg.history_field and account_id not in stale:
                text = (read.get("fields") or {}).get(cfg.history_field, text)
            if plan.lines or plan.write_tier:
                new_text = append_history(text, plan.lines, cfg.history_max_chars)
                pending = dict(pending or {})
                if account_id in unwritten:
                    pending["after_hub_write"] = True
                if plan.write_tier:
                    pending["tier"] = plan.write_tier
                if cfg.history_field and plan.lines:
                    pending["history"] = new_text
                text = new_text
            values = {
                "account_id": account_id,
                "name": plan.name,
                "crm_tier": plan.write_tier
                if plan.write_tier and cfg.mode == "write"
                else plan.crm_tier,
                "auto_tier": plan.ranking.tier,
                "auto_row": plan.ranking.row,
                **_override_columns(plan.override),
                "history_text": text,
                "pending": pending if cfg.mode == "write" else None,
                "pending_run": run if pending and cfg.mode == "write" else None,
                "ranked_at": now,
                "updated_at": now,
            }
            (updates if row is not None else inserts).append(values)
        if cfg.mode == "write":
            # Full batches go now; this page's part of them is stored with nothing waiting.
            rows_now = [*inserts, *updates]
            fresh = {v["account_id"]: v["pending"] for v in rows_now if v["pending_run"]}
            sent = self._flush(session, event, run, now, last=False, fresh=fresh)
            for values in rows_now:
                if values["account_id"] in sent:
                    values["pending"] = values["pending_run"] = None
        # Many rows a statement, no per-row SQLAlchemy work (`handoff.store.bulk`).
        connection = session.connection()
        ranks = cast("Table", AccountRankRow.__table__)
        insert_rows(connection, ranks, inserts)
        update_rows(connection, ranks, updates, key="account_id")
        insert_rows(connection, cast("Table", RankHistoryRow.__table__), history)

    def _spec(self, event: EventRecord, plan: RankPlan) -> DecisionSpec:
        return DecisionSpec(
            kind=RANK_DECISION,
            subject_type=ACCOUNT,
            subject_id=plan.account_id,
            outcome=plan.outcome(),
            # The facts read and the table's name: `queries.full_explanation` words it again.
            explanation=plan.ranking.stored(self.table),
            rule_ids=("P2", "P3") if plan.lines else ("P2",),
            event_id=event.id,
        )

    def _record_table(self, session: Session, event: EventRecord, now: datetime) -> None:
        """Store the tier table once under its name, for the explanations that name it."""
        known = session.scalar(
            select(Decision.id)
            .where(
                Decision.kind == TABLE_DECISION,
                Decision.subject_type == TIER_TABLE,
                Decision.subject_id == self.table,
            )
            .limit(1)
        )
        if known is not None:
            return
        record_decision(
            session,
            DecisionSpec(
                kind=TABLE_DECISION,
                subject_type=TIER_TABLE,
                subject_id=self.table,
                outcome={"table": self.table, "tiers": table_json(self.settings.tiers)},
                explanation={
                    "why": "the tier table the re-rank applied (P2); each account's ranking "
                    "names it and is worded criterion by criterion from it"
                },
                rule_ids=("P2",),
                event_id=event.id,
            ),
            now=now,
        )

    @staticmethod
    def _history_rows(
        account_id: str, lines: Iterable[HistoryLine], run: str | None, decision_id: int | None
    ) -> list[dict[str, Any]]:
        return [
            {
                "account_id": account_id,
                "at": line.at,
                "actor": line.actor,
                "kind": line.kind,
                "from_tier": line.from_tier,
                "to_tier": line.to_tier,
                "why": line.why,
                "run": run,
                "decision_id": decision_id,
            }
            for line in lines
        ]

    # -- the writes, in full batches ------------------------------------------------------

    def _flush(
        self,
        session: Session,
        event: EventRecord,
        run: str,
        now: datetime,
        *,
        last: bool,
        fresh: dict[str, dict[str, Any]] | None = None,
    ) -> set[str]:
        """Write jobs for the run's waiting changes: every full batch, and the rest when `last`.

        Batches are `write_batch` updates (a multiple of the CRM's 200 a call),
        so every call but the run's very last is full: the call floor, while
        the writes start as soon as a batch is ready. The changes waiting are
        the stored ones of the run and `fresh` (this page's, not stored yet).
        Returns the accounts of `fresh` sent: they are stored with nothing
        waiting.
        """
        cfg = self.settings
        size = cfg.rerank.write_batch
        fresh = fresh or {}
        stored = [
            (account_id, pending)
            for account_id, pending in session.execute(
                select(AccountRankRow.account_id, AccountRankRow.pending).where(
                    AccountRankRow.pending_run == run
                )
            )
            if account_id not in fresh
        ]
        rows = sorted([*stored, *fresh.items()], key=lambda item: item[0])
        ready = len(rows) if last else len(rows) // size * size
        if not ready:
            return set()
        taken = rows[:ready]
        waiting = [(account_id, pending) for account_id, pending in taken if pending]
        updates = [self._update(account_id, pending) for account_id, pending in waiting]
        jobs = [
            dataclasses.replace(
                JobSpec.call(
                    cfg.crm,
                    "handoff_update_accounts",
                    f"accounts:rerank:{run}:write:{updates[start]['account_id']}",
                    updates=updates[start : start + size],
                ),
                # After the hub's own waiting writes of these accounts, never before them.
                subjects=tuple(
                    rank_subject(account_id)
                    for account_id, pending in waiting[start : start + size]
                    if pending.get("after_hub_write")
                ),
            )
            for start in range(0, len(updates), size)
        ]
        enqueue(session, jobs, now=now, event_id=event.id)
        ids = [account_id for account_id, _pending in taken if account_id not in fresh]
        for start in range(0, len(ids), 500):
            session.execute(
                update(AccountRankRow)
                .where(AccountRankRow.account_id.in_(ids[start : start + 500]))
                .values(pending=None, pending_run=None)
            )
        return {account_id for account_id, _pending in taken if account_id in fresh}

    def _decide_done(self, session: Session, event: EventRecord, now: datetime) -> None:
        cfg = self.settings
        run = str(event.payload.get("run") or "")
        self._flush(session, event, run, now, last=True)
        moves: dict[str, int] = {}
        for from_tier, to_tier, count in session.execute(
            select(RankHistoryRow.from_tier, RankHistoryRow.to_tier, func.count())
            .where(
                RankHistoryRow.run == run, RankHistoryRow.kind.in_(("auto", "manual", "cleared"))
            )
            .group_by(RankHistoryRow.from_tier, RankHistoryRow.to_tier)
        ):
            moves[f"{from_tier or 'none'} -> {to_tier or 'none'}"] = int(count)
        writes = 0
        for payload in session.scalars(
            select(Job.payload).where(Job.idempotency_key.like(f"accounts:rerank:{run}:write:%"))
        ):
            writes += len(payload.get("updates") or [])
        record_decision(
            session,
            DecisionSpec(
                kind=RANK_DECISION,
                subject_type="rerank",
                subject_id=run,
                outcome={
                    "run": run,
                    "pages": event.payload.get("pages"),
                    "accounts": event.payload.get("accounts"),
                    "writes": writes,
                    "moves": moves,
                },
                explanation={
                    "why": f"{writes} account(s) written, in jobs of {cfg.rerank.write_batch} "
                    "updates, 200 per CRM call"
                },
                rule_ids=("P3",),
                event_id=event.id,
            ),
            now=now,
        )

    def _update(self, account_id: str, pending: dict[str, Any]) -> dict[str, Any]:
        """An AccountUpdate as its fields: the job validates them once, as it encodes them."""
        fields: dict[str, Any] = {}
        if pending.get("history") is not None and self.settings.history_field:
            fields[self.settings.history_field] = pending["history"]
        return {"account_id": account_id, "tier": pending.get("tier"), "fields": fields}

    # -- an AE's rank through the hub ------------------------------------------------------

    def _decide_override(self, session: Session, event: EventRecord, now: datetime) -> None:
        cfg = self.settings
        payload = event.payload
        account_id = str(payload.get("account_id") or "")
        tier = payload.get("tier")
        by = str(payload.get("by") or "an AE")
        why = str(payload.get("why") or "set through the hub")
        at = event.occurred_at or now
        row = session.get(AccountRankRow, account_id)
        state = state_of(row)
        before = (
            state.override.tier if state and state.override else (state.crm_tier if state else None)
        )
        if tier is not None:
            override: Override | None = Override(str(tier), by, at, why)
            line = HistoryLine("manual", by, at, before, str(tier), why)
            target: str | None = str(tier)
        else:
            if state is None or state.override is None:
                return  # nothing to clear
            override = None
            target = state.auto_tier
            line = HistoryLine("cleared", by, at, before, target, f"{why}; the auto rank applies")
        text = append_history(state.history_text if state else None, [line], cfg.history_max_chars)
        values = {
            **_override_columns(override),
            "crm_tier": target if target is not None else (state.crm_tier if state else None),
            "history_text": text,
            "updated_at": now,
        }
        if row is None:
            session.execute(insert(AccountRankRow), [{"account_id": account_id, **values}])
        else:
            session.execute(update(AccountRankRow), [{"account_id": account_id, **values}])
        jobs: list[JobSpec] = []
        if cfg.mode == "write" and (target is not None or cfg.history_field):
            fields = {cfg.history_field: text} if cfg.history_field else {}
            jobs.append(
                dataclasses.replace(
                    JobSpec.call(
                        cfg.crm,
                        "handoff_update_accounts",
                        f"accounts:override:{event.id}",
                        updates=[AccountUpdate(account_id=account_id, tier=target, fields=fields)],
                    ),
                    subjects=(rank_subject(account_id),),
                )
            )
        decision_id = record_decision(
            session,
            DecisionSpec(
                kind=OVERRIDE_DECISION,
                subject_type=ACCOUNT,
                subject_id=account_id,
                outcome={
                    "account_id": account_id,
                    "action": "set" if override else "cleared",
                    "tier": target,
                    "by": by,
                    "history": [line.to_json()],
                },
                explanation={
                    "why": why,
                    "holds": "until an AE clears it; the weekly run records the auto rank "
                    "it would have given"
                    if override
                    else f"the auto rank {target or '(at the next run)'} applies",
                },
                rule_ids=("P3",),
                event_id=event.id,
            ),
            now=now,
            jobs=jobs,
        )
        session.execute(
            insert(RankHistoryRow),
            self._history_rows(account_id, [line], None, decision_id),
        )

"""Rule Q1 on the runtime: a page view is enriched, matched to a CRM account, and explained.

The worker calls `enrich` outside any transaction (connector I/O), then
`decide` inside the one that marks the event processed, so the decision is
stored exactly when the event counts as handled. The decision records each
step and why it came out as it did, for `handoff explain visitor:ID`.

A connector that fails (6sense down, the CRM throttling past its retries)
never makes a visitor "anonymous": the decision says `enrichment: failed`
and which connectors failed, and when retrying may help, an
`identify.retry` job asks again under the job failure policy (backoff,
`max_attempts`, then dead and alerted); its success is stored as a newer
identify decision, which routing reads. The visitor's later events are not
held meanwhile: a chat is routed on what is known, its explanation saying
enrichment failed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy.orm import Session

from handoff.chat.kinds import IDENTIFY_DECISION, IDENTIFY_RETRY_JOB, PAGE_VIEW
from handoff.runtime import (
    ClaimedJob,
    DecisionSpec,
    EventHandler,
    JobFailedError,
    JobSpec,
    record_decision,
)
from handoff.runtime.jobs import backoff
from handoff.runtime.worker import JobRunner
from handoff.store import Store
from handoff.store.models import EventRecord
from handoff_sdk import ApiError, Clock, ConnectorError
from handoff_sdk.entities import Firmographics, Visitor

if TYPE_CHECKING:
    from handoff.hub import Hub

__all__ = [
    "IdentifyVisitors",
    "identification_outcome",
    "identify_retry_job",
    "identify_retry_runner",
    "store_identification",
]


def _visitor(payload: dict[str, Any]) -> Visitor:
    return Visitor(
        id=str(payload["visitor_id"]),
        ip=payload.get("ip"),
        page_url=payload.get("url"),
        referrer=payload.get("referrer"),
        email=payload.get("email"),
        cookie_id=payload.get("cookie_id"),
        language=payload.get("language"),
    )


def _retryable(error: BaseException | None) -> bool:
    """A failure a later try may get past: the network, a 5xx, a throttle (not bad credentials)."""
    if isinstance(error, ApiError):
        return error.retryable
    return isinstance(error, httpx.HTTPError)


def identify_retry_job(event_id: int, now: datetime) -> JobSpec:
    """The job that asks the connectors again about a page view whose enrichment failed."""
    key = f"identify-retry:{event_id}"
    return JobSpec(
        kind=IDENTIFY_RETRY_JOB,
        idempotency_key=key,
        payload={"event_id": event_id},
        run_after=now + backoff(1, key),
    )


class IdentifyVisitors(EventHandler):
    """Enrich a page view's visitor from every enricher, then match the CRM account (Q1).

    `crm` names the connector asked for the account (the first enabled one
    that implements `handoff_match_account` when None).
    """

    def __init__(self, crm: str | None = None) -> None:
        self.crm = crm

    async def enrich(self, hub: Hub | None, event: EventRecord) -> dict[str, Any]:
        """Ask the connectors; every answer and every failure goes into the explanation."""
        if event.type != PAGE_VIEW or hub is None:
            return {}
        visitor = _visitor(event.payload)
        steps: list[str] = []
        failed: list[str] = []
        retryable = False
        firmographics: Firmographics | None = None
        for outcome in await hub.enrich_visitor_all(visitor):
            if not outcome.ok:
                failed.append(outcome.connector)
                retryable = retryable or _retryable(outcome.error)
                steps.append(f"{outcome.connector}: enrichment failed ({outcome.error})")
            elif outcome.value is None:
                found_by = f"for IP {visitor.ip}" if visitor.ip else "(no IP to look up)"
                steps.append(f"{outcome.connector}: no company {found_by}")
            elif firmographics is None:
                firmographics = outcome.value
                steps.append(
                    f"{outcome.connector}: IP {visitor.ip} is {outcome.value.company_name} "
                    f"({outcome.value.domain})"
                )
        email_domain = visitor.email.rsplit("@", 1)[1].lower() if visitor.email else None
        website = None if email_domain else (firmographics.domain if firmographics else None)
        account: dict[str, Any] | None = None
        crm = self.crm or next(iter(hub.implementing("handoff_match_account")), None)
        if crm is None:
            steps.append("no CRM connector is enabled: account not matched")
        elif not email_domain and not website:
            steps.append(f"{crm}: nothing to match on (no email, no company domain)")
        else:
            how = f"email domain {email_domain}" if email_domain else f"website {website}"
            try:
                found = await hub.match_account(crm, email_domain=email_domain, website=website)
            except (ConnectorError, httpx.HTTPError) as exc:
                failed.append(crm)
                retryable = retryable or _retryable(exc)
                steps.append(f"{crm}: account match failed ({exc})")
            else:
                if found is None:
                    steps.append(f"{crm}: no account for {how}")
                else:
                    account = found.model_dump(mode="json", exclude_defaults=True)
                    steps.append(f"{crm}: {how} matches account {found.name}")
        return {
            "visitor": visitor.model_dump(mode="json", exclude_defaults=True),
            "firmographics": firmographics.model_dump(mode="json", exclude_defaults=True)
            if firmographics
            else None,
            "account": account,
            "steps": steps,
            "failed": failed,
            "retryable": retryable,
        }

    def decide(
        self, session: Session, event: EventRecord, context: dict[str, Any], now: datetime
    ) -> None:
        """Store who the visitor is, as far as the connectors could tell, and how we know."""
        if event.type != PAGE_VIEW or not context:
            return
        failed = list(context.get("failed") or [])
        retry = [identify_retry_job(event.id, now)] if failed and context.get("retryable") else []
        store_identification(session, event.id, context, now=now, jobs=retry)


def identification_outcome(context: dict[str, Any]) -> dict[str, Any]:
    """What an identify decision stores as its outcome, from `IdentifyVisitors.enrich`'s context.

    `enrichment` is "ok", or "failed" with the connectors in `failed`: a
    visitor nobody could look up is not an anonymous one.
    """
    firmographics = context["firmographics"] or {}
    account = context["account"] or {}
    failed = list(context.get("failed") or [])
    return {
        "company": firmographics.get("company_name"),
        "domain": firmographics.get("domain"),
        "account": account.get("name"),
        "account_ids": account.get("ids", {}),
        "account_status": account.get("status"),
        "account_sector": account.get("sector"),
        "owner_id": account.get("owner_id"),
        "bdr_assigned_id": account.get("bdr_assigned_id"),
        "enrichment": "failed" if failed else "ok",
        "failed": failed,
    }


def store_identification(
    session: Session,
    event_id: int,
    context: dict[str, Any],
    *,
    now: datetime,
    jobs: Sequence[JobSpec] = (),
) -> int:
    """Store one Q1 identify decision (and `jobs`) in the caller's transaction; its id."""
    firmographics = context["firmographics"] or {}
    account = context["account"] or {}
    return record_decision(
        session,
        DecisionSpec(
            kind=IDENTIFY_DECISION,
            subject_type="visitor",
            subject_id=context["visitor"]["id"],
            outcome=identification_outcome(context),
            # The whole account too: routing (Q3) reuses this identification.
            explanation={
                "steps": context["steps"],
                "firmographics": firmographics,
                "account": account or None,
            },
            rule_ids=("Q1",),
            event_id=event_id,
        ),
        now=now,
        jobs=jobs,
    )


def identify_retry_runner(
    store: Store, hub: Callable[[], Hub | None], clock: Clock, identify: IdentifyVisitors
) -> JobRunner:
    """Run an `identify.retry` job: ask the connectors again about a page view (Q1).

    Still failing in a way a retry may fix: the job fails, and the worker
    retries it with backoff until `max_attempts`, then it is dead (and
    alerted). Otherwise a newer identify decision is stored with what the
    connectors said now, which routing reads from then on.
    """

    async def run(job: ClaimedJob) -> dict[str, Any] | None:
        event_id = int(job.payload["event_id"])

        def load() -> EventRecord | None:
            with store.sessions() as session:
                return session.get(EventRecord, event_id)

        event = await asyncio.to_thread(load)
        if event is None:
            raise JobFailedError(f"event {event_id} no longer exists", permanent=True)
        context = await identify.enrich(hub(), event)
        if context.get("failed") and context.get("retryable"):
            raise JobFailedError("enrichment failed again: " + "; ".join(context["steps"]))

        def write() -> int:
            with store.transaction() as session:
                return store_identification(session, event_id, context, now=clock.now())

        decision = await asyncio.to_thread(write)
        return {"decision": decision, "enrichment": "failed" if context["failed"] else "ok"}

    return run

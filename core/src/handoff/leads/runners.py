"""What the worker runs for the leads flow's job kinds (besides connector hooks).

- `leads.timer`: a lead's timer came due. The job stores a `hub.lead_timer`
  event (its key is the timer's firing, so a timer fired twice is one event)
  and the handler decides it like any other event: the 21-day nurture, the
  claim fall-back, the follow-up and the opt-out expiry are therefore
  replayed with the events on a simulated clock.
- `leads.email`: one email to a person (D7): the opt-out is checked again
  when it is sent (operational mail excepted), and non-operational mail gets
  the RFC 8058 one-click unsubscribe headers.
- `leads.writeback`: the leads marked since the last flush, written to the
  CRM and marketing in batches, each with its idempotency key.
- `leads.account`: a Buy Now purchase (D8): the CRM account created or
  updated, then its owner (or the signups team) told.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from handoff.config import HubConfig
from handoff.leads.kinds import LEAD_TIMER
from handoff.leads.mail import SECRET_NAME, opted_out, report_email, unsubscribe_headers
from handoff.leads.records import get_lead, remember_id
from handoff.leads.settings import LeadsConfig
from handoff.leads.sync import clear_marks, pending_systems, sync_batches
from handoff.runtime import ClaimedJob, JobFailedError, record_events
from handoff.runtime.worker import JobRunner
from handoff.secret_store import SecretStore, SecretStoreError
from handoff.store import Store
from handoff_sdk import Clock
from handoff_sdk.entities import Account, Event, Notification

if TYPE_CHECKING:
    from handoff.hub import Hub

__all__ = ["account_runner", "email_runner", "hub_secret", "timer_runner", "writeback_runner"]


def hub_secret(config: HubConfig, name: str) -> str | None:
    """One of the leads flow's own secrets (`HANDOFF_LEADS_<NAME>`, or the secret backend)."""
    try:
        value, _ = SecretStore(config.secrets).lookup("leads", name)
    except SecretStoreError:
        return None
    return value


def timer_runner(store: Store, clock: Clock) -> JobRunner:
    """Run a `leads.timer` job: store the `hub.lead_timer` event the handler decides."""

    def write(job: ClaimedJob) -> dict[str, Any]:
        payload = dict(job.payload)
        lead = str(payload.get("lead", ""))
        now = clock.now()
        with store.transaction() as session:
            [stored] = record_events(
                session,
                [
                    Event(
                        type=LEAD_TIMER,
                        source="hub",
                        dedupe_key=job.idempotency_key,
                        occurred_at=now,
                        payload={**payload, "subject": {"type": "lead", "id": lead}},
                    )
                ],
                now=now,
            )
        return {"event_id": stored.id, "duplicate": not stored.created}

    async def run(job: ClaimedJob) -> dict[str, Any] | None:
        return await asyncio.to_thread(write, job)

    return run


def _hub(hub: Hub | None, connector: str | None, what: str) -> Hub:
    if hub is None or not connector or connector not in hub.connectors:
        raise JobFailedError(f"{what}: connector '{connector}' is not enabled", permanent=True)
    return hub


def email_runner(
    store: Store, clock: Clock, config: LeadsConfig, hub_config: HubConfig, hub: Any
) -> JobRunner:
    """Run a `leads.email` job: check the opt-out again, add the unsubscribe headers, send (D7)."""

    def still_opted_out(to: str) -> str | None:
        with store.sessions() as session:
            return opted_out(get_lead(session, to, lock=False), clock.now())

    def reported(job: ClaimedJob, sent: bool, why: str) -> None:
        report = job.payload.get("report")
        if not report:
            return
        with store.transaction() as session:
            report_email(
                session, report, key=job.idempotency_key, sent=sent, why=why, now=clock.now()
            )

    async def run(job: ClaimedJob) -> dict[str, Any] | None:
        payload = job.payload
        to = str(payload["to"])
        operational = bool(payload.get("operational"))
        if not operational:
            reason = await asyncio.to_thread(still_opted_out, to)
            if reason is not None:
                why = f"{to} {reason} since the decision"
                await asyncio.to_thread(reported, job, False, why)
                return {"sent": False, "why": why}
        headers: dict[str, str] = {}
        if not operational:
            secret = hub_secret(hub_config, SECRET_NAME)
            headers = unsubscribe_headers(config, secret, to)
            if not headers:
                raise JobFailedError(
                    "non-operational email needs one-click unsubscribe: set "
                    "[leads.subscriptions] public_url and HANDOFF_LEADS_UNSUBSCRIBE_SECRET "
                    "(or unsubscribe_mailto)",
                    permanent=True,
                )
        if payload.get("reply_to"):
            headers["Reply-To"] = str(payload["reply_to"])
        found = _hub(hub(), config.mailer, "email")
        result = await found.send_notification(
            str(config.mailer),
            Notification(
                recipients=[to],
                subject=str(payload.get("subject") or ""),
                text=str(payload.get("text") or ""),
                headers=headers,
            ),
            job.idempotency_key,
        )
        why = f"sent to {to}" if result.ok else f"the mailer did not send it ({result.errors})"
        await asyncio.to_thread(reported, job, result.ok, why)
        return {"sent": result.ok, "id": result.id, "headers": sorted(headers)}

    return run


def writeback_runner(store: Store, config: LeadsConfig, hub: Any) -> JobRunner:
    """Run a `leads.writeback` job: every marked lead, in batches, to each system."""

    def batches() -> list[tuple[str, list[Any]]]:
        with store.sessions() as session:
            return [(s, sync_batches(session, config, s)) for s in pending_systems(session)]

    def written(system: str, marks: dict[str, Any], ids: dict[str, str]) -> None:
        with store.transaction() as session:
            clear_marks(session, system, marks)
            for lead_id, external in ids.items():
                row = get_lead(session, lead_id)
                if row is not None:
                    remember_id(session, row, system, external)

    async def run(job: ClaimedJob) -> dict[str, Any] | None:
        report: dict[str, Any] = {}
        for system, chunks in await asyncio.to_thread(batches):
            current = hub()
            if current is None or system not in current.connectors:
                # Not enabled (yet): the marks wait for it; no dead job every window.
                report[system] = {"written": 0, "waiting": sum(len(c[1]) for c in chunks)}
                continue
            found = current
            sent = failed = 0
            errors: list[str] = []
            for key, leads, marks in chunks:
                results = await found.upsert_leads(system, leads, key)
                ok: dict[str, Any] = {}
                ids: dict[str, str] = {}
                for lead, result in zip(leads, results, strict=False):
                    lead_id = lead.email.strip().lower()
                    if result.ok:
                        ok[lead_id] = marks[lead_id]
                        if result.id:
                            ids[lead_id] = result.id
                    else:
                        failed += 1
                        errors += [f"{lead_id}: {e.message}" for e in result.errors][:1]
                sent += len(ok)
                await asyncio.to_thread(written, system, ok, ids)
            report[system] = {"written": sent, "failed": failed, "errors": errors[:10]}
        return report

    return run


def account_runner(store: Store, config: LeadsConfig, hub: Any) -> JobRunner:
    """Run a `leads.account` job: Buy Now keeps the CRM account, its owner is told (D8)."""

    async def run(job: ClaimedJob) -> dict[str, Any] | None:
        payload = job.payload
        crm = str(config.crm)
        found = _hub(hub(), config.crm, "Buy Now")
        email = str(payload["email"])
        domain = email.rpartition("@")[2].lower()
        account = await found.match_account(crm, email_domain=domain, website=None)
        customer = config.signups.customer_type
        if account is not None:
            update = Account(ids=dict(account.ids), name=account.name, account_type=customer)
            result = await found.upsert_account(crm, update, job.idempotency_key)
            owner = account.owner_email
            if owner is None and account.owner_id:
                users = await found.find_users(crm, user_ids=[account.owner_id], emails=[])
                owner = next((u.email for u in users if u.email), None)
        else:
            new = Account(
                name=str(payload.get("company") or domain),
                website=f"https://{domain}",
                domain=domain,
                account_type=customer,
            )
            result = await found.upsert_account(crm, new, job.idempotency_key)
            owner = None
        if not result.ok:
            raise JobFailedError(
                "Buy Now: the account was not written: "
                + "; ".join(e.message for e in result.errors),
                permanent=True,
            )
        told = None
        recipients = [owner] if owner else []
        team = config.assignment.team(config.signups.notify_team)
        channel = None if recipients or team is None else team.channel
        if not recipients and team is not None and channel is None:
            members = [config.assignment.rep(m) for m in team.members]
            recipients = [r.email for r in members if r is not None and r.email]
        if config.notify and (recipients or channel):
            await found.send_notification(
                config.notify,
                Notification(
                    channel=channel,
                    recipients=recipients,
                    subject=f"Buy Now: {payload.get('company') or domain} purchased",
                    text=f"{email} bought"
                    + (f" {payload['plan']}" if payload.get("plan") else "")
                    + f"; the account is now {customer}"
                    + (" (new account)" if account is None else "")
                    + ".",
                ),
                f"{job.idempotency_key}:owner",
            )
            told = owner or channel or ", ".join(recipients)
        return {
            "account": result.id,
            "created": account is None,
            "owner_told": told,
        }

    return run

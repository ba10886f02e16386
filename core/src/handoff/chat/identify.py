"""Rule Q1 on the runtime: a page view is enriched, matched to a CRM account, and explained.

The worker calls `enrich` outside any transaction (connector I/O), then
`decide` inside the one that marks the event processed, so the decision is
stored exactly when the event counts as handled. The decision records each
step and why it came out as it did, for `handoff explain visitor:ID`.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from handoff.chat.kinds import IDENTIFY_DECISION, PAGE_VIEW
from handoff.runtime import DecisionSpec, EventHandler, record_decision
from handoff.store.models import EventRecord
from handoff_sdk import ConnectorError
from handoff_sdk.entities import Firmographics, Visitor

if TYPE_CHECKING:
    from handoff.hub import Hub

__all__ = ["IdentifyVisitors"]


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


class IdentifyVisitors(EventHandler):
    """Q1: enrich a page view's visitor from every enricher, then match the CRM account.

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
        firmographics: Firmographics | None = None
        for outcome in await hub.enrich_visitor_all(visitor):
            if not outcome.ok:
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
            except ConnectorError as exc:
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
        }

    def decide(
        self, session: Session, event: EventRecord, context: dict[str, Any], now: datetime
    ) -> None:
        """Store who the visitor is, as far as the connectors could tell, and how we know."""
        if event.type != PAGE_VIEW or not context:
            return
        firmographics = context["firmographics"] or {}
        account = context["account"] or {}
        record_decision(
            session,
            DecisionSpec(
                kind=IDENTIFY_DECISION,
                subject_type="visitor",
                subject_id=context["visitor"]["id"],
                outcome={
                    "company": firmographics.get("company_name"),
                    "domain": firmographics.get("domain"),
                    "account": account.get("name"),
                    "account_ids": account.get("ids", {}),
                    "account_status": account.get("status"),
                    "account_sector": account.get("sector"),
                    "owner_id": account.get("owner_id"),
                    "bdr_assigned_id": account.get("bdr_assigned_id"),
                },
                # The whole account too: routing (Q3) reuses this identification.
                explanation={
                    "steps": context["steps"],
                    "firmographics": firmographics,
                    "account": account or None,
                },
                rule_ids=("Q1",),
                event_id=event.id,
            ),
            now=now,
        )

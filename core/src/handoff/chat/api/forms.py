"""Smart forms and buttons under /v1 (rule Q18): qualified in the request that submits them.

- `POST /v1/smart-forms/submissions`: a form submission or a CTA click.
  In that one request the visitor is enriched (6sense by IP, the CRM account
  by email or company domain, the CRM lead or contact: the same hooks as Q1
  and Q3), checked against `[smart_forms] icp`, and answered: a fit visitor
  is routed to a rep who is live (the chat routing rules, humans only), or
  offered that rep's free meeting slots (the rules' first choice when nobody
  is free); a visitor who does not fit gets the configured fallback. When a
  connector failed and the profile did not match on what is known, the
  verdict is `unknown` (never `not_fit`) and `[smart_forms] unknown` says
  what the visitor gets.

The submission is stored as a `hub.smart_form` event about
`submission:<id>`; the routing (when a rep was sought) as a `routing`
decision about `conversation:form-<id>`; the answer, with the profile's
checks and every enrichment step, as a `smart_form` decision:
`handoff explain submission:<id>`. The same id again answers the stored
decision (`duplicate: true`) and changes nothing.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field, StringConstraints
from sqlalchemy import select

from handoff.ai.kinds import MEETING_OFFERED
from handoff.api_keys import Scope
from handoff.chat.api.slots import OfferedSlot
from handoff.chat.forms.config import SmartFormsConfig
from handoff.chat.forms.qualify import IcpVerdict, judge
from handoff.chat.kinds import CHAT_REQUEST, SMART_FORM, SMART_FORM_DECISION
from handoff.chat.meetings.offer import MeetingRefusal, rep_slots
from handoff.chat.routing.config import RepConfig, RoutingConfig
from handoff.chat.routing.engine import RoutingDecision
from handoff.chat.routing.handler import RoutingHandler, store_routing_decision
from handoff.chat.settings import ChatSettings
from handoff.flow import FlowContext
from handoff.runtime import DecisionSpec, record_decision, record_events
from handoff.server.access import Caller, require_scope
from handoff.server.models import Email, Ident, IntakeModel, Language, Refused, SmallMap, Url
from handoff.server.responses import refused
from handoff.store import Decision, EventRecord
from handoff_sdk.entities import BusySlot, Event, RepStatus

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from handoff.hub import Hub
    from handoff.store import Store

__all__ = ["SmartAnswer", "SmartSubmission", "smart_form_routes"]

OFFERED = 20
"""At most this many slots are offered in the answer (the earliest)."""

Action = Literal["routed", "meeting", "fallback"]


class SmartSubmission(IntakeModel):
    """A smart form's submission or a smart button's click (Q18)."""

    form_id: Ident = Field(description="The form or button ([smart_forms] forms).")
    kind: Literal["form", "button"] = Field(default="form", description="A form or a CTA.")
    visitor_id: Ident = Field(description="The website's id for the visitor.")
    email: Email | None = Field(default=None, description="The email the form collected.")
    ip: (
        Annotated[str, StringConstraints(max_length=45, pattern=r"^[0-9A-Fa-f:.]{2,45}$")] | None
    ) = Field(default=None, description="The visitor's IP address (6sense enrichment).")
    page_url: Url | None = Field(default=None, description="The page the form is on.")
    language: Language | None = Field(default=None, description="The page's language.")
    fields: SmallMap = Field(
        default_factory=dict, description="The submitted fields, for the profile (form.fields.X)."
    )

    def subject(self) -> tuple[str, str]:
        """About the submission: `handoff explain submission:<id>`."""
        return "submission", self.id

    def related(self) -> list[tuple[str, str]]:
        """And the visitor."""
        return [("visitor", self.visitor_id)]


class SmartRep(BaseModel):
    """The rep the visitor is routed to, or whose calendar is offered."""

    id: str
    name: str
    email: str | None = None


class SmartAnswer(BaseModel):
    """What the page shows the visitor now, and why (Q18)."""

    decision_id: int = Field(description="The stored decision: `handoff explain submission:<id>`.")
    submission_id: str
    verdict: Literal["fit", "not_fit", "unknown"] = Field(
        description="Against the ideal customer profile; unknown: a connector failed."
    )
    action: Action = Field(
        description="routed: a rep is live for them; meeting: pick a slot; fallback: the "
        "configured message."
    )
    why: str = Field(description="The verdict and the action, in words.")
    rep: SmartRep | None = Field(default=None, description="The rep routed to or offered.")
    conversation_id: str | None = Field(
        default=None, description="The conversation the routed rep takes (form-<id>)."
    )
    timezone: str | None = Field(default=None, description="The offered rep's time zone.")
    slots: list[OfferedSlot] = Field(default_factory=list, description="Free meeting slots.")
    message: str | None = Field(default=None, description="The fallback's message.")
    url: str | None = Field(default=None, description="The fallback's next page.")
    notes: list[str] = Field(default_factory=list, description="What could not be known.")
    duplicate: bool = Field(default=False, description="This id was answered before.")


_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": Refused, "description": "The form is not a smart form ([smart_forms] forms)."},
    409: {"model": Refused, "description": "No [smart_forms] table: smart forms are off."},
}


def _event(body: SmartSubmission) -> Event:
    return Event(
        type=SMART_FORM,
        source="smart-form",
        dedupe_key=f"smart-form:{body.id}",
        occurred_at=body.occurred_at,
        payload=body.to_payload(),
    )


def _as_chat_request(body: SmartSubmission, conversation_id: str, now: datetime) -> EventRecord:
    """The submission as the chat request routing enriches: identify, person, presence, busy."""
    return EventRecord(
        id=0,
        type=CHAT_REQUEST,
        source="smart-form",
        dedupe_key=f"smart-form:{body.id}",
        payload={
            "visitor_id": body.visitor_id,
            "conversation_id": conversation_id,
            "email": body.email,
            "ip": body.ip,
            "page_url": body.page_url,
            "language": body.language,
            "human_requested": True,
        },
        received_at=now,
    )


def _stored_answer(session: Session, submission_id: str) -> dict[str, Any] | None:
    found = session.scalars(
        select(Decision)
        .where(
            Decision.kind == SMART_FORM_DECISION,
            Decision.subject_type == "submission",
            Decision.subject_id == submission_id,
        )
        .order_by(Decision.id.desc())
        .limit(1)
    ).first()
    if found is None:
        return None
    return {**found.outcome, "decision_id": found.id, "duplicate": True}


def _wanted(config: SmartFormsConfig, verdict: IcpVerdict) -> str:
    if verdict.verdict == "fit":
        return config.fit
    if verdict.verdict == "unknown":
        return config.unknown
    return "fallback"


def _decide_routing(  # noqa: PLR0917 - one call site, its values in order
    store: Store,
    body: SmartSubmission,
    ctx: dict[str, Any],
    routing: RoutingConfig,
    want_rep: bool,
    now: datetime,
) -> tuple[int | None, RoutingDecision | None]:
    """Store the event (processed: it is decided here) and, when a rep is sought, the routing.

    None for the event id: this submission was stored before (a duplicate).
    """
    with store.transaction() as session:
        [stored] = record_events(session, [_event(body)], now=now)
        if not stored.created:
            return None, None
        event = session.get(EventRecord, stored.id)
        if event is not None:
            event.processed_at = now
            event.context = {"smart_form": ctx}
        if not want_rep:
            return stored.id, None
        routed = dict(ctx)
        busy = {
            k: [BusySlot.model_validate(s) for s in v] for k, v in routed.pop("busy", {}).items()
        }
        steps = list(routed.pop("steps", []))
        recorded = routed.pop("presence", None)
        presence = (
            {rep: RepStatus(status) for rep, status in recorded.items()}
            if isinstance(recorded, dict)
            else None
        )
        decision = store_routing_decision(
            session,
            conversation_id=str(routed["conversation_id"]),
            context=routed,
            config=routing,
            now=now,
            busy=busy,
            event_id=stored.id,
            steps=steps,
            presence=presence,
        )
        return stored.id, decision


async def _slots(
    hub: Hub | None, routing: RoutingConfig, rep: RepConfig, config: SmartFormsConfig, now: datetime
) -> tuple[list[OfferedSlot], list[str], bool]:
    """The rep's free slots (Q12's `rep_slots`), the notes, and False when no calendar answered."""
    try:
        offer = await rep_slots(
            routing,
            hub,
            rep_id=rep.id,
            now=now,
            days=config.meeting_days,
            duration=config.meeting_minutes,
        )
    except MeetingRefusal as refusal:
        return [], [refusal.message], False
    found = offer.slots[:OFFERED]
    return [OfferedSlot(start=s.start, end=s.end) for s in found], list(offer.notes), True


def _meeting_offer(
    body: SmartSubmission, conversation_id: str, rep: RepConfig | None
) -> Event | None:
    """The AI flow's `hub.meeting_offered` event, when the visitor gave an email (Q16)."""
    if not body.email or rep is None:
        return None
    first = body.fields.get("first_name") or body.fields.get("FirstName")
    return Event(
        type=MEETING_OFFERED,
        source="smart-form",
        dedupe_key=f"smart-form-offer:{body.id}",
        occurred_at=None,
        payload={
            "id": f"smart-form-{body.id}",
            "conversation_id": conversation_id,
            "email": body.email,
            "first_name": first,
            "rep": {"id": rep.id, "name": rep.name, "email": rep.email},
            "subject": {"type": "conversation", "id": conversation_id},
            "related": [{"type": "lead", "id": body.email.strip().lower()}],
        },
    )


def _meeting_rep(routing: RoutingConfig, decision: RoutingDecision | None) -> RepConfig | None:
    """Whose calendar to offer: the routed human, else the rules' first choice (unavailable now)."""
    if decision is None:
        return None
    if decision.rep_id:
        rep = routing.rep(decision.rep_id)
        if rep is not None and not rep.is_ai:
            return rep
    first = decision.explanation.get("counterfactual") or {}
    rep = routing.rep(str(first.get("rep"))) if first.get("rep") else None
    return rep if rep is not None and not rep.is_ai else None


def smart_form_routes(context: FlowContext[ChatSettings]) -> APIRouter:
    """The router; the hub's connectors, store and clock come from `context`."""
    router = APIRouter(prefix="/v1", tags=["smart forms"])
    settings, store, clock = context.settings, context.store, context.clock

    @router.post("/smart-forms/submissions", response_model=SmartAnswer, responses={**_RESPONSES})
    async def submit(
        body: SmartSubmission, caller: Annotated[Caller, require_scope(Scope.INGEST)]
    ) -> Any:
        """Q18: qualify a form submission or CTA click now; route, offer slots, or fall back.

        A fit visitor is routed to a live rep (`action: routed`) or offered
        meeting slots (`action: meeting`); one who does not fit gets the
        fallback. Enrichment that failed makes the verdict `unknown`, never
        `not_fit`. The same id again answers what was decided the first time.
        """
        config, routing = settings.smart_forms, settings.routing
        if config is None or routing is None:
            return refused(409, "no [smart_forms] table in handoff.toml: smart forms are off")
        if not config.qualifies(body.form_id):
            return refused(
                404,
                f"'{body.form_id}' is not a smart form ([smart_forms] forms: "
                f"{', '.join(config.forms)})",
                "form_id",
                "a form or button id listed in [smart_forms] forms",
            )

        def earlier() -> dict[str, Any] | None:
            with store.sessions() as session:
                return _stored_answer(session, body.id)

        answered = await asyncio.to_thread(earlier)
        if answered is not None:
            return SmartAnswer.model_validate(answered)
        now = clock.now()
        conversation_id = f"form-{body.id}"
        hub = context.hub()
        enricher = RoutingHandler(routing, store=store)
        enriched = await enricher.enrich(hub, _as_chat_request(body, conversation_id, now))
        ctx: dict[str, Any] = dict(enriched.get("routing") or {})
        ctx["experience"] = {"id": f"smart-{body.kind}:{body.form_id}", "mode": "ai_first"}
        ctx["request"] = {"human": True}
        ctx["form"] = {"id": body.form_id, "kind": body.kind, "fields": dict(body.fields)}
        if hub is None:
            ctx.setdefault("steps", []).append(
                "no connector is enabled: nothing to enrich the visitor with"
            )
        verdict = judge(config, ctx)
        wanted = _wanted(config, verdict)
        event_id, decision = await asyncio.to_thread(
            _decide_routing, store, body, ctx, routing, wanted != "fallback", now
        )
        if event_id is None:
            answered = await asyncio.to_thread(earlier)
            if answered is None:
                return refused(
                    409,
                    f"submission '{body.id}' is being decided by another request: ask again",
                    "id",
                )
            return SmartAnswer.model_validate(answered)

        action: Action = "fallback"
        rep: RepConfig | None = None
        notes: list[str] = []
        offered: list[OfferedSlot] = []
        why = verdict.why
        if wanted == "route" and decision is not None and decision.rep_id:
            live = routing.rep(decision.rep_id)
            if live is not None and not live.is_ai:
                action, rep = "routed", live
                why += f"; routed live to {live.name} (rule {decision.rule})"
        if action == "fallback" and wanted != "fallback":
            rep = _meeting_rep(routing, decision)
            if rep is None:
                why += "; nobody to route to or to offer a meeting with: the fallback"
            else:
                offered, notes, reached = await _slots(hub, routing, rep, config, now)
                if not reached:
                    why += (
                        f"; {rep.name}'s calendar could not be read, so no slot is offered "
                        "(one could be busy): the fallback"
                    )
                    rep = None
                elif not offered:
                    why += f"; {rep.name} has no free slot in {config.meeting_days} days: the "
                    why += "fallback"
                    rep = None
                else:
                    action = "meeting"
                    lead_in = "nobody is free now" if wanted == "route" else "meetings are offered"
                    why += f"; {lead_in}: {len(offered)} slots with {rep.name}"
        elif wanted == "fallback":
            why += "; the fallback"
        answer: dict[str, Any] = {
            "submission_id": body.id,
            "verdict": verdict.verdict,
            "action": action,
            "why": why,
            "rep": {"id": rep.id, "name": rep.name, "email": rep.email} if rep else None,
            "conversation_id": conversation_id if action != "fallback" else None,
            "timezone": rep.timezone if action == "meeting" and rep else None,
            "slots": [s.model_dump(mode="json") for s in offered] if action == "meeting" else [],
            "message": config.fallback.message if action == "fallback" else None,
            "url": config.fallback.url if action == "fallback" else None,
            "notes": notes,
        }
        explanation = {
            "why": why,
            "icp": verdict.to_json(),
            "steps": list(ctx.get("steps") or []),
            "known": {
                key: ctx.get(key) for key in ("firmographics", "account", "person", "visitor")
            },
            "form": ctx["form"],
            "routing": decision.outcome() if decision is not None else None,
            "asked_by": caller.actor,
        }

        offer = _meeting_offer(body, conversation_id, rep) if action == "meeting" else None

        def store_answer() -> int:
            with store.transaction() as session:
                if offer is not None:  # Q16: a visitor offered slots who does not book
                    record_events(session, [offer], now=now)
                return record_decision(
                    session,
                    DecisionSpec(
                        kind=SMART_FORM_DECISION,
                        subject_type="submission",
                        subject_id=body.id,
                        outcome=answer,
                        explanation=explanation,
                        rule_ids=("Q18",),
                        event_id=event_id,
                    ),
                    now=now,
                )

        decision_id = await asyncio.to_thread(store_answer)
        return SmartAnswer.model_validate({**answer, "decision_id": decision_id})

    return router

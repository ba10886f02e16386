"""The chat flow's front door: what another flow may call (with `kinds`, the only modules it may).

Flows talk through events and stored decisions; some things another flow
needs are the chat flow's own decisions taken on its behalf, in the same
words and with the same explanation. They are here, and only here, so the
chat flow stays free to rearrange everything behind them:

- `experience`: a configured chat experience and whether it is live now (Q8, Q9);
- `offer_slots`: a rep's free meeting slots (Q12), as `GET /v1/reps/{id}/slots` gives them;
- `book_meeting`: a booking checked and stored with its job (Q12), as `POST /v1/meetings`;
- `assigned_rep`: the rep a visitor's account is assigned to (its BDR Assigned, Q3b/Q3c),
  from the visitor's stored Q1 identification, whatever their presence now;
- `hand_off_to_rep`: a conversation routed to a human as Q4's AI-first mode does when the
  visitor asks for one (Q3 rules without the AI rep: the assigned BDR of an Actively
  Working account, else the geo SDR pool), stored as the chat flow's routing decision.

The AI rep's conversations (Q5, `handoff.ai`) use all of them. A refusal is a
`MeetingRefusal` (status, message, field) or, for a missing `[routing]`,
`ChatUnavailable`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from handoff.chat.experiences import experience_states
from handoff.chat.kinds import ROUTING_DECISION
from handoff.chat.meetings.booking import MeetingError, booking_decision, request_booking
from handoff.chat.meetings.offer import MeetingRefusal, SlotOffer, prepare_booking, rep_slots
from handoff.chat.meetings.slots import Slot
from handoff.chat.routing.handler import reuse_identification, store_routing_decision
from handoff.chat.settings import ChatSettings
from handoff.errors import HandoffError
from handoff.store import Decision
from handoff_sdk.entities import ExperienceMode

if TYPE_CHECKING:
    from handoff.config import HubConfig
    from handoff.flow import Services

__all__ = [
    "Assigned",
    "Booked",
    "ChatUnavailable",
    "ExperienceView",
    "Handoff",
    "MeetingRefusal",
    "Slot",
    "SlotOffer",
    "assigned_rep",
    "book_meeting",
    "chat_settings",
    "experience",
    "hand_off_to_rep",
    "offer_slots",
]


class ChatUnavailable(HandoffError):
    """What was asked needs a chat table that is not configured (`[routing]`)."""


def chat_settings(config: HubConfig) -> ChatSettings:
    """The chat flow's validated tables in a loaded handoff.toml (defaults when absent)."""
    found = config.flows.get("chat")
    if isinstance(found, ChatSettings):
        return found
    return ChatSettings.model_validate({})


@dataclass(frozen=True)
class ExperienceView:
    """One configured chat experience as another flow sees it."""

    id: str
    name: str
    language: str
    mode: str
    """Q4: `human_first` or `ai_first`."""
    is_ai: bool
    """Named 'X - AI': the AI twin of 'X' (Q8)."""
    live: bool
    """Enabled now: its configured state unless an operator rolled the AI experiences back."""


def experience(session: Session, config: HubConfig, experience_id: str) -> ExperienceView | None:
    """The experience with that id and whether it is live now; None when none is configured."""
    settings = chat_settings(config)
    catalog = settings.catalog()
    found = catalog.experiences.get(experience_id)
    if found is None:
        return None
    live = experience_states(session, catalog).get(found.id, found.enabled)
    return ExperienceView(
        id=found.id,
        name=found.name,
        language=found.language,
        mode=found.mode.value,
        is_ai=found.is_ai,
        live=live,
    )


async def offer_slots(services: Services, *, rep_id: str, days: int, duration: int) -> SlotOffer:
    """A rep's free meeting slots from now (Q12); raises MeetingRefusal (status, message)."""
    settings = chat_settings(services.config)
    return await rep_slots(
        settings.routing,
        services.hub(),
        rep_id=rep_id,
        now=services.clock.now(),
        days=days,
        duration=duration,
    )


@dataclass(frozen=True)
class Booked:
    """A booking stored (the worker puts it on the calendar): `handoff explain meeting:<id>`."""

    decision_id: int
    meeting_id: str
    rep_id: str
    start: datetime
    end: datetime
    duplicate: bool


def book_meeting(
    services: Services,
    *,
    meeting_id: str,
    rep_id: str,
    attendee_email: str,
    start: datetime,
    end: datetime | None = None,
    conversation_id: str | None = None,
) -> Booked:
    """Store a visitor's booking and its job, as `POST /v1/meetings` does (Q12). Blocking (DB).

    The same `meeting_id` again answers the first booking (`duplicate`).
    Raises MeetingRefusal when the configuration or the time refuses it.
    """
    settings = chat_settings(services.config)
    if settings.routing is None:
        raise MeetingRefusal(409, "no [routing] table in handoff.toml: no rep to book")
    try:
        known = booking_decision(services.store, meeting_id)
    except MeetingError as exc:
        raise MeetingRefusal(
            409, str(exc), "meeting_id", "already used by something else"
        ) from None
    if known is not None:  # the first booking's answer, whatever changed since
        with services.store.sessions() as session:
            row = session.get(Decision, known)
            out = dict(row.outcome) if row is not None else {}
        return Booked(
            known,
            meeting_id,
            str(out.get("rep_id", rep_id)),
            datetime.fromisoformat(str(out.get("start", start.isoformat()))),
            datetime.fromisoformat(str(out.get("end", (end or start).isoformat()))),
            duplicate=True,
        )
    job = prepare_booking(
        settings.routing,
        settings.meetings,
        services.hub(),
        meeting_id=meeting_id,
        rep_id=rep_id,
        attendee_email=attendee_email,
        start=start,
        end=end,
        conversation_id=conversation_id,
        now=services.clock.now(),
    )
    stored = request_booking(services.store, job, now=services.clock.now())
    return Booked(
        stored.decision_id,
        meeting_id,
        rep_id,
        job.meeting.start,
        job.meeting.end,
        stored.duplicate,
    )


@dataclass(frozen=True)
class Handoff:
    """Who a conversation was handed to, by which rule, and the stored routing decision."""

    decision_id: int
    rep_id: str | None
    """None: nobody available (the chat waits unrouted, as routing says)."""
    rep_name: str | None
    rule: str | None
    rule_ids: list[str]
    pool: str | None
    counterfactual_rep: str | None
    """Who it would have gone to had they been available (the first choice skipped)."""
    notes: list[str] = field(default_factory=list)


def hand_off_to_rep(
    session: Session,
    config: HubConfig,
    *,
    conversation_id: str,
    visitor_id: str,
    now: datetime,
    experience_id: str | None = None,
    email: str | None = None,
    page_url: str | None = None,
    why: str = "the visitor asked for a human",
) -> Handoff:
    """Route a conversation to a human in the caller's transaction (Q3 rules, Q4 AI-first hand-off).

    The chat's routing decision, stored about `conversation:<id>` with its
    explanation (each rule and why, reps skipped, the counterfactual), the
    round-robin cursor advanced: what the worker does with a chat request
    that asks for a human on an AI-first experience. The visitor's account
    comes from their stored Q1 identification (page views). Raises
    ChatUnavailable without `[routing]`.
    """
    settings = chat_settings(config)
    routing = settings.routing
    if routing is None:
        raise ChatUnavailable("routing is not configured (no [routing] table in handoff.toml)")
    visitor: dict[str, Any] = {"id": visitor_id}
    if email:
        visitor["email"] = email
    if page_url:
        visitor["page_url"] = page_url
    configured = settings.catalog().experiences.get(experience_id or "")
    shown: dict[str, Any] = {"id": experience_id} if experience_id else {}
    if configured is not None:
        shown = {"id": configured.id, "name": configured.name, "language": configured.language}
    context: dict[str, Any] = {
        "conversation_id": conversation_id,
        "visitor": visitor,
        "experience": {**shown, "mode": ExperienceMode.AI_FIRST.value},
        "request": {"human": True},
    }
    steps = [why, *reuse_identification(session, context)]
    decision = store_routing_decision(
        session,
        conversation_id=conversation_id,
        context=context,
        config=routing,
        now=now,
        steps=steps,
    )
    stored = session.scalars(
        select(Decision.id)
        .where(
            Decision.kind == ROUTING_DECISION,
            Decision.subject_type == "conversation",
            Decision.subject_id == conversation_id,
        )
        .order_by(Decision.id.desc())
        .limit(1)
    ).one()
    counterfactual = decision.explanation.get("counterfactual") or {}
    return Handoff(
        decision_id=stored,
        rep_id=decision.rep_id,
        rep_name=decision.rep_name,
        rule=decision.rule,
        rule_ids=list(decision.rule_ids),
        pool=decision.pool,
        counterfactual_rep=counterfactual.get("rep") if isinstance(counterfactual, dict) else None,
        notes=list(decision.explanation.get("notes") or []),
    )


@dataclass(frozen=True)
class Assigned:
    """The rep a visitor's account is assigned to, and where that was read."""

    rep_id: str
    rep_name: str
    account: str | None
    account_status: str | None
    why: str


def assigned_rep(session: Session, config: HubConfig, visitor_id: str) -> Assigned | None:
    """The human rep the visitor's account names as BDR Assigned (None: no account or none named).

    Read from the visitor's latest Q1 identification (the account matched to
    their page views); the id is resolved like a routing target (hub id or
    CRM user id). Presence and working hours do not matter here: a meeting
    is booked in the rep's free time, not now.
    """
    routing = chat_settings(config).routing
    if routing is None:
        return None
    context: dict[str, Any] = {"visitor": {"id": visitor_id}}
    steps = reuse_identification(session, context)
    account = context.get("account") or {}
    named = account.get("bdr_assigned_id") if isinstance(account, dict) else None
    if not named:
        return None
    rep = routing.resolve_rep(str(named))
    if rep is None or rep.is_ai:
        return None
    return Assigned(
        rep_id=rep.id,
        rep_name=rep.name,
        account=account.get("name"),
        account_status=account.get("status"),
        why=f"the account {account.get('name')} ({account.get('status') or 'no status'}) names "
        f"{rep.id} as BDR Assigned; " + "; ".join(steps),
    )

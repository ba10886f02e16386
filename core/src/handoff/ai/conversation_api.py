"""The AI rep's conversations under /v1/ai/conversations (Q5), called by the website's widget.

- `POST /v1/ai/conversations`: start one on an experience, by "Connect with us"
  (`entry = "connect"`: the business email first) or "I have a question"
  (`entry = "question"`: the AI converses at once);
- `POST /v1/ai/conversations/{id}/messages`: the visitor's message (or a goal's
  button) in; the guarded reply and any goal's step out (email requested,
  slots offered, routed to a rep, support link);
- `POST /v1/ai/conversations/{id}/email`: the visitor's email; free-mail,
  disposable or malformed is a 422 naming `email` with the reason;
- `POST /v1/ai/conversations/{id}/slot`: the offered slot the visitor picked: booked;
- `GET /v1/ai/conversations/{id}`: the conversation, its turns and every
  decision about it with its explanation (the same as `handoff explain
  conversation:<id>`).

Scope `ingest` (the website's widget); reading also `ops`. Without an `[ai]`
table every route answers 409.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from handoff.ai.conversation_config import GoalId
from handoff.ai.conversations import ConversationError, Conversations, Step
from handoff.ai.responder import Responder
from handoff.ai.responders import choose_responder
from handoff.ai.settings import AiSettings
from handoff.api_keys import Scope
from handoff.flow import FlowContext
from handoff.runtime.explain import explain_ref
from handoff.server.access import require_scope
from handoff.server.models import EventTime, Ident, Refused, Text, Url
from handoff.server.responses import refused

__all__ = [
    "ConversationAnswer",
    "ConversationStart",
    "ConversationView",
    "EmailGiven",
    "SlotChosen",
    "VisitorMessage",
    "conversation_routes",
]

_OFF = "no [ai] table in handoff.toml: the AI flow is off"

IdPath = Annotated[str, Path(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f]+$")]
EmailText = Annotated[
    str, StringConstraints(min_length=1, max_length=320, pattern=r"^[^\x00-\x1f]+$")
]


class ConversationStart(BaseModel):
    """A visitor opened the AI chat on an experience, by one of its two entry paths (Q5)."""

    model_config = ConfigDict(extra="forbid", strict=True, regex_engine="python-re")

    id: Ident = Field(description="The widget's id for the conversation (used in every call).")
    experience_id: Ident = Field(description="The chat experience it opened on ([[experiences]]).")
    entry: Literal["connect", "question"] = Field(
        description="'connect' (\"Connect with us\": a business email before the AI converses) "
        "or 'question' (\"I have a question\": the email only when a goal triggers)."
    )
    visitor_id: Ident = Field(description="The website's id for the visitor (Q1's).")
    page_url: Url | None = Field(default=None, description="The page it opened on.")


class VisitorMessage(BaseModel):
    """What the visitor typed, or the goal button they pressed (or both)."""

    model_config = ConfigDict(extra="forbid", strict=True, regex_engine="python-re")

    text: Text = Field(default="", description="The message; may be empty with a button.")
    button: GoalId | None = Field(
        default=None,
        description="A goal's button: 'book_meeting', 'route_to_rep' or 'support'.",
    )


class EmailGiven(BaseModel):
    """The visitor's email, for the business email gate (Q5)."""

    model_config = ConfigDict(extra="forbid", strict=True, regex_engine="python-re")

    email: EmailText = Field(description="As typed; free-mail and disposable domains are refused.")


class SlotChosen(BaseModel):
    """The slot the visitor picked among those offered."""

    model_config = ConfigDict(extra="forbid", strict=True, regex_engine="python-re")

    start: EventTime = Field(description="The offered slot's start (ISO 8601 with its offset).")


class GuardInfo(BaseModel):
    """What the rules of engagement (Q6) made of the reply before it was sent."""

    allowed: bool = Field(description="True: the draft was sent as is; false: replaced.")
    rule: str | None = Field(description="The rule whose fallback replaced it (Q6.pricing...).")
    broken: list[str] = Field(description="Every rule the draft broke.")


class ConversationAnswer(BaseModel):
    """The reply to send the visitor and what the turn did."""

    conversation_id: str
    status: str = Field(description="awaiting_email, open, awaiting_slot, handed_off or booked.")
    entry: str = Field(description="connect or question.")
    experience_id: str
    needs_email: bool = Field(description="True while a business email is awaited.")
    email: str | None = Field(description="The business email given, once accepted.")
    reply: str | None = Field(description="What to show the visitor (checked by the Q6 guard).")
    guard: GuardInfo | None = Field(description="The guard's verdict on the reply.")
    goal: dict[str, Any] | None = Field(
        description="The goal's step this turn, if any: `goal` (book_meeting, route_to_rep, "
        "support), `action` (email_requested, slots_offered, meeting_booked, routed, unrouted, "
        "support_link, failed) and its details (rep_id, rep_name, slots, meeting_id, "
        "support_url, routing_decision_id, why)."
    )
    decision_ids: list[int] = Field(description="The decisions stored by this call.")


class ConversationView(BaseModel):
    """A conversation as stored, with every decision about it and why."""

    conversation_id: str
    status: str
    entry: str
    experience_id: str
    visitor_id: str
    email: str | None
    rep_id: str | None = Field(description="The rep it was routed to, or whose slots were offered.")
    meeting_id: str | None
    offer: dict[str, Any] | None = Field(description="The slots offered, if any.")
    turns: list[dict[str, str]] = Field(description="Every message, oldest first.")
    decisions: list[dict[str, Any]] = Field(
        description="Every decision about conversation:<id> (AI steps, chat routing), with its "
        "outcome, `why` (summary, matched, not matched) and explanation."
    )


_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": Refused, "description": "No AI conversation with that id."},
    409: {
        "model": Refused,
        "description": "No [ai] table; the experience is switched off; the id is taken; no "
        "slots were offered; or the configuration cannot book (see the error).",
    },
    422: {
        "model": Refused,
        "description": "Invalid body (each field named); an email refused as free-mail, "
        "disposable or malformed; a slot not offered.",
    },
    502: {"model": Refused, "description": "The rep's calendar could not be read."},
}


def _answer(step: Step) -> ConversationAnswer:
    state = step.state
    guard = step.guard
    return ConversationAnswer(
        conversation_id=state.id,
        status=state.status,
        entry=state.entry,
        experience_id=state.experience_id,
        needs_email=step.needs_email,
        email=state.email,
        reply=step.reply,
        guard=GuardInfo(
            allowed=guard.allowed, rule=guard.rule_id, broken=[c.rule.id for c in guard.broken]
        )
        if guard is not None
        else None,
        goal=step.goal,
        decision_ids=step.decision_ids,
    )


def _refusal(error: ConversationError) -> JSONResponse:
    return refused(error.status, error.message, error.field, error.problem or "")


def conversation_routes(
    context: FlowContext[AiSettings], responder: Responder | None = None
) -> APIRouter:
    """The router; `responder` drafts the replies (default: `choose_responder`)."""
    router = APIRouter(prefix="/v1/ai/conversations", tags=["ai"])
    config = context.settings.ai
    engine = (
        Conversations(
            context.services, config, responder or choose_responder(context.services, config)
        )
        if config is not None
        else None
    )
    ingest = [require_scope(Scope.INGEST)]

    @router.post(
        "",
        status_code=201,
        response_model=ConversationAnswer,
        responses={**_RESPONSES},
        dependencies=ingest,
    )
    async def start(body: ConversationStart) -> Any:
        """Q5: open an AI conversation; "Connect with us" asks for the business email first."""
        if engine is None:
            return refused(409, _OFF)
        try:
            step = await engine.start(
                conversation_id=body.id,
                experience_id=body.experience_id,
                entry=body.entry,
                visitor_id=body.visitor_id,
                page_url=body.page_url,
            )
        except ConversationError as exc:
            return _refusal(exc)
        return JSONResponse(status_code=201, content=_answer(step).model_dump(mode="json"))

    @router.post(
        "/{conversation_id}/messages",
        response_model=ConversationAnswer,
        responses={**_RESPONSES},
        dependencies=ingest,
    )
    async def message(conversation_id: IdPath, body: VisitorMessage) -> Any:
        """Q5, Q6: the visitor's message; the guarded reply, and a goal's step when one triggers."""
        if engine is None:
            return refused(409, _OFF)
        try:
            return _answer(await engine.message(conversation_id, body.text, body.button))
        except ConversationError as exc:
            return _refusal(exc)

    @router.post(
        "/{conversation_id}/email",
        response_model=ConversationAnswer,
        responses={**_RESPONSES},
        dependencies=ingest,
    )
    async def email(conversation_id: IdPath, body: EmailGiven) -> Any:
        """Q5: the visitor's email; a free-mail, disposable or malformed one is a 422 saying why."""
        if engine is None:
            return refused(409, _OFF)
        try:
            step = await engine.give_email(conversation_id, body.email)
        except ConversationError as exc:
            return _refusal(exc)
        verdict = step.email
        if verdict is not None and not verdict.accepted:
            return refused(422, verdict.reason, "email", verdict.reason)
        return _answer(step)

    @router.post(
        "/{conversation_id}/slot",
        response_model=ConversationAnswer,
        responses={**_RESPONSES},
        dependencies=ingest,
    )
    async def slot(conversation_id: IdPath, body: SlotChosen) -> Any:
        """Q5, Q12: book the offered slot the visitor picked, with the rep whose calendar it is."""
        if engine is None:
            return refused(409, _OFF)
        try:
            return _answer(await engine.choose_slot(conversation_id, body.start))
        except ConversationError as exc:
            return _refusal(exc)

    @router.get(
        "/{conversation_id}",
        response_model=ConversationView,
        responses={**_RESPONSES},
        dependencies=[require_scope(Scope.INGEST, Scope.OPS)],
    )
    async def read(conversation_id: IdPath) -> Any:
        """Q5: the conversation, its turns, and every decision about it with why."""
        if engine is None:
            return refused(409, _OFF)
        try:
            state = await engine.read(conversation_id)
        except ConversationError as exc:
            return _refusal(exc)

        def decisions() -> list[dict[str, Any]]:
            with context.store.sessions() as session:
                report = explain_ref(session, f"conversation:{conversation_id}")
            found: list[dict[str, Any]] = report["decisions"]
            return found

        return ConversationView(
            conversation_id=state.id,
            status=state.status,
            entry=state.entry,
            experience_id=state.experience_id,
            visitor_id=state.visitor_id,
            email=state.email,
            rep_id=state.rep_id,
            meeting_id=state.meeting_id,
            offer=state.offer.model_dump(mode="json") if state.offer else None,
            turns=state.turns,
            decisions=await asyncio.to_thread(decisions),
        )

    return router

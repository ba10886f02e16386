"""The AI flow's API under /v1/ai: the rules of engagement run on a reply before it is sent (Q6).

- `POST /v1/ai/replies/check`: the visitor's message and a candidate reply
  (from any backend) in; the reply to send out, whether it was replaced and
  by which rule. Every verdict is stored as an `ai.guard` decision about the
  conversation, so `handoff explain conversation:<id>` shows it.

Without an `[ai]` table it answers 409 (the flow is off).
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from handoff.ai.guard import GuardVerdict, check_reply
from handoff.ai.kinds import GUARD_DECISION, SUBJECT
from handoff.ai.settings import AiSettings
from handoff.api_keys import Scope
from handoff.flow import FlowContext
from handoff.runtime.decisions import DecisionSpec, record_decision
from handoff.server.access import require_scope
from handoff.server.models import Ident, Refused, Text
from handoff.server.responses import refused

__all__ = ["CheckAnswer", "ReplyCheck", "ai_routes"]

_OFF = "no [ai] table in handoff.toml: the AI flow is off"


class ReplyCheck(BaseModel):
    """A candidate reply to run through the rules of engagement before it is sent."""

    model_config = ConfigDict(extra="forbid")

    conversation_id: Ident = Field(description="The conversation the reply belongs to.")
    message: Text = Field(description="The visitor's message the reply answers.")
    reply: Text = Field(
        min_length=1, description="The candidate reply, from any backend (model, responder)."
    )
    backend: Ident | None = Field(
        default=None, description="What proposed the reply ('openai', 'responder'), for explain."
    )


class CheckAnswer(BaseModel):
    """What to send, and why."""

    decision_id: int = Field(description="The stored verdict: `handoff explain decision:<id>`.")
    allowed: bool = Field(description="True when the candidate is sent as is.")
    reply: str = Field(description="The reply to send: the candidate, or the rule's fallback.")
    rule: str | None = Field(description="The rule that replaced it (Q6.pricing, ...), if any.")
    rule_name: str | None = Field(description="That rule's name.")
    why: str | None = Field(description="Why the rule was broken.")
    broken: list[str] = Field(description="Every rule the candidate broke, in rule order.")


def record_verdict(
    context: FlowContext[AiSettings], body: ReplyCheck, verdict: GuardVerdict
) -> int:
    """Store the verdict as an `ai.guard` decision about the conversation; its id."""
    outcome = verdict.outcome()
    if body.backend:
        outcome["backend"] = body.backend
    explanation = {**verdict.explanation(), "message": body.message}
    with context.store.transaction() as session:
        return record_decision(
            session,
            DecisionSpec(
                kind=GUARD_DECISION,
                subject_type=SUBJECT,
                subject_id=body.conversation_id,
                outcome=outcome,
                explanation=explanation,
                rule_ids=("Q6",),
            ),
            now=context.clock.now(),
        )


def ai_routes(context: FlowContext[AiSettings]) -> APIRouter:
    """The router over the hub's store."""
    router = APIRouter(prefix="/v1/ai", tags=["ai"], dependencies=[require_scope(Scope.INGEST)])
    config = context.settings.ai

    @router.post(
        "/replies/check",
        response_model=CheckAnswer,
        responses={409: {"model": Refused, "description": "No [ai] table: the flow is off."}},
    )
    async def check(body: ReplyCheck) -> Any:
        """Q6: run the rules of engagement on a reply; a reply that breaks one is replaced."""
        if config is None:
            return refused(409, _OFF)
        verdict = check_reply(body.message, body.reply, config)
        decision_id = await asyncio.to_thread(record_verdict, context, body, verdict)
        first = verdict.broken[0] if verdict.broken else None
        return CheckAnswer(
            decision_id=decision_id,
            allowed=verdict.allowed,
            reply=verdict.reply,
            rule=verdict.rule_id,
            rule_name=verdict.rule_name,
            why=first.why if first else None,
            broken=[c.rule.id for c in verdict.broken],
        )

    return router

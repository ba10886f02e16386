"""A model backend behind the `Responder` interface, and every reply guarded before it is sent.

`ModelResponder` drafts the AI rep's next reply with the model of the
connector named in `[ai.model]`: it builds the instructions (who the AI rep
speaks for, the rules of engagement in words from the `[ai]` table, the open
goals, the passages to quote) as a `ReplyPrompt` and awaits
`handoff_generate_reply` through the Hub, like any capability (the
connector's budget, retries, metrics). A model that fails after the
connector's retries, or takes longer than `timeout_seconds`, raises
`ModelUnavailable`, which the conversation turns into the offer of a human.

`guarded_reply(responder, request, table)` is what a conversation calls to
get the text to send: it drafts with any responder (this one, the built-in
one), runs the rules of engagement (Q6, `handoff.ai.guard`) on the draft, and
returns what to send: the draft when it broke no rule, the broken rule's
fallback otherwise, or (the model unavailable) `unavailable_reply`, itself
guarded. It never raises for a model's failure; with `record` it stores each
verdict as an `ai.guard` decision, so every replacement is recorded.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from handoff.ai.guard import GuardVerdict, check_reply
from handoff.ai.kinds import GUARD_DECISION, SUBJECT
from handoff.ai.responder import (
    MODEL_BACKEND,
    Draft,
    Passage,
    ReplyRequest,
    Responder,
    drafted_by_model,
)
from handoff.errors import HandoffError
from handoff.runtime.decisions import DecisionSpec, record_decision
from handoff_sdk import ApiError, ConnectorError
from handoff_sdk.entities import ModelReply, ReplyPassage, ReplyPrompt, ReplyTurn

if TYPE_CHECKING:
    from handoff.ai.config import AiConfig
    from handoff.ai.model_config import ModelConfig
    from handoff.hub import Hub
    from handoff.store import Store
    from handoff_sdk import Clock

__all__ = [
    "GOALS",
    "GuardedReply",
    "ModelDraft",
    "ModelResponder",
    "ModelUnavailable",
    "build_prompt",
    "configured_model",
    "decision_recorder",
    "guarded_reply",
    "rules_in_words",
]

GOALS = {
    "book_meeting": "Book a meeting: when the visitor shows buying interest, offer to book a "
    "meeting with one of the team (the hub shows the free slots).",
    "route_to_rep": "Route to a rep: when the visitor wants a person, offer to connect them "
    "with one of the team.",
    "support": "Support: when the visitor needs help with a product they use, send them to "
    "the support site.",
}
"""The experience's goals (ReplyRequest.goals) in words for the model; others are sent as named."""


class ModelUnavailable(HandoffError):
    """The model could not draft a reply: its API failed after retries, or it was too slow.

    The conversation answers the visitor with the offer of a human instead
    (`ModelConfig.unavailable_reply`); `retryable` says whether a later turn
    may find the model back (a rate limit, an overload) or not (a refused key).
    """

    def __init__(self, connector: str, reason: str, *, retryable: bool) -> None:
        super().__init__(f"the model of connector '{connector}' is unavailable: {reason}")
        self.connector = connector
        self.reason = reason
        self.retryable = retryable


@dataclass(frozen=True)
class ModelDraft(Draft):
    """A draft from a model, with the model's own account of it (model name, tokens, finish)."""

    reply: ModelReply | None = None


def rules_in_words(table: AiConfig) -> list[str]:
    """The rules of engagement (Q6) as instructions a model can follow, from the `[ai]` table.

    Said to the model so that most replies pass; the guard still checks every
    reply, whatever the model made of these words.
    """
    company = table.company
    rules = [
        "Never discuss special pricing, discounts, promotions, coupons or deals, and never "
        "offer or negotiate a price. Public list prices may be stated as they are; for "
        "anything more, offer to connect the visitor with one of the team.",
        f"When the visitor needs support with a product they use (something broken, an "
        f"error, a login problem), send them to {table.support_url} and link it.",
    ]
    pages = ", ".join(table.forbidden_urls)
    rules.append(
        "Never send visitors to the demo or contact-us pages"
        + (f" ({pages})" if pages else "")
        + ", neither by link nor in words ('request a demo', 'contact us'); offer to help "
        "right here, or to bring in one of the team."
    )
    if table.competitors:
        rivals = ", ".join(table.competitors)
        rules.append(
            f"When the visitor compares {company} with a competitor ({rivals}), always present "
            f"{company} as the better choice, or offer to connect them with one of the team; "
            "never say a competitor is better, and never recommend one."
        )
    rules.append(
        "Answer from the approved content below and link its source; when it does not hold "
        "the answer, say so and offer to connect the visitor with one of the team."
    )
    return rules


def _instructions(table: AiConfig, model: ModelConfig) -> str:
    text = (
        f"You are the AI assistant of {table.company}, answering visitors in the chat on "
        f"{table.company}'s website. Reply in the visitor's language, briefly and accurately, "
        f"speaking for {table.company}."
    )
    return f"{text}\n\n{model.instructions.strip()}" if model.instructions.strip() else text


def build_prompt(request: ReplyRequest, table: AiConfig) -> ReplyPrompt:
    """The model's prompt: instructions, rules, goals and passages, then the latest turns.

    The request's own `rules` (if the conversation gives any) come after the
    table's, those already said left out; goals are said in words (`GOALS`);
    at most `max_turns` turns and `max_passages` passages are sent.
    """
    model = _model_table(table)
    turns = [ReplyTurn(speaker=t.speaker, text=t.text) for t in request.turns][-model.max_turns :]
    passages = [
        ReplyPassage(source=p.source, title=p.title, text=p.text)
        for p in list(request.passages)[: model.max_passages]
    ]
    return ReplyPrompt(
        instructions=_instructions(table, model),
        turns=turns,
        passages=passages,
        goals=[GOALS.get(goal, goal) for goal in request.goals],
        rules=_rules(table, request.rules),
        max_tokens=model.max_tokens,
        temperature=model.temperature,
    )


def _rules(table: AiConfig, asked: Sequence[str]) -> list[str]:
    """The table's rules in words, then the request's own that are not among them already."""
    rules = rules_in_words(table)
    return [*rules, *(rule for rule in asked if rule not in rules)]


def _model_table(table: AiConfig) -> ModelConfig:
    if table.model is None:
        raise HandoffError("no [ai.model] table in handoff.toml: no model is configured")
    return table.model


def _quoted(text: str, passages: Sequence[Passage]) -> tuple[Passage, ...]:
    """The passages whose source the reply links or names."""
    return tuple(p for p in passages if p.source and p.source in text)


class ModelResponder:
    """Drafts replies with the model of the connector named in `[ai.model]` (a `Responder`)."""

    def __init__(self, hub: Hub, table: AiConfig) -> None:
        model = _model_table(table)
        if model.connector not in hub.connectors:
            raise HandoffError(
                f"[ai.model] connector '{model.connector}' is not enabled: add a "
                f"[connectors.{model.connector}] table (enabled: "
                f"{', '.join(hub.connectors) or 'none'})"
            )
        if model.connector not in hub.implementing("handoff_generate_reply"):
            raise HandoffError(
                f"[ai.model] connector '{model.connector}' cannot generate replies (it does not "
                "implement handoff_generate_reply): use openai or anthropic"
            )
        self.hub = hub
        self.table = table
        self.model = model

    async def draft(self, request: ReplyRequest) -> ModelDraft:
        """The model's reply to the request's last visitor turn; ModelUnavailable when none.

        The draft is not checked here: `guarded_reply` runs the guard on it.
        """
        connector = self.model.connector
        prompt = build_prompt(request, self.table)
        try:
            async with asyncio.timeout(self.model.timeout_seconds):
                reply = await self.hub.generate_reply(connector, prompt)
        except TimeoutError:
            raise ModelUnavailable(
                connector, f"no reply within {self.model.timeout_seconds:g} s", retryable=True
            ) from None
        except ConnectorError as exc:
            retryable = exc.retryable if isinstance(exc, ApiError) else False
            raise ModelUnavailable(connector, exc.message, retryable=retryable) from exc
        if not reply.text.strip():
            raise ModelUnavailable(
                connector,
                f"the model answered an empty reply (finish reason {reply.finish_reason})",
                retryable=True,
            )
        return ModelDraft(
            text=reply.text,
            backend=f"{MODEL_BACKEND}{connector}",
            passages=_quoted(reply.text, request.passages),
            reply=reply,
        )


def configured_model(hub: Hub | None, table: AiConfig) -> ModelResponder | None:
    """The model responder when `[ai.model]` names one, else None (the built-in one answers).

    Raises HandoffError, naming the connector, when the table names a
    connector that is not enabled or cannot generate replies: a
    misconfiguration is said, not silently answered by another responder.
    """
    if table.model is None:
        return None
    if hub is None:
        raise HandoffError(
            f"[ai.model] connector '{table.model.connector}' is not enabled: no connector is"
        )
    return ModelResponder(hub, table)


@dataclass(frozen=True)
class GuardedReply:
    """What a conversation sends for one turn, and how it came about."""

    text: str
    """The reply to send: never a draft that broke a rule."""
    verdict: GuardVerdict
    """The guard's verdict on the candidate (the draft, or the offer of a human)."""
    draft: Draft | None
    """The responder's draft; None when the model was unavailable."""
    unavailable: ModelUnavailable | None = None
    """Why the model gave no draft; then `text` offers a human."""
    decision_id: int | None = None
    """The stored `ai.guard` decision, when a recorder was given."""

    @property
    def offers_human(self) -> bool:
        """True when the model gave no reply and the visitor is offered a person instead."""
        return self.unavailable is not None


Recorder = Callable[[str, GuardVerdict, str], int]
"""Stores a verdict: (visitor message, verdict, backend) -> decision id; blocking (a thread)."""


async def guarded_reply(
    responder: Responder,
    request: ReplyRequest,
    table: AiConfig,
    *,
    record: Recorder | None = None,
) -> GuardedReply:
    """Q6: draft a reply with `responder`, then the rules of engagement: what is sent.

    A draft that breaks a rule is replaced by the rule's fallback and never
    sent. A model that is unavailable (`ModelUnavailable`) gives the offer
    of a human (`[ai.model] unavailable_reply`, or the competitor fallback
    without a model table), which is guarded too. `record`, when given,
    stores the verdict (`ai.guard` decision) and its id is returned.
    """
    message = next((t.text for t in reversed(request.turns) if t.speaker == "visitor"), "")
    draft: Draft | None
    unavailable: ModelUnavailable | None = None
    try:
        draft = await responder.draft(request)
        candidate, backend = draft.text, draft.backend
    except ModelUnavailable as exc:
        draft, unavailable = None, exc
        candidate = table.model.unavailable_reply if table.model else table.fallback.competitor
        backend = f"model:{exc.connector} (unavailable)"
    approved = draft is None or not drafted_by_model(draft)
    verdict = check_reply(message, candidate, table, approved=approved)
    decision_id = (
        await asyncio.to_thread(record, message, verdict, backend) if record is not None else None
    )
    return GuardedReply(
        text=verdict.reply,
        verdict=verdict,
        draft=draft,
        unavailable=unavailable,
        decision_id=decision_id,
    )


def decision_recorder(store: Store, clock: Clock, conversation_id: str) -> Recorder:
    """A recorder storing each verdict as an `ai.guard` decision about the conversation.

    The same decision `POST /v1/ai/replies/check` stores (rule Q6, the
    candidate, what was sent, every rule's check), so `handoff explain
    conversation:<id>` shows a model's replaced reply and why.
    """

    def record(message: str, verdict: GuardVerdict, backend: str) -> int:
        outcome = {**verdict.outcome(), "backend": backend}
        explanation = {**verdict.explanation(), "message": message}
        with store.transaction() as session:
            return record_decision(
                session,
                DecisionSpec(
                    kind=GUARD_DECISION,
                    subject_type=SUBJECT,
                    subject_id=conversation_id,
                    outcome=outcome,
                    explanation=explanation,
                    rule_ids=("Q6",),
                ),
                now=clock.now(),
            )

    return record

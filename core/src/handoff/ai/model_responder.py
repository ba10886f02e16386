"""A model backend behind the `Responder` interface, and every reply guarded before it is sent.

`ModelResponder` drafts the AI rep's next reply with the model of the
connector named in `[ai.model]`: it builds the instructions (who the AI rep
speaks for, the rules of engagement in words from the `[ai]` table, the open
goals, the passages to quote) as a `ReplyPrompt` and awaits
`handoff_generate_reply` through the Hub, like any capability (the
connector's budget, retries, metrics). A model that fails after the
connector's retries, or takes longer than `timeout_seconds`, raises
`ModelUnavailable`, which the conversation turns into the offer of a human.

`draft_candidate(responder, request, table)` is how a conversation
(handoff.ai.conversations) gets the candidate reply for a turn from any
responder (this one, the built-in one): the draft, or (the model
unavailable) `unavailable_reply`, the offer of a human; never raising for a
model's failure. The conversation then runs the rules of engagement (Q6,
`handoff.ai.guard`) on the candidate and stores the turn with its verdict:
one path for every reply, model or not.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from handoff.ai.responder import (
    MODEL_BACKEND,
    Draft,
    Passage,
    ReplyRequest,
    Responder,
    drafted_by_model,
)
from handoff.errors import HandoffError
from handoff_sdk import ApiError, ConnectorError
from handoff_sdk.entities import ModelReply, ReplyPassage, ReplyPrompt, ReplyTurn

if TYPE_CHECKING:
    from handoff.ai.config import AiConfig
    from handoff.ai.model_config import ModelConfig
    from handoff.hub import Hub

__all__ = [
    "GOALS",
    "Candidate",
    "ModelDraft",
    "ModelResponder",
    "ModelUnavailable",
    "build_prompt",
    "draft_candidate",
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

        The draft is not checked here: the conversation runs the guard on it.
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


@dataclass(frozen=True)
class Candidate:
    """A turn's candidate reply, before the guard: the draft, or the offer of a human."""

    text: str
    """What would be sent if it breaks no rule."""
    backend: str
    """Who drafted it: `scorecard`, `builtin`, `model:<connector>`, or
    `model:<connector> (unavailable: <why>)` for the offer of a human."""
    approved: bool
    """False for a model's own draft (Q6: its comparisons need the offer of a human)."""
    draft: Draft | None = None
    """The responder's draft; None when the model was unavailable."""
    unavailable: ModelUnavailable | None = None
    """Why the model gave no draft; then `text` offers a human."""

    @property
    def offers_human(self) -> bool:
        """True when the model gave no reply and the visitor is offered a person instead."""
        return self.unavailable is not None


async def draft_candidate(
    responder: Responder, request: ReplyRequest, table: AiConfig, *, no_answer: str = ""
) -> Candidate:
    """The candidate reply to a turn from `responder`; the offer of a human when the model fails.

    A `ModelUnavailable` gives `[ai.model] unavailable_reply` (the competitor
    fallback without a model table); an empty draft gives `no_answer`. The
    caller runs the guard on the candidate (`check_reply(..., approved=...)`)
    before sending it: a conversation does, for every turn.
    """
    try:
        draft = await responder.draft(request)
    except ModelUnavailable as exc:
        text = table.model.unavailable_reply if table.model else table.fallback.competitor
        backend = f"model:{exc.connector} (unavailable: {exc.reason})"
        return Candidate(text=text, backend=backend, approved=True, unavailable=exc)
    return Candidate(
        text=draft.text.strip() or no_answer,
        backend=draft.backend,
        approved=not drafted_by_model(draft),
        draft=draft,
    )

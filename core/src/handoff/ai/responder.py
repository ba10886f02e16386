"""What drafts the AI rep's replies: the one interface its backends implement.

A conversation (Q5) asks a `Responder` for a draft; the rules of engagement
(Q6, `handoff.ai.guard`) then check that draft before anything is sent. Two
kinds of responder exist behind this interface:

- a model backend, reached through the connectors' reply-generation hook
  (OpenAI-compatible servers, Anthropic's Messages API);
- the built-in responder, which answers from the hub's own content index and
  Scorecard when no model is configured (what `make demo` and the sandbox use).

Keeping the types here, in plain frozen dataclasses, lets the conversation
code, the backends and the tests agree without importing one another.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

__all__ = [
    "MODEL_BACKEND",
    "Draft",
    "Passage",
    "ReplyRequest",
    "Responder",
    "Turn",
    "drafted_by_model",
]

Speaker = Literal["visitor", "ai", "rep"]

MODEL_BACKEND = "model:"
"""How a model's drafts name their backend: `model:<connector name>`."""


@dataclass(frozen=True)
class Turn:
    """One message of a conversation, by who said it."""

    speaker: Speaker
    text: str


@dataclass(frozen=True)
class Passage:
    """A piece of approved content the reply may quote: a page's passage or a Scorecard answer."""

    source: str
    """Where it comes from: the page's URL or path, or `scorecard:<id>`."""
    title: str
    text: str
    score: float = 0.0
    """Retrieval score, higher is better; comparable only within one retrieval."""


@dataclass(frozen=True)
class ReplyRequest:
    """Everything a responder may use to draft the next reply."""

    conversation_id: str
    turns: Sequence[Turn]
    """The conversation so far, oldest first; the last is the visitor's message to answer."""
    passages: Sequence[Passage] = ()
    """Retrieved content, best first."""
    goals: Sequence[str] = ()
    """The experience's goals still open (`book_meeting`, `route_to_rep`, `support`)."""
    rules: Sequence[str] = ()
    """The rules of engagement in words, for a model's instructions (the guard enforces them)."""


@dataclass(frozen=True)
class Draft:
    """A candidate reply, not yet checked by the guard."""

    text: str
    backend: str
    """Who drafted it: `builtin`, `scorecard`, or `model:<connector name>`."""
    passages: Sequence[Passage] = field(default_factory=tuple)
    """The passages the draft quotes or links."""


class Responder(Protocol):
    """Drafts the AI rep's next reply."""

    async def draft(self, request: ReplyRequest) -> Draft:
        """Return a candidate reply to the request's last visitor turn."""
        ...


def drafted_by_model(draft: Draft) -> bool:
    """Whether a draft is a model's own words rather than approved content (Q6).

    The rules of engagement let only the Scorecard and the indexed content
    compare the company with a competitor; a model's comparison must offer a
    human instead, so the guard needs to know who drafted.
    """
    return draft.backend.startswith(MODEL_BACKEND)

"""The built-in responder: the AI rep's replies with no model, from AI Studio's content (Q7).

What `make demo` and the sandbox use when no model is configured, and what
any deployment can use without sending a word to a model vendor. For the
visitor's last message, in this order:

1. **Scorecard**: a curated question that matches (the rule in
   `handoff.ai.studio.text`, similarity of stems at least 0.75) answers with
   its curated answer, and its link if it has one. Backend `scorecard`.
2. **Content**: the best indexed passage that holds enough of the question
   (at least `[ai.content] answer_coverage` of its stems, 0.5 by default,
   counting its title) is quoted, its best sentences at most `QUOTE_CHARS`
   long, and linked. Backend `builtin`, with the passage.
3. **Neither**: it says it has no answer and offers a human (`UNKNOWN`).
   Backend `builtin`, with no passage.

Its drafts are candidates like any model's: the conversation still runs the
rules of engagement (`handoff.ai.guard`) on them before anything is sent.
Passages the caller already retrieved (`ReplyRequest.passages`) are used
instead of searching again.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from handoff.ai.responder import Draft, Passage, ReplyRequest
from handoff.ai.studio.scorecard import match_question
from handoff.ai.studio.search import search_passages
from handoff.ai.studio.text import stems

if TYPE_CHECKING:
    from handoff.store import Store

__all__ = ["QUOTE_CHARS", "UNKNOWN", "BuiltinResponder", "quote_passage"]

QUOTE_CHARS = 320
"""Longest quote of a passage, in characters: a chat message, not the page."""

UNKNOWN = (
    "I don't have an answer to that on our site yet. "
    "Shall I connect you with someone from our team?"
)
"""The reply when neither the Scorecard nor the content answers: no guess, the offer of a human."""

CANDIDATES = 3
"""Passages read for a question: the first (best ranked) that covers enough of it is quoted."""

_SENTENCES = re.compile(r"(?<=[.!?])\s+")


def _coverage(asked: frozenset[str], passage: Passage) -> float:
    if not asked:
        return 0.0
    held = stems(f"{passage.title} {passage.text}")
    return len(asked & held) / len(asked)


def quote_passage(question: str, passage: Passage, limit: int = QUOTE_CHARS) -> str:
    """The passage's sentences that hold most of the question's words, in the passage's order.

    The best sentence first; then its neighbours while the quote stays under
    `limit` characters. A sentence longer than `limit` is cut at a word with "…".
    """
    sentences = [s.strip() for s in _SENTENCES.split(passage.text) if s.strip()]
    if not sentences:
        return ""
    asked = stems(question)
    scores = [len(asked & stems(s)) for s in sentences]
    best = max(range(len(sentences)), key=lambda i: (scores[i], -i))
    start = end = best
    length = len(sentences[best])
    while True:
        grown = False
        for candidate in (end + 1, start - 1):
            if 0 <= candidate < len(sentences) and (
                length + 1 + len(sentences[candidate]) <= limit
            ):
                length += 1 + len(sentences[candidate])
                start, end = min(start, candidate), max(end, candidate)
                grown = True
                break
        if not grown:
            break
    quote = " ".join(sentences[start : end + 1])
    if len(quote) > limit:
        cut = quote.rfind(" ", 0, limit - 1)
        quote = quote[: cut if cut > 0 else limit - 1].rstrip(" ,;:") + "…"
    return quote


class BuiltinResponder:
    """A `Responder` over the hub's Scorecard and content index: no model, no network."""

    def __init__(self, store: Store, *, coverage: float = 0.5) -> None:
        self.store = store
        self.coverage = coverage
        """Share of the question's stems a passage must hold to be quoted ([ai.content])."""

    async def draft(self, request: ReplyRequest) -> Draft:
        """The Scorecard's answer, else a quoted and linked passage, else the offer of a human."""
        question = next((t.text for t in reversed(request.turns) if t.speaker == "visitor"), "")
        return await asyncio.to_thread(self.draft_now, question, request.passages)

    def draft_now(self, question: str, retrieved: Sequence[Passage] = ()) -> Draft:
        """The same, synchronously: for callers already off the event loop (CLI, benchmarks)."""
        if not question.strip():
            return Draft(text=UNKNOWN, backend="builtin")
        with self.store.sessions() as session:
            match = match_question(session, question)
            if match is not None:
                entry = match.entry
                text = entry.answer if not entry.link else f"{entry.answer} {entry.link}"
                passage = Passage(
                    source=entry.source,
                    title=entry.question,
                    text=entry.answer,
                    score=match.similarity,
                )
                return Draft(text=text, backend="scorecard", passages=(passage,))
            found = list(retrieved) or search_passages(session, question, limit=CANDIDATES)
        asked = stems(question)
        for passage in found[:CANDIDATES]:
            if passage.source.startswith("scorecard:"):
                continue
            if _coverage(asked, passage) >= self.coverage:
                quote = quote_passage(question, passage)
                title = passage.title.replace("[", "(").replace("]", ")")
                text = f'From our site: "{quote}" More in [{title}]({passage.source})'
                return Draft(text=text, backend="builtin", passages=(passage,))
        return Draft(text=UNKNOWN, backend="builtin")

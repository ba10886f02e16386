"""Which goal a visitor's turn triggers (Q5). Pure: no I/O, no clock.

A goal triggers on its button (the widget sends the goal's id with the
message) or on one of its phrases in the message: whole words, any case,
hyphens and punctuation read as spaces. The support goal also triggers on
the `[ai] support_terms` that mark a support seeker for the rules of
engagement (Q6), so one list says who is a support seeker. Buttons win over
phrases; among phrases the order is support, Book a Meeting, Route to a
Rep. A disabled goal triggers on nothing. `[ai.conversations.goals]`
configures them (handoff.ai.conversation_config).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from handoff.ai.conversation_config import GoalId

if TYPE_CHECKING:
    from handoff.ai.config import AiConfig

__all__ = ["GOAL_ACTIONS", "GOAL_NAMES", "PHRASE_ORDER", "Trigger", "detect_goal"]

GOAL_NAMES: dict[GoalId, str] = {
    "book_meeting": "Book a Meeting",
    "route_to_rep": "Route to a Rep",
    "support": "Support",
}
"""Each goal's name as rule Q5 says it."""

GOAL_ACTIONS: dict[GoalId, str] = {
    "book_meeting": "find you a time with our team",
    "route_to_rep": "connect you with someone from our team",
    "support": "point you to support",
}
"""What happens once the email is given, for `email_for_goal`'s '{action}'."""

PHRASE_ORDER: tuple[GoalId, ...] = ("support", "book_meeting", "route_to_rep")
"""The order phrases are tried in: a support seeker is sent to support first (Q6)."""

_NON_WORD = re.compile(r"[^a-z0-9]+")


def _words(text: str) -> str:
    """Lower case, "n't" kept as one word, every run of other characters one space, padded."""
    return (
        " " + _NON_WORD.sub(" ", text.lower().replace("\u2019", "'").replace("'", "")).strip() + " "
    )


@dataclass(frozen=True)
class Trigger:
    """A goal the turn triggered, and what triggered it."""

    goal: GoalId
    how: str
    """`button`, `phrase` or `support_term`."""
    matched: str
    """The button's goal id, or the phrase found in the message."""

    def why(self) -> str:
        """The trigger in words, for the explanation."""
        name = GOAL_NAMES[self.goal]
        if self.how == "button":
            return f"the visitor pressed the {name} button"
        source = "a support term of [ai]" if self.how == "support_term" else f"a {name} phrase"
        return f"the message says '{self.matched}' ({source})"


def _found(words: str, phrases: list[str]) -> str | None:
    for phrase in phrases:
        wanted = _words(phrase)
        if wanted.strip() and wanted in words:
            return phrase
    return None


def detect_goal(message: str, button: GoalId | None, config: AiConfig) -> Trigger | None:
    """The goal this turn triggers, or None (the responder answers it)."""
    goals = config.conversations.goals
    if button is not None:
        return Trigger(button, "button", button) if goals.get(button).enabled else None
    words = _words(message)
    for goal in PHRASE_ORDER:
        table = goals.get(goal)
        if not table.enabled:
            continue
        phrase = _found(words, table.phrases)
        if phrase is not None:
            return Trigger(goal, "phrase", phrase)
        if goal == "support":
            term = _found(words, config.support_terms)
            if term is not None:
                return Trigger(goal, "support_term", term)
    return None

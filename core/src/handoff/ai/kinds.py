"""The names the AI flow stores things under: decision kinds and subjects.

Each is defined here once; another flow may import this module (and only
this one) to read the AI flow's decisions.
"""

from __future__ import annotations

__all__ = [
    "CONVERSATION_DECISION",
    "CONVERSATION_ENTITY",
    "DECISION_KINDS",
    "EMAIL_DECISION",
    "GOAL_DECISION",
    "GUARD_DECISION",
    "SUBJECT",
    "TURN_DECISION",
]

GUARD_DECISION = "ai.guard"
"""What the rules of engagement made of one candidate reply: sent as is, or replaced and by
which rule (Q6)."""

CONVERSATION_DECISION = "ai.conversation"
"""An AI conversation started: its experience and entry path, and what the visitor must give
first (Q5: "Connect with us" asks for a business email before the AI converses)."""

TURN_DECISION = "ai.turn"
"""One visitor message and the AI's reply: the responder's draft, the rules of engagement's
verdict on it, and what was sent (Q5, Q6)."""

EMAIL_DECISION = "ai.email"
"""A visitor's email accepted as a business email or refused (free-mail, disposable, not an
address), and why (Q5)."""

GOAL_DECISION = "ai.goal"
"""A goal's step in a conversation: triggered (by a button or an intent phrase), waiting for
the email, slots offered, meeting booked, routed to a rep, support link sent, failed (Q5).
A visitor offered slots who did not book has an `slots_offered` step and no `meeting_booked`
one (AI email, Q16, reads it through `handoff.ai.conversations.offered_not_booked`)."""

DECISION_KINDS = (
    GUARD_DECISION,
    CONVERSATION_DECISION,
    TURN_DECISION,
    EMAIL_DECISION,
    GOAL_DECISION,
)
"""Every decision kind the AI flow stores."""

SUBJECT = "conversation"
"""The subject type of its decisions: `conversation:<id>`, the chat the reply belongs to."""

CONVERSATION_ENTITY = "ai_conversation"
"""Entity type of an AI conversation's state (path, email, open goal, offered slots, turns)."""

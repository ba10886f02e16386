"""The names the AI flow stores things under: decision kinds and subjects.

Each is defined here once; another flow may import this module (and only
this one) to read the AI flow's decisions.
"""

from __future__ import annotations

__all__ = ["DECISION_KINDS", "GUARD_DECISION", "SUBJECT"]

GUARD_DECISION = "ai.guard"
"""What the rules of engagement made of one candidate reply: sent as is, or replaced and by
which rule (Q6)."""

DECISION_KINDS = (GUARD_DECISION,)
"""Every decision kind the AI flow stores."""

SUBJECT = "conversation"
"""The subject type of its decisions: `conversation:<id>`, the chat the reply belongs to."""

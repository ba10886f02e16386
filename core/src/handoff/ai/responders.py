"""Which Responder drafts the AI rep's replies in a running hub (Q5).

- `[ai.model]` configured: the model of that connector (`ModelResponder`,
  handoff.ai.model_responder), built on the hub's connectors the first time
  a reply is drafted (the hub exists once the server has started). A model
  that cannot answer raises `ModelUnavailable`; the conversation sends the
  offer of a human (`[ai.model] unavailable_reply`) instead.
- Otherwise the built-in responder over the hub's own content and Scorecard
  (`BuiltinResponder`, AI Studio, Q7): the Scorecard's answer, else a quoted
  passage, else the offer of a human.

`GoalsOnlyResponder` (it offers the goals, `[ai.conversations] no_answer`)
is kept for embedding the conversations without AI Studio's tables.

Every draft, whoever made it, is checked by the rules of engagement before
it is sent (handoff.ai.conversations).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from handoff.ai.builtin_responder import BuiltinResponder
from handoff.ai.model_responder import ModelResponder, ModelUnavailable
from handoff.ai.responder import Draft, ReplyRequest, Responder
from handoff.errors import HandoffError

if TYPE_CHECKING:
    from handoff.ai.config import AiConfig
    from handoff.flow import Services

__all__ = ["GoalsOnlyResponder", "HubModelResponder", "choose_responder"]


class GoalsOnlyResponder:
    """The reply when no model and no built-in responder is available: the goals offered."""

    backend = "goals-only"

    def __init__(self, text: str) -> None:
        self.text = text

    async def draft(self, request: ReplyRequest) -> Draft:
        """The configured `no_answer` text, whatever was asked."""
        del request
        return Draft(text=self.text, backend=self.backend)


class HubModelResponder:
    """The `[ai.model]` model, reached through the hub's connectors once they are built."""

    def __init__(self, services: Services, config: AiConfig) -> None:
        if config.model is None:
            raise ValueError("config.model: expected an [ai.model] table")
        self.services = services
        self.config = config
        self.connector = config.model.connector
        self._model: ModelResponder | None = None

    async def draft(self, request: ReplyRequest) -> Draft:
        """The model's draft; ModelUnavailable when the connector is missing or fails."""
        if self._model is None:
            hub = self.services.hub()
            if hub is None:
                raise ModelUnavailable(self.connector, "no connector is enabled", retryable=False)
            try:
                self._model = ModelResponder(hub, self.config)
            except HandoffError as exc:
                raise ModelUnavailable(self.connector, str(exc), retryable=False) from None
        return await self._model.draft(request)


def choose_responder(services: Services, config: AiConfig) -> Responder:
    """The responder of a running hub: the `[ai.model]` model's, else the built-in one."""
    if config.model is not None:
        return HubModelResponder(services, config)
    return BuiltinResponder(services.store, coverage=config.content.answer_coverage)

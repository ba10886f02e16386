"""The AI flow's EventHandler: the AI email campaigns' events decided in the worker (Q16, Q17).

It reads its own events (`hub.meeting_offered`, its timers, the leads
flow's report on each email) and two of other flows', by their public
names: a reply (`hub.lead_touch`, kind `reply`) and a booking in a
conversation (`hub.conversation_event`, kind `meeting_booked`). Nothing is
asked of a connector: `enrich` is the default (nothing).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from handoff.ai.config import AiConfig
from handoff.ai.followup import (
    follow_up_outcome,
    follow_up_response,
    follow_up_timer,
    meeting_offered,
)
from handoff.ai.kinds import CRM_CAMPAIGN_EVENT, EMAIL_OUTCOME, EMAIL_TIMER, MEETING_OFFERED
from handoff.ai.syndication import campaign_event
from handoff.chat.kinds import CONVERSATION_EVENT
from handoff.leads.kinds import LEAD_TOUCH
from handoff.runtime import EventHandler
from handoff.store import EventRecord

__all__ = ["AiHandler"]


class AiHandler(EventHandler):
    """Decides the AI email campaigns' steps (Q16)."""

    def __init__(self, config: AiConfig) -> None:
        self.config = config

    def decide(
        self, session: Session, event: EventRecord, context: dict[str, Any], now: datetime
    ) -> None:
        """One step of a follow-up, by the event's type."""
        email = self.config.email
        if email is None:
            return
        payload = event.payload
        company = email.company or self.config.company
        if event.type == MEETING_OFFERED:
            meeting_offered(session, email, event, now)
        elif event.type == EMAIL_TIMER:
            follow_up_timer(session, email, company, event, now)
        elif event.type == EMAIL_OUTCOME:
            follow_up_outcome(session, email, event, now)
        elif event.type == CRM_CAMPAIGN_EVENT:
            campaign_event(session, email, company, event, now)
        elif event.type == LEAD_TOUCH and payload.get("kind") == "reply":
            follow_up_response(
                session,
                email,
                conversation_id=None,
                email=str(payload.get("email") or ""),
                how="reply",
                event=event,
                now=now,
            )
        elif event.type == CONVERSATION_EVENT and payload.get("kind") == "meeting_booked":
            follow_up_response(
                session,
                email,
                conversation_id=str(payload.get("conversation_id") or ""),
                email=None,
                how="booking",
                event=event,
                now=now,
            )

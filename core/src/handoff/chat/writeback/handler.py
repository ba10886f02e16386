"""Write-back on the runtime (Q11): when a conversation ends, decide what it writes to the CRM."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from handoff.chat.kinds import CONVERSATION_EVENT, WRITEBACK_DECISION
from handoff.chat.writeback.config import WritebackConfig
from handoff.chat.writeback.conversation import ConversationData, load_conversation, text_of
from handoff.chat.writeback.plan import Person, record_writeback
from handoff.runtime import DecisionSpec, EventHandler, record_decision
from handoff.store import EventRecord, Store
from handoff_sdk import ApiError, ConnectorError
from handoff_sdk.entities import Contact, Lead, Rep

if TYPE_CHECKING:
    from handoff.hub import Hub

__all__ = ["WritebackHandler"]


class WritebackHandler(EventHandler):
    """When a conversation ends, write it back to the CRM (Q11, on the runtime).

    `enrich` (outside any transaction) reads the conversation from the store
    and asks the CRM who the email belongs to (`handoff_find_person`). A lookup
    that may pass later (a retryable API error, the network) raises, so the
    event is retried; one that cannot (refused, misconfigured) is stored as a
    decision that wrote nothing, with the reason: writing blind could turn a
    Contact's visitor into a duplicate Lead. `decide` stores the write-back
    decision and its job (`record_writeback`). Chats without an email are skipped.
    """

    def __init__(
        self,
        config: WritebackConfig,
        store: Store,
        *,
        reps: Sequence[Rep] = (),
        experiences: Sequence[Mapping[str, Any]] = (),
        on: Sequence[str] = ("ended",),
    ) -> None:
        self.config = config
        self.store = store
        self.reps = list(reps)
        self.experiences = list(experiences)
        self.on = tuple(on)

    def _load(self, conversation_id: str) -> ConversationData | None:
        with self.store.sessions() as session:
            return load_conversation(
                session, conversation_id, reps=self.reps, experiences=self.experiences
            )

    async def enrich(self, hub: Hub | None, event: EventRecord) -> dict[str, Any]:
        """The conversation's data and the CRM's Lead/Contact for its email."""
        payload = event.payload or {}
        if event.type != CONVERSATION_EVENT or payload.get("kind") not in self.on:
            return {}
        if hub is None or not self.config.enabled:
            return {}
        conversation_id = text_of(payload.get("conversation_id"))
        data = await asyncio.to_thread(self._load, conversation_id) if conversation_id else None
        if data is None or not data.email:
            return {}
        context: dict[str, Any] = {"data": data.model_dump(mode="json"), "person": None}
        crm = self.config.crm
        if crm not in hub.implementing("handoff_find_person"):
            context["skipped"] = f"'{crm}' is not an enabled connector that can find people"
            return {"writeback": context}
        try:
            person = await hub.find_person(crm, data.email)
        except ConnectorError as exc:
            if isinstance(exc, ApiError) and exc.retryable:
                raise  # a later attempt may answer: the event is retried
            context["skipped"] = f"{crm}: person lookup failed ({exc})"
            return {"writeback": context}
        if isinstance(person, Lead | Contact):
            entity = person.model_dump(mode="json")
            context["person"] = {"type": type(person).__name__, "entity": entity}
        return {"writeback": context}

    def decide(
        self, session: Session, event: EventRecord, context: dict[str, Any], now: datetime
    ) -> None:
        """Store the write-back decision and its job with the event."""
        if "writeback" not in context:
            return
        data = ConversationData.model_validate(context["writeback"]["data"])
        skipped = context["writeback"].get("skipped")
        if skipped:
            record_decision(
                session,
                DecisionSpec(
                    kind=WRITEBACK_DECISION,
                    subject_type="conversation",
                    subject_id=data.conversation_id,
                    outcome={"action": "none", "crm": self.config.crm, "person": None},
                    explanation={
                        "why": f"{skipped}; nothing written, since a Contact's visitor "
                        "must not become a duplicate Lead"
                    },
                    rule_ids=("Q11",),
                    event_id=event.id,
                ),
                now=now,
            )
            return
        found = context["writeback"].get("person")
        person: Person | None = None
        if found:
            model = Contact if found["type"] == "Contact" else Lead
            person = model.model_validate(found["entity"])
        record_writeback(
            session,
            data,
            person,
            self.config,
            now=now,
            event_id=event.id,
        )

"""What a conversation told the hub about the visitor (Q11), read from its stored events."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from handoff.chat.kinds import (
    AI_TAKEOVER_DECISION,
    CHAT_REQUEST,
    CONVERSATION_EVENT,
    ROUTING_DECISION,
)
from handoff.store import Decision, EventRecord
from handoff_sdk.entities import Rep

__all__ = ["CONVERSATION_FIELDS", "ConversationData", "load_conversation", "text_of"]

CONVERSATION_FIELDS: dict[str, str] = {
    "conversation_id": "The conversation's id.",
    "email": "The visitor's email.",
    "first_name": "First name the visitor gave.",
    "last_name": "Last name the visitor gave.",
    "name": "First and last name together.",
    "company": "Company the visitor gave.",
    "phone": "Phone number the visitor gave.",
    "title": "Job title the visitor gave.",
    "summary": "A summary of the conversation (from the AI rep or the chat tool).",
    "notes": "The rep's notes.",
    "transcript": "Every message, one a line: 'Visitor: ...' or '<rep>: ...'.",
    "rep_id": "The hub's id of the rep who had the conversation.",
    "rep_name": "That rep's name.",
    "rep_email": "That rep's email.",
    "rep_crm_id": "That rep's user id in the CRM (the routing rep's ids.<crm>), e.g. for OwnerId.",
    "utm_source": "utm_source (given, or read from page_url).",
    "utm_medium": "utm_medium (given, or read from page_url).",
    "utm_campaign": "utm_campaign (given, or read from page_url).",
    "utm_term": "utm_term (given, or read from page_url).",
    "utm_content": "utm_content (given, or read from page_url).",
    "source": "Where the conversation came from, e.g. 'Website Chat'.",
    "page_url": "The page the conversation started on.",
    "referrer": "The page before it.",
    "experience_id": "The chat experience's id.",
    "experience_name": "The chat experience's name.",
    "language": "The conversation's language.",
    "started_at": "When it was requested (ISO 8601).",
    "ended_at": "When it ended (ISO 8601).",
}
"""The conversation fields a mapping can write, with what each holds."""

_UTM = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")


class ConversationData(BaseModel):
    """Everything a conversation told the hub about the visitor, flat, by CONVERSATION_FIELDS.

    `name` and `rep_crm_id` are derived (from first/last name, and from
    `rep_ids[crm]`); UTM parameters missing here are read from `page_url`.
    """

    model_config = ConfigDict(extra="forbid")

    conversation_id: str = Field(min_length=1, description="The conversation's id.")
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    phone: str | None = None
    title: str | None = None
    summary: str | None = None
    notes: str | None = None
    transcript: str | None = None
    rep_id: str | None = None
    rep_name: str | None = None
    rep_email: str | None = None
    rep_ids: dict[str, str] = Field(
        default_factory=dict, description="The rep's user id in each system (salesforce, ...)."
    )
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    utm_term: str | None = None
    utm_content: str | None = None
    source: str | None = None
    page_url: str | None = None
    referrer: str | None = None
    experience_id: str | None = None
    experience_name: str | None = None
    language: str | None = None
    started_at: AwareDatetime | None = None
    ended_at: AwareDatetime | None = None

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip()
            return value or None
        return value

    @model_validator(mode="after")
    def _utm_from_page_url(self) -> ConversationData:
        if self.page_url and any(getattr(self, key) is None for key in _UTM):
            query = parse_qs(urlsplit(self.page_url).query)
            for key in _UTM:
                found = [v.strip() for v in query.get(key, []) if v.strip()]
                if getattr(self, key) is None and found:
                    setattr(self, key, found[0])
        return self

    def value(self, key: str, crm: str) -> str | None:
        """The text of one conversation field (a key of CONVERSATION_FIELDS), None when unknown."""
        if key == "name":
            return " ".join(p for p in (self.first_name, self.last_name) if p) or None
        if key == "rep_crm_id":
            return self.rep_ids.get(crm) or None
        if key not in CONVERSATION_FIELDS:
            raise KeyError(key)
        raw = getattr(self, key)
        if isinstance(raw, datetime):
            return raw.isoformat()
        return raw if isinstance(raw, str) else None


_VISITOR_KEYS = ("email", "first_name", "last_name", "company", "phone", "title", "referrer", *_UTM)
_TOP_LEVEL_KEYS = ("summary", "notes", "source")


def text_of(value: Any) -> str | None:
    """A payload value as trimmed text; None when it is not text or is blank."""
    return value.strip() or None if isinstance(value, str) else None


def _rep_from_decisions(session: Session, conversation_id: str) -> str | None:
    rows = session.scalars(
        select(Decision)
        .where(
            Decision.subject_type == "conversation",
            Decision.subject_id == conversation_id,
            Decision.kind.in_([ROUTING_DECISION, AI_TAKEOVER_DECISION]),
        )
        .order_by(Decision.id.desc())
    )
    for decision in rows:
        rep = (decision.outcome or {}).get("rep_id") or (decision.outcome or {}).get("rep")
        if isinstance(rep, str) and rep:
            return rep
    return None


def load_conversation(
    session: Session,
    conversation_id: str,
    *,
    reps: Sequence[Rep] = (),
    experiences: Sequence[Mapping[str, Any]] = (),
) -> ConversationData | None:
    """What the stored events say about one conversation (None when nothing is stored).

    - `hub.chat_request`: email, page_url (and the UTM parameters in it),
      experience, language, started_at;
    - `hub.conversation_event`: `message` texts make the transcript, the last
      `rep_joined` is the rep (else the latest routing decision's), `ended`
      gives ended_at;
    - any of them may carry a `visitor` object (email, first_name, last_name,
      company, phone, title, referrer, utm_*) and `summary`, `notes`, `source`
      (e.g. `record_conversation_event(..., "ended", details={"summary": ...})`);
      later events win.

    `reps` (routing's reps as entities) give the rep's name, email and CRM ids;
    `experiences` (the [[experiences]] tables) the experience's name.
    """
    rows = list(
        session.scalars(
            select(EventRecord)
            .where(
                EventRecord.subject_type == "conversation",
                EventRecord.subject_id == conversation_id,
                EventRecord.type.in_([CHAT_REQUEST, CONVERSATION_EVENT]),
            )
            .order_by(EventRecord.occurred_at, EventRecord.id)
        )
    )
    if not rows:
        return None
    found: dict[str, Any] = {"conversation_id": conversation_id}
    rep: str | None = None
    lines: list[tuple[str | None, str]] = []
    for row in rows:
        payload = row.payload or {}
        when = row.occurred_at or row.received_at
        if row.type == CHAT_REQUEST:
            found.setdefault("started_at", when)
            for key in ("email", "page_url", "experience_id", "language"):
                if text_of(payload.get(key)):
                    found[key] = text_of(payload[key])
        else:
            kind = payload.get("kind")
            who = text_of(payload.get("rep_id"))
            if kind == "rep_joined" and who:
                rep = who
            elif kind == "message" and text_of(payload.get("text")):
                lines.append((who, str(payload["text"]).strip()))
            elif kind == "ended":
                found["ended_at"] = when
        visitor = payload.get("visitor")
        if isinstance(visitor, Mapping):
            for key in _VISITOR_KEYS:
                if text_of(visitor.get(key)):
                    found[key] = text_of(visitor[key])
        for key in _TOP_LEVEL_KEYS:
            if text_of(payload.get(key)):
                found[key] = text_of(payload[key])
    rep = rep or _rep_from_decisions(session, conversation_id)
    known = {r.id: r for r in reps}
    if rep:
        found["rep_id"] = rep
        if rep in known:
            found.update(
                rep_name=known[rep].name, rep_email=known[rep].email, rep_ids=known[rep].ids
            )
    if lines:
        found["transcript"] = "\n".join(
            f"{(known[w].name if w in known else w) if w else 'Visitor'}: {text}"
            for w, text in lines
        )
    for table in experiences:
        if found.get("experience_id") and table.get("id") == found["experience_id"]:
            found["experience_name"] = text_of(table.get("name"))
    for key in ("started_at", "ended_at"):
        if isinstance(found.get(key), datetime) and found[key].tzinfo is None:
            found[key] = found[key].replace(tzinfo=UTC)
    return ConversationData.model_validate(found)

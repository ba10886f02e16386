"""The write-back decision (Q11): what a conversation writes, pure, then stored with its jobs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy.orm import Session

from handoff.chat.kinds import WRITEBACK_CONTACT_JOB, WRITEBACK_DECISION
from handoff.chat.writeback.config import Scalar, WritebackConfig
from handoff.chat.writeback.conversation import ConversationData
from handoff.errors import HandoffError
from handoff.runtime import DecisionSpec, JobSpec, record_decision
from handoff_sdk.entities import Contact, Lead

__all__ = [
    "Person",
    "WritebackError",
    "WritebackPlan",
    "plan",
    "record_writeback",
    "writeback_key",
]


class WritebackError(HandoffError):
    """A write-back cannot be planned (e.g. a Contact without an id in the configured CRM)."""


Person = Lead | Contact


@dataclass(frozen=True)
class WritebackPlan:
    """What a conversation writes and why: the jobs, plus the explanation stored with them."""

    action: Literal["upsert_lead", "update_contact", "none"]
    why: str
    values: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    jobs: list[JobSpec] = field(default_factory=list)


def _as_data(conversation_data: ConversationData | Mapping[str, Any]) -> ConversationData:
    if isinstance(conversation_data, ConversationData):
        return conversation_data
    return ConversationData.model_validate(dict(conversation_data))


def _cut(text: str, limit: int) -> str:
    marker = " [truncated]"
    return text if len(text) <= limit else text[: limit - len(marker)] + marker


def _mapped(
    data: ConversationData,
    mapping: dict[str, str],
    static: dict[str, Scalar],
    config: WritebackConfig,
) -> tuple[dict[str, Any], dict[str, str]]:
    """(CRM field -> value, CRM field -> where it came from); unknown values are left out."""
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for target, source in mapping.items():
        value = data.value(source, config.crm)
        if value is not None:
            values[target] = _cut(value, config.max_text_length)
            sources[target] = source
    for target, fixed in static.items():
        values[target] = fixed
        sources[target] = "static"
    return values, sources


def writeback_key(conversation_id: str, target: Literal["lead", "contact"]) -> str:
    """The idempotency key of a conversation's write-back job: one of each per conversation."""
    return f"writeback:{conversation_id}:{target}"


def plan(
    conversation_data: ConversationData | Mapping[str, Any],
    person_found: Person | None,
    config: WritebackConfig,
) -> WritebackPlan:
    """What one conversation writes to the CRM, from where, and why (Q11; pure: no I/O, no clock).

    A Contact -> update its mapped `contact_fields`; a Lead or nobody -> upsert
    the Lead with the mapped `lead_fields` (a new one also gets the
    placeholders for fields the CRM requires). Values the conversation does
    not have are not sent, so they never blank what the CRM holds. No email
    and nobody found -> no job. Keys are `writeback:<conversation>:lead|contact`.
    """
    data = _as_data(conversation_data)
    cid = data.conversation_id
    if not config.enabled:
        return WritebackPlan("none", "write-back is switched off ([writeback] enabled = false)")
    if isinstance(person_found, Contact):
        contact_id = person_found.ids.get(config.crm)
        if not contact_id:
            raise WritebackError(
                f"writeback: the contact {person_found.email!r} has no id in '{config.crm}' "
                f"(Contact.ids['{config.crm}']); found by another connector?"
            )
        values, sources = _mapped(data, config.contact_fields, config.contact_static, config)
        if not values:
            return WritebackPlan(
                "none", f"{person_found.email} is a Contact and no mapped field has a value"
            )
        contact = Contact(ids={config.crm: contact_id}, email=person_found.email, fields=values)
        job = JobSpec(
            kind=WRITEBACK_CONTACT_JOB,
            idempotency_key=writeback_key(cid, "contact"),
            connector=config.crm,
            payload={"contacts": [contact.model_dump(mode="json")]},
        )
        why = f"{person_found.email} is Contact {contact_id}: update its mapped fields"
        return WritebackPlan("update_contact", why, values, sources, [job])
    email = data.email or (person_found.email if person_found is not None else None)
    if not email:
        return WritebackPlan("none", "the visitor gave no email and is not in the CRM")
    values, sources = _mapped(data, config.lead_fields, config.lead_static, config)
    if person_found is None:
        for target, placeholder in config.lead_placeholders.items():
            if target not in values:
                values[target] = placeholder
                sources[target] = "placeholder"
        why = f"{email} is not in the CRM: create the Lead (upsert on its key)"
    else:
        lead_id = person_found.ids.get(config.crm)
        why = f"{email} is Lead {lead_id or '(no id)'}: update it (upsert on its key)"
    lead = Lead(email=email, fields=values)
    job = JobSpec.call(config.crm, "handoff_upsert_leads", writeback_key(cid, "lead"), leads=[lead])
    return WritebackPlan("upsert_lead", why, values, sources, [job])


def record_writeback(
    session: Session,
    conversation_data: ConversationData | Mapping[str, Any],
    person_found: Person | None,
    config: WritebackConfig,
    *,
    now: datetime,
    event_id: int | None = None,
) -> int:
    """Store the write-back decision (rule Q11) and its jobs in the caller's transaction."""
    data = _as_data(conversation_data)
    result = plan(data, person_found, config)
    person = None
    if person_found is not None:
        person = {
            "type": type(person_found).__name__.lower(),
            "id": person_found.ids.get(config.crm),
        }
    return record_decision(
        session,
        DecisionSpec(
            kind=WRITEBACK_DECISION,
            subject_type="conversation",
            subject_id=data.conversation_id,
            outcome={"action": result.action, "crm": config.crm, "person": person},
            explanation={"why": result.why, "fields": result.sources},
            rule_ids=("Q11",),
            event_id=event_id,
        ),
        now=now,
        jobs=result.jobs,
    )

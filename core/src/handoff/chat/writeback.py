"""Q11 CRM write-back: a conversation creates or updates the Lead, or updates the Contact.

What is written, and what the rep is shown, is configuration (`[writeback]`
in handoff.toml), not code:

    [writeback]
    crm = "salesforce"
    lead_fields = { Email = "email", LastName = "last_name", Chat_Summary__c = "summary" }
    contact_fields = { Title = "title", Last_Chat_Rep__c = "rep_crm_id" }
    lead_static = { LeadSource = "Website Chat" }
    shown_lead_fields = [{ label = "Name", field = "name" }, { label = "Status", field = "status" }]

Each mapping goes from a CRM field (its API name) to a conversation field
(`CONVERSATION_FIELDS`). `plan_writeback` is pure: given what the conversation
said and who the CRM already knows (`handoff_find_person`), it returns the
jobs to write with the decision (`record_writeback`), each with an
idempotency key made from the conversation id, so a replayed decision never
writes twice:

- the person is a Contact -> one `writeback.update_contact` job: the worker
  runs `contact_update_runner`, which calls the CRM connector's
  `update_contacts` method (the SDK has no contact-update hook);
- otherwise -> one `handoff_upsert_leads` hook job: the Lead is created, or
  updated when one has the email (the connector's upsert key).

`rep_view` gives the (label, value) pairs shown to the rep for a Lead or Contact.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qs, urlsplit

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from handoff.chat.conversations import CHAT_REQUEST, CONVERSATION_EVENT, ROUTING_DECISION_KINDS
from handoff.errors import ConfigFileError, HandoffError
from handoff.runtime import (
    ClaimedJob,
    DecisionSpec,
    EventHandler,
    JobFailedError,
    JobSpec,
    record_decision,
)
from handoff.store import Decision, EventRecord, Store
from handoff_sdk import ApiError, ConnectorError
from handoff_sdk.entities import Contact, Lead, Rep, WriteResult

if TYPE_CHECKING:
    from handoff.config import HubConfig
    from handoff.hub import Hub

__all__ = [
    "CONVERSATION_FIELDS",
    "WRITEBACK_CONTACT_KIND",
    "ConversationData",
    "ShownField",
    "WritebackConfig",
    "WritebackError",
    "WritebackHandler",
    "WritebackPlan",
    "contact_update_runner",
    "load_conversation",
    "load_writeback",
    "plan",
    "plan_writeback",
    "record_writeback",
    "rep_view",
    "writeback_key",
    "writeback_of",
]

WRITEBACK_CONTACT_KIND = "writeback.update_contact"
"""Job kind that updates one Contact through the CRM connector's `update_contacts` method."""

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
_API_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_API_PATH = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$")
_ENTITY_EXTRAS = ("ids", "fields")
_KEYED = re.compile(r"^(\[\d+\]\.field|[A-Za-z][A-Za-z0-9_]*): ")
_RETRYABLE_CODES = frozenset({"REQUEST_LIMIT_EXCEEDED", "UNABLE_TO_LOCK_ROW", "SERVER_UNAVAILABLE"})
"""Per-record failures that may pass on a later attempt; any other code is final."""


class WritebackError(HandoffError):
    """A write-back cannot be planned (e.g. a Contact without an id in the configured CRM)."""


# -- what a conversation said --------------------------------------------------------------


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


# -- the [writeback] table -------------------------------------------------------------------

Scalar = str | int | float | bool


class ShownField(BaseModel):
    """One line of what the rep sees about the person: a label and where its value comes from."""

    model_config = ConfigDict(extra="forbid")

    label: str = Field(min_length=1, max_length=100, description="What the rep reads, e.g. 'Tier'.")
    field: str = Field(
        min_length=1,
        description="'name', an attribute of the canonical Lead/Contact (email, company, title, "
        "phone, status, score, owner_id, ...), or a CRM field by API name (e.g. 'Rating').",
    )


def _person_attributes(model: type[Lead] | type[Contact]) -> tuple[str, ...]:
    return ("name", *(n for n in model.model_fields if n not in _ENTITY_EXTRAS))


def _check_shown(items: list[ShownField], model: type[Lead] | type[Contact]) -> list[ShownField]:
    known = _person_attributes(model)
    for index, item in enumerate(items):
        name = item.field.strip()
        # A lower-case name is one of ours; a CRM API name starts upper case or ends in __c.
        ours = name[:1].islower() and not name.endswith("__c")
        if ours and name not in known:
            raise ValueError(
                f"[{index}].field: '{name}' is not a {model.__name__} attribute "
                f"({', '.join(known)}); a CRM field is named by its API name, e.g. 'Rating'"
            )
        if not ours and not _API_PATH.match(name):
            raise ValueError(f"[{index}].field: '{name}' is not a CRM field API name")
    return items


def _check_mapping(mapping: dict[str, str]) -> dict[str, str]:
    for target, source in mapping.items():
        if not _API_NAME.match(target):
            raise ValueError(
                f"'{target}': not a CRM field API name "
                "(letters, digits and _, e.g. 'Chat_Summary__c')"
            )
        if source not in CONVERSATION_FIELDS:
            raise ValueError(
                f"{target}: '{source}' is not a conversation field; "
                f"one of: {', '.join(CONVERSATION_FIELDS)}"
            )
    return mapping


def _check_targets(values: dict[str, Scalar]) -> dict[str, Scalar]:
    for target in values:
        if not _API_NAME.match(target):
            raise ValueError(f"'{target}': not a CRM field API name (letters, digits and _)")
    return values


DEFAULT_LEAD_FIELDS: dict[str, str] = {
    "Email": "email",
    "FirstName": "first_name",
    "LastName": "last_name",
    "Company": "company",
    "Phone": "phone",
    "Title": "title",
}
DEFAULT_CONTACT_FIELDS: dict[str, str] = {"Phone": "phone", "Title": "title"}
DEFAULT_LEAD_PLACEHOLDERS: dict[str, Scalar] = {
    "LastName": "[not provided]",
    "Company": "[not provided]",
}


def _default_shown_lead() -> list[ShownField]:
    return [
        ShownField(label="Name", field="name"),
        ShownField(label="Email", field="email"),
        ShownField(label="Company", field="company"),
        ShownField(label="Title", field="title"),
        ShownField(label="Phone", field="phone"),
        ShownField(label="Lead status", field="status"),
    ]


def _default_shown_contact() -> list[ShownField]:
    return [
        ShownField(label="Name", field="name"),
        ShownField(label="Email", field="email"),
        ShownField(label="Title", field="title"),
        ShownField(label="Phone", field="phone"),
    ]


class WritebackConfig(BaseModel):
    """`[writeback]`: what a conversation writes to the CRM and what the rep is shown (Q11)."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(default=True, description="false keeps the mapping but writes nothing.")
    crm: str = Field(
        default="salesforce",
        min_length=1,
        description="The connector written to; the person's id is read from ids.<crm>.",
    )
    lead_fields: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_LEAD_FIELDS),
        description="Lead field API name -> conversation field, written on create and update.",
    )
    contact_fields: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_CONTACT_FIELDS),
        description="Contact field API name -> conversation field, written on update.",
    )
    lead_static: dict[str, Scalar] = Field(
        default_factory=dict,
        description="Lead fields set to a fixed value, e.g. { LeadSource = 'Website Chat' }.",
    )
    contact_static: dict[str, Scalar] = Field(
        default_factory=dict, description="Contact fields set to a fixed value on every update."
    )
    lead_placeholders: dict[str, Scalar] = Field(
        default_factory=lambda: dict(DEFAULT_LEAD_PLACEHOLDERS),
        description="Values for fields the CRM requires on a NEW lead when the visitor gave "
        "none (Salesforce requires LastName and Company); never sent to an existing lead.",
    )
    max_text_length: int = Field(
        default=32000,
        ge=100,
        le=131072,
        description="Longer values (a transcript) are cut to this many characters "
        "(32,000 fits a Salesforce Long Text Area's default).",
    )
    shown_lead_fields: list[ShownField] = Field(
        default_factory=_default_shown_lead,
        description="What the rep sees about a Lead, in order.",
    )
    shown_contact_fields: list[ShownField] = Field(
        default_factory=_default_shown_contact,
        description="What the rep sees about a Contact, in order.",
    )
    show_empty: bool = Field(
        default=False, description="true lists shown fields without a value too (as '')."
    )

    @field_validator("lead_fields", "contact_fields")
    @classmethod
    def _mappings(cls, value: dict[str, str]) -> dict[str, str]:
        return _check_mapping(value)

    @field_validator("lead_static", "contact_static", "lead_placeholders")
    @classmethod
    def _statics(cls, value: dict[str, Scalar]) -> dict[str, Scalar]:
        return _check_targets(value)

    @field_validator("shown_lead_fields")
    @classmethod
    def _shown_lead(cls, value: list[ShownField]) -> list[ShownField]:
        return _check_shown(value, Lead)

    @field_validator("shown_contact_fields")
    @classmethod
    def _shown_contact(cls, value: list[ShownField]) -> list[ShownField]:
        return _check_shown(value, Contact)

    @model_validator(mode="after")
    def _static_or_mapped(self) -> WritebackConfig:
        for kind in ("lead", "contact"):
            mapped: dict[str, str] = getattr(self, f"{kind}_fields")
            static: dict[str, Scalar] = getattr(self, f"{kind}_static")
            both = sorted(set(mapped) & set(static))
            if both:
                raise ValueError(
                    f"{kind}_static.{both[0]}: also in {kind}_fields; a field is either "
                    "mapped or fixed"
                )
        return self


def _format(error: ValidationError, where: str) -> str:
    parts = []
    for item in error.errors():
        loc = ".".join(str(p) for p in item["loc"])
        text = "unknown key" if item["type"] == "extra_forbidden" else item["msg"]
        text = text.removeprefix("Value error, ")
        if not loc:  # a whole-table check names its own key ("lead_static.X: ...")
            parts.append(f"{where}.{text}")
        elif _KEYED.match(text):  # a check inside a table names the entry ("LastName: ...")
            parts.append(f"{where}.{loc}{'' if text.startswith('[') else '.'}{text}")
        else:
            parts.append(f"{where}.{loc}: {text}")
    return "; ".join(parts)


def load_writeback(table: Mapping[str, Any], *, where: str = "writeback") -> WritebackConfig:
    """The `[writeback]` table validated; a bad value is a ConfigFileError naming its key."""
    try:
        return WritebackConfig.model_validate(dict(table))
    except ValidationError as exc:
        raise ConfigFileError(_format(exc, where)) from None


def writeback_of(config: HubConfig) -> WritebackConfig | None:
    """The hub's write-back config, or None when handoff.toml has no `[writeback]` table.

    Reads `HubConfig.writeback` (a raw table, like `routing`).
    """
    table = getattr(config, "writeback", None)
    if not table:
        return None
    prefix = f"{config.path}: " if config.path else ""
    try:
        return load_writeback(table)
    except ConfigFileError as exc:
        raise ConfigFileError(prefix + str(exc)) from None


# -- the plan --------------------------------------------------------------------------------

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
    """`plan_writeback` with its reasons: what would be written, from where, and why."""
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
            kind=WRITEBACK_CONTACT_KIND,
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


def plan_writeback(
    conversation_data: ConversationData | Mapping[str, Any],
    person_found: Person | None,
    mapping: WritebackConfig,
) -> list[JobSpec]:
    """Q11: the jobs that write one conversation to the CRM (pure; no I/O, no clock).

    A Contact -> update its mapped `contact_fields`; a Lead or nobody -> upsert
    the Lead with the mapped `lead_fields` (a new one also gets the
    placeholders for fields the CRM requires). Values the conversation does
    not have are not sent, so they never blank what the CRM holds. No email
    and nobody found -> no job. Keys are `writeback:<conversation>:lead|contact`.
    """
    return plan(conversation_data, person_found, mapping).jobs


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
            kind="writeback",
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


# -- what the rep sees -----------------------------------------------------------------------


def _display(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _person_value(person: Person, name: str) -> Any:
    if name == "name":
        return " ".join(p for p in (person.first_name, person.last_name) if p) or None
    if name in type(person).model_fields and name not in _ENTITY_EXTRAS:
        return getattr(person, name)
    return person.fields.get(name)


def rep_view(person: Person | None, mapping: WritebackConfig) -> list[tuple[str, str]]:
    """Q11: the (label, value) pairs shown to the rep about a Lead or Contact, in config order.

    Fields without a value are left out unless `show_empty`. A CRM field
    (by API name) is read from `person.fields`, so the connector must read it
    (for Salesforce: `lead_extra_fields` / `contact_extra_fields`).
    """
    if person is None:
        return []
    shown = (
        mapping.shown_contact_fields if isinstance(person, Contact) else mapping.shown_lead_fields
    )
    view: list[tuple[str, str]] = []
    for item in shown:
        text = _display(_person_value(person, item.field))
        if text or mapping.show_empty:
            view.append((item.label, text))
    return view


# -- the worker's side -----------------------------------------------------------------------


def _describe_failures(results: Sequence[WriteResult]) -> tuple[str, bool]:
    """(message, retryable) of the failed results."""
    parts: list[str] = []
    retryable = False
    for result in results:
        for error in result.errors or []:
            parts.append(f"{error.code or 'error'}: {error.message}")
            retryable = retryable or error.code is None or error.code in _RETRYABLE_CODES
    return "; ".join(parts) or "not written", retryable


def contact_update_runner(hub: Hub) -> Callable[[ClaimedJob], Awaitable[dict[str, Any] | None]]:
    """The worker's handler for WRITEBACK_CONTACT_KIND jobs: the connector updates the Contacts.

    Register it as `Worker(..., handlers={WRITEBACK_CONTACT_KIND: contact_update_runner(hub)})`.
    The connector must have an `update_contacts(contacts, idempotency_key)` method
    (Salesforce has). A refused contact fails the job for good (a validation rule
    will refuse it again) except for the codes a retry may get past.
    """

    async def run(job: ClaimedJob) -> dict[str, Any] | None:
        name = job.connector or ""
        connector = hub.connectors.get(name)
        if connector is None:
            raise JobFailedError(f"job {job.id}: connector '{name}' is not enabled", permanent=True)
        update = getattr(connector, "update_contacts", None)
        if update is None:
            raise JobFailedError(
                f"job {job.id}: connector '{name}' cannot update contacts "
                "(it has no update_contacts method)",
                permanent=True,
            )
        contacts = [Contact.model_validate(c) for c in job.payload.get("contacts", [])]
        results: list[WriteResult] = await update(
            contacts=contacts, idempotency_key=job.idempotency_key
        )
        failed = [r for r in results if not r.ok]
        if failed:
            message, retryable = _describe_failures(failed)
            raise JobFailedError(
                f"{name}: contact update refused: {message}", permanent=not retryable
            )
        return {"updated": [r.id for r in results]}

    return run


# -- reading a conversation from the store, and the event handler ------------------------------

_VISITOR_KEYS = ("email", "first_name", "last_name", "company", "phone", "title", "referrer", *_UTM)
_TOP_LEVEL_KEYS = ("summary", "notes", "source")


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _rep_from_decisions(session: Session, conversation_id: str) -> str | None:
    rows = session.scalars(
        select(Decision)
        .where(
            Decision.subject_type == "conversation",
            Decision.subject_id == conversation_id,
            Decision.kind.in_([*ROUTING_DECISION_KINDS, "routing.ai_takeover"]),
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
                if _text(payload.get(key)):
                    found[key] = _text(payload[key])
        else:
            kind = payload.get("kind")
            who = _text(payload.get("rep_id"))
            if kind == "rep_joined" and who:
                rep = who
            elif kind == "message" and _text(payload.get("text")):
                lines.append((who, str(payload["text"]).strip()))
            elif kind == "ended":
                found["ended_at"] = when
        visitor = payload.get("visitor")
        if isinstance(visitor, Mapping):
            for key in _VISITOR_KEYS:
                if _text(visitor.get(key)):
                    found[key] = _text(visitor[key])
        for key in _TOP_LEVEL_KEYS:
            if _text(payload.get(key)):
                found[key] = _text(payload[key])
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
            found["experience_name"] = _text(table.get("name"))
    for key in ("started_at", "ended_at"):
        if isinstance(found.get(key), datetime) and found[key].tzinfo is None:
            found[key] = found[key].replace(tzinfo=UTC)
    return ConversationData.model_validate(found)


class WritebackHandler(EventHandler):
    """Q11 on the runtime: when a conversation ends, write it back to the CRM.

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
        conversation_id = _text(payload.get("conversation_id"))
        data = await asyncio.to_thread(self._load, conversation_id) if conversation_id else None
        if data is None or not data.email:
            return {}
        context: dict[str, Any] = {"data": data.model_dump(mode="json"), "person": None}
        crm = self.config.crm
        if crm not in hub.implementing("handoff_find_person"):
            context["skipped"] = f"'{crm}' is not an enabled connector that can find people"
            return {"writeback": context}
        try:
            person = await hub.call("handoff_find_person", crm, email=data.email)
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
                    kind="writeback",
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

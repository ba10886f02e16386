"""The `[writeback]` table: what a conversation writes to the CRM and what the rep is shown."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from handoff.chat.writeback.conversation import CONVERSATION_FIELDS
from handoff_sdk.entities import Contact, Lead

__all__ = [
    "DEFAULT_CONTACT_FIELDS",
    "DEFAULT_LEAD_FIELDS",
    "DEFAULT_LEAD_PLACEHOLDERS",
    "PERSON_EXTRAS",
    "Scalar",
    "ShownField",
    "WritebackConfig",
]

_API_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_API_PATH = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$")
PERSON_EXTRAS = ("ids", "fields")
"""Lead/Contact attributes that hold other values, not one shown value."""

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
    return ("name", *(n for n in model.model_fields if n not in PERSON_EXTRAS))


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

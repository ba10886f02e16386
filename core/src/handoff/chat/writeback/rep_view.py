"""What the rep is shown about the visitor's Lead or Contact (Q11), as `[writeback]` says."""

from __future__ import annotations

from typing import Any

from handoff.chat.writeback.config import PERSON_EXTRAS, WritebackConfig
from handoff.chat.writeback.plan import Person
from handoff_sdk.entities import Contact

__all__ = ["rep_view"]


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
    if name in type(person).model_fields and name not in PERSON_EXTRAS:
        return getattr(person, name)
    return person.fields.get(name)


def rep_view(person: Person | None, mapping: WritebackConfig) -> list[tuple[str, str]]:
    """The (label, value) pairs shown to the rep about a Lead or Contact, in config order (Q11).

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

"""Marketo JSON to canonical entities and back: pure functions, no I/O.

Kept apart from the connector so each shape Marketo returns (a sync-leads
result array, a program with tags, an activity) is tested on its own, without
a transport.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from handoff_sdk import ConnectorError
from handoff_sdk.entities import Event, Lead, Program, WriteError, WriteResult

__all__ = [
    "ACTIVITY_TYPE_NAMES",
    "LEAD_FIELDS",
    "QUALIFIED_TAG_TYPE",
    "SignupPayloadError",
    "activity_to_event",
    "lead_to_marketo",
    "parse_marketo_datetime",
    "program_from_marketo",
    "qualified_programs",
    "signup_to_lead",
    "tags_to_dict",
    "upsert_results",
]

SYSTEM = "marketo"

LEAD_FIELDS: dict[str, str] = {
    "email": "email",
    "first_name": "firstName",
    "last_name": "lastName",
    "company": "company",
    "title": "title",
    "phone": "phone",
    "country": "country",
    "status": "leadStatus",
    "score": "leadScore",
    "source": "leadSource",
}
"""Canonical Lead attribute -> Marketo lead field (REST API name)."""

QUALIFIED_TAG_TYPE = "UsedWithQualified"
"""The program tag type rule Q13 reads."""

ACTIVITY_TYPE_NAMES: dict[int, str] = {
    1: "visit_webpage",
    2: "fill_out_form",
    3: "click_link",
    6: "send_email",
    7: "email_delivered",
    8: "email_bounced",
    9: "unsubscribe_email",
    10: "open_email",
    11: "click_email",
    12: "new_lead",
    13: "change_data_value",
    22: "change_score",
    24: "add_to_list",
    46: "interesting_moment",
    47: "request_campaign",
    145: "push_lead_to_marketo",
}
"""Marketo's standard activity type ids, named for event types (`marketo.activity.<name>`)."""


def lead_to_marketo(lead: Lead, lookup_field: str = "email") -> dict[str, Any]:
    """One record of a Sync Leads `input` array.

    Only fields that are set are sent, so an upsert never blanks a value
    Marketo already holds. `id` is sent only when it is the lookup field:
    Marketo refuses it with createOrUpdate. `lead.fields` carries other
    fields by their Marketo API name and wins over the canonical ones.
    """
    record: dict[str, Any] = {}
    for attribute, field in LEAD_FIELDS.items():
        value = getattr(lead, attribute)
        if value is None:
            continue
        if attribute == "score":
            value = round(value)  # leadScore is an integer field
        record[field] = value
    marketo_id = lead.id_in(SYSTEM)
    if lookup_field == "id" and marketo_id is not None:
        record["id"] = int(marketo_id) if marketo_id.isdigit() else marketo_id
    record.update(lead.fields)
    return record


def _reasons(item: Mapping[str, Any], status: object) -> list[WriteError]:
    reasons = item.get("reasons")
    errors = [
        WriteError(
            code=str(reason["code"]) if reason.get("code") is not None else None,
            message=str(reason.get("message") or "no message"),
        )
        for reason in (reasons if isinstance(reasons, list) else [])
        if isinstance(reason, dict)
    ]
    return errors or [WriteError(message=f"Marketo answered status {status!r} without a reason")]


def upsert_results(result: object, expected: int) -> list[WriteResult]:
    """One WriteResult per lead from a Sync Leads `result` array (same order as the input).

    `created` and `updated` are written; `skipped` (or anything else) failed,
    with Marketo's 1xxx reason codes. An array of the wrong length cannot be
    matched to the input, so every lead of the batch is reported failed.
    """
    if not isinstance(result, list) or len(result) != expected:
        count = len(result) if isinstance(result, list) else 0
        error = WriteError(
            message=f"Marketo answered {count} results for {expected} leads; "
            "the outcome of each lead is unknown"
        )
        return [WriteResult(index=i, ok=False, errors=[error]) for i in range(expected)]
    results: list[WriteResult] = []
    for index, item in enumerate(result):
        row = item if isinstance(item, dict) else {}
        status = row.get("status")
        marketo_id = str(row["id"]) if row.get("id") is not None else None
        if status in ("created", "updated"):
            results.append(
                WriteResult(index=index, ok=True, id=marketo_id, created=status == "created")
            )
        else:
            results.append(
                WriteResult(index=index, ok=False, id=marketo_id, errors=_reasons(row, status))
            )
    return results


def tags_to_dict(tags: object) -> dict[str, str]:
    """Marketo's `[{"tagType": ..., "tagValue": ...}]` as {tag type: tag value}."""
    out: dict[str, str] = {}
    for tag in tags if isinstance(tags, list) else []:
        if isinstance(tag, dict) and tag.get("tagType") and tag.get("tagValue") is not None:
            out[str(tag["tagType"])] = str(tag["tagValue"])
    return out


def qualified_programs(programs: list[Program]) -> list[Program]:
    """Q13: keep the programs tagged UsedWithQualified = True; untagged or false means hidden."""
    return [program for program in programs if program.used_with_qualified]


def program_from_marketo(item: Mapping[str, Any]) -> Program:
    """A program from the Asset API (browse, by id or by tag)."""
    return Program(
        ids={SYSTEM: str(item["id"])},
        name=str(item.get("name") or ""),
        channel=str(item["channel"]) if item.get("channel") else None,
        tags=tags_to_dict(item.get("tags")),
    )


_OFFSET = re.compile(r"([+-]\d{2})(\d{2})$")


def parse_marketo_datetime(value: object) -> datetime | None:
    """Marketo's datetimes: `...Z`, `...+0000`, and the Asset API's `...Z+0000`."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.endswith("Z+0000"):
        text = text[: -len("+0000")]
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    text = _OFFSET.sub(r"\1:\2", text)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def activity_to_event(item: Mapping[str, Any]) -> Event:
    """A lead activity (Get Lead Activities) as a hub event.

    The type is `marketo.activity.<name>` for the standard types
    (`marketo.activity.interesting_moment` for id 46) and
    `marketo.activity.type_<id>` for custom ones. `marketoGUID` is the
    activity's unique id (Marketo is replacing the integer `id` with it).
    """
    type_id = int(item.get("activityTypeId") or 0)
    guid = str(item.get("marketoGUID") or item.get("id") or "")
    attributes = {
        str(a["name"]): a.get("value")
        for a in item.get("attributes") or []
        if isinstance(a, dict) and "name" in a
    }
    payload: dict[str, Any] = {
        "marketo_guid": guid,
        "lead_id": str(item["leadId"]) if item.get("leadId") is not None else None,
        "activity_type_id": type_id,
        "primary_attribute_value": item.get("primaryAttributeValue"),
        "primary_attribute_value_id": item.get("primaryAttributeValueId"),
        "campaign_id": item.get("campaignId"),
        "attributes": attributes,
    }
    if item.get("fields"):
        payload["fields"] = item["fields"]
    name = ACTIVITY_TYPE_NAMES.get(type_id, f"type_{type_id}")
    return Event(
        type=f"marketo.activity.{name}",
        source=SYSTEM,
        dedupe_key=f"marketo:activity:{guid}",
        occurred_at=parse_marketo_datetime(item.get("activityDate")),
        payload=payload,
    )


class SignupPayloadError(ConnectorError):
    """A purchase/trial webhook payload cannot become a Marketo lead (rule D8)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(SYSTEM, f"signup payload field '{field}': {message}")
        self.field = field


_SIGNUP_KEYS: dict[str, tuple[str, ...]] = {
    "email": ("email", "emailaddress", "mail"),
    "first_name": ("firstname", "first", "givenname"),
    "last_name": ("lastname", "last", "surname", "familyname"),
    "company": ("company", "companyname", "organization", "organisation", "org"),
}


def _norm(key: str) -> str:
    return re.sub(r"[^a-z0-9]", "", key.lower())


def _flatten(payload: Mapping[str, Any]) -> dict[str, Any]:
    """Top-level keys first, then keys of nested objects (Recurly-style `account: {...}`)."""
    flat: dict[str, Any] = {}
    for key, value in payload.items():
        if not isinstance(value, Mapping):
            flat.setdefault(_norm(str(key)), value)
    for value in payload.values():
        if isinstance(value, Mapping):
            for key, inner in value.items():
                if not isinstance(inner, Mapping):
                    flat.setdefault(_norm(str(key)), inner)
    return flat


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def signup_to_lead(payload: Mapping[str, Any], *, source: str | None = None) -> Lead:
    """D8: a purchase or trial webhook's person (first name, last name, email, company) as a Lead.

    Webhook senders spell these keys differently (`first_name`, `firstName`,
    `First Name`, nested under `account`), so keys are matched loosely. The
    email is required: it is the key Marketo upserts on.
    """
    flat = _flatten(payload)
    found: dict[str, str | None] = {
        attr: next((t for k in keys if (t := _text(flat.get(k))) is not None), None)
        for attr, keys in _SIGNUP_KEYS.items()
    }
    email = found["email"]
    if email is None or "@" not in email or " " in email:
        raise SignupPayloadError("email", "missing or not an email address")
    first, last = found["first_name"], found["last_name"]
    full = _text(flat.get("name")) or _text(flat.get("fullname"))
    if first is None and last is None and full is not None:
        first, _, rest = full.partition(" ")
        last = rest.strip() or None
    return Lead(
        email=email,
        first_name=first,
        last_name=last,
        company=found["company"],
        source=source,
    )

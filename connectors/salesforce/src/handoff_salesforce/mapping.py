"""Pure functions between Salesforce JSON and handoff's canonical entities.

No I/O here: each function takes what the REST API returned (or what the hub
wants written) and gives back the other side, so each is tested on its own
against the shapes Salesforce really sends.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from handoff_sdk.entities import (
    Account,
    AccountUpdate,
    Case,
    Contact,
    CrmActivity,
    Lead,
    Opportunity,
    User,
    WriteError,
    WriteResult,
)

from .config import AccountFields

__all__ = [
    "ACCOUNT_ATTRIBUTES",
    "SYSTEM",
    "account_field_name",
    "account_query_fields",
    "case_to_record",
    "collection_results",
    "contact_update_to_record",
    "errors_from_body",
    "lead_to_record",
    "normalise_domain",
    "parse_datetime",
    "parse_limit_info",
    "record_to_account",
    "record_to_contact",
    "record_to_crm_user",
    "record_to_lead",
    "record_to_opportunity",
    "update_to_record",
]

SYSTEM = "salesforce"
"""Key of Salesforce ids in every entity's `ids`."""

_LIMIT_INFO = re.compile(r"(?:^|[\s,;])(per-app-)?api-usage=(\d+)/(\d+)")


def normalise_domain(value: str | None) -> str | None:
    """The bare web domain of a website, URL, domain or email: lower case, no scheme, no www.

    'HTTPS://www.Acme.example:443/en?x=1' and 'jo@acme.example' both give 'acme.example'.
    """
    if not value:
        return None
    text = value.strip().lower()
    if "://" in text:
        text = text.split("://", 1)[1]
    text = re.split(r"[/?#]", text, maxsplit=1)[0]
    text = text.rsplit("@", 1)[-1]  # user@host in a URL, or an email address
    text = text.split(":", 1)[0].strip().rstrip(".")
    if text.startswith("www."):
        text = text[4:]
    if not text or "." not in text or " " in text:
        return None
    return text


def _text(record: Mapping[str, Any], field: str | None) -> str | None:
    if not field:
        return None
    value = record.get(field)
    if value is None or value == "":
        return None
    return str(value)


def _number(record: Mapping[str, Any], field: str | None) -> float | None:
    value = record.get(field) if field else None
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _integer(record: Mapping[str, Any], field: str | None) -> int | None:
    number = _number(record, field)
    return int(number) if number is not None else None


def _path(record: Mapping[str, Any], path: str) -> Any:
    """A relationship path such as 'Owner.Name' read from nested query results."""
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def account_query_fields(fields: AccountFields, extra: Iterable[str] = ()) -> list[str]:
    """The configured custom fields and extras that an account query must select."""
    mapped = [
        fields.bdr_assigned,
        fields.status,
        fields.sector,
        fields.geo,
        fields.tier,
        fields.carr,
        fields.total_funding,
        fields.lam_dev_count,
        fields.segment,
        fields.domain,
    ]
    return [f for f in [*mapped, *extra] if f]


def record_to_account(
    record: Mapping[str, Any], fields: AccountFields, extra: Iterable[str] = ()
) -> Account:
    """An Account query row as the canonical Account, custom fields read by their config names."""
    website = _text(record, "Website")
    return Account(
        ids={SYSTEM: str(record["Id"])},
        name=str(record.get("Name") or ""),
        website=website,
        domain=normalise_domain(_text(record, fields.domain) or website),
        industry=_text(record, "Industry"),
        employee_count=_integer(record, "NumberOfEmployees"),
        country=_text(record, "BillingCountry"),
        state=_text(record, "BillingState"),
        geo=_text(record, fields.geo),
        sector=_text(record, fields.sector),
        account_type=_text(record, "Type"),
        status=_text(record, fields.status),
        owner_id=_text(record, "OwnerId"),
        owner_name=_path(record, "Owner.Name"),
        owner_email=_path(record, "Owner.Email"),
        segment=_text(record, fields.segment),
        modified_by=_path(record, "LastModifiedBy.Name"),
        modified_at=parse_datetime(record.get("LastModifiedDate")),
        bdr_assigned_id=_text(record, fields.bdr_assigned),
        carr=_number(record, fields.carr),
        total_funding=_number(record, fields.total_funding),
        lam_dev_count=_integer(record, fields.lam_dev_count),
        tier=_text(record, fields.tier),
        fields={name: _path(record, name) for name in extra},
    )


def parse_datetime(value: Any) -> datetime | None:
    """A Salesforce datetime (2026-01-05T09:30:00.000+0000) as an aware datetime, else None."""
    if not isinstance(value, str) or not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    text = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", text)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


ACCOUNT_ATTRIBUTES: dict[str, str] = {
    "id": "Id",
    "name": "Name",
    "industry": "Industry",
    "employee_count": "NumberOfEmployees",
    "country": "BillingCountry",
    "state": "BillingState",
    "account_type": "Type",
    "owner_id": "OwnerId",
    "owner_email": "Owner.Email",
    "website": "Website",
}
"""Canonical Account attributes held in standard fields, by their API names."""

_CONFIGURED = ("bdr_assigned", "status", "sector", "geo", "tier", "carr", "total_funding",
               "lam_dev_count", "segment", "domain")  # fmt: skip


def account_field_name(attribute: str, fields: AccountFields) -> str:
    """The API name of a canonical Account attribute, or of 'fields.<API name>'.

    Raises ValueError naming the setting when the attribute lives in a custom
    field the org has not configured (account_fields.<attribute>).
    """
    if attribute.startswith("fields."):
        name = attribute.removeprefix("fields.")
        if not re.match(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$", name):
            raise ValueError(f"{attribute!r} is not a field API name")
        return name
    if attribute in ACCOUNT_ATTRIBUTES:
        return ACCOUNT_ATTRIBUTES[attribute]
    if attribute == "bdr_assigned_id":
        attribute = "bdr_assigned"
    if attribute in _CONFIGURED:
        configured = getattr(fields, attribute)
        if not configured:
            raise ValueError(
                f"the account attribute '{attribute}' needs account_fields.{attribute} "
                "(the org's field API name) in [connectors.salesforce]"
            )
        return str(configured)
    raise ValueError(f"no Salesforce field for the account attribute '{attribute}'")


def record_to_contact(record: Mapping[str, Any], extra: Iterable[str] = ()) -> Contact:
    """A Contact query row as the canonical Contact; `extra` fields go to Contact.fields."""
    return Contact(
        ids={SYSTEM: str(record["Id"])},
        email=str(record.get("Email") or ""),
        first_name=_text(record, "FirstName"),
        last_name=_text(record, "LastName"),
        title=_text(record, "Title"),
        phone=_text(record, "Phone"),
        account_id=_text(record, "AccountId"),
        owner_id=_text(record, "OwnerId"),
        fields={name: _path(record, name) for name in extra},
    )


def record_to_lead(
    record: Mapping[str, Any], score_field: str | None = None, extra: Iterable[str] = ()
) -> Lead:
    """A Lead query row as the canonical Lead; `extra` fields go to Lead.fields."""
    return Lead(
        ids={SYSTEM: str(record["Id"])},
        email=str(record.get("Email") or ""),
        first_name=_text(record, "FirstName"),
        last_name=_text(record, "LastName"),
        company=_text(record, "Company"),
        title=_text(record, "Title"),
        phone=_text(record, "Phone"),
        country=_text(record, "Country"),
        status=_text(record, "Status"),
        score=_number(record, score_field),
        source=_text(record, "LeadSource"),
        owner_id=_text(record, "OwnerId"),
        fields={name: _path(record, name) for name in extra},
    )


def record_to_opportunity(record: Mapping[str, Any]) -> Opportunity:
    """An Opportunity query row as the canonical Opportunity (Z4)."""
    close = _text(record, "CloseDate")
    try:
        close_date = date.fromisoformat(close) if close else None
    except ValueError:
        close_date = None
    return Opportunity(
        ids={SYSTEM: str(record["Id"])},
        name=str(record.get("Name") or ""),
        account_id=_text(record, "AccountId"),
        type=_text(record, "Type"),
        stage=_text(record, "StageName"),
        close_date=close_date,
        amount=_number(record, "Amount"),
        is_closed=record.get("IsClosed") is True,
        owner_id=_text(record, "OwnerId"),
        owner_name=_path(record, "Owner.Name"),
    )


def _lower(value: Any) -> str | None:
    return str(value).lower() if value else None


def record_to_crm_user(record: Mapping[str, Any]) -> User:
    """A User query row as the canonical User, with the manager read through ManagerId."""
    return User(
        ids={SYSTEM: str(record["Id"])},
        name=str(record.get("Name") or ""),
        email=_lower(record.get("Email")),
        active=record.get("IsActive") is not False,
        title=_text(record, "Title"),
        role=_path(record, "UserRole.Name"),
        profile=_path(record, "Profile.Name"),
        manager_id=_text(record, "ManagerId"),
        manager_name=_path(record, "Manager.Name"),
        manager_email=_lower(_path(record, "Manager.Email")),
    )


def _sobject(kind: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """A collection record: `attributes` first (Salesforce rejects it later), no None values.

    Leaving None out means "don't touch": a lead re-sent without a phone keeps its phone.
    """
    record: dict[str, Any] = {"attributes": {"type": kind}}
    record.update({k: v for k, v in values.items() if v is not None})
    return record


def lead_to_record(lead: Lead, score_field: str | None = None) -> dict[str, Any]:
    """The Lead sObject that an upsert sends; `lead.fields` add to or override the mapping."""
    values: dict[str, Any] = {
        "Email": lead.email,
        "FirstName": lead.first_name,
        "LastName": lead.last_name,
        "Company": lead.company,
        "Title": lead.title,
        "Phone": lead.phone,
        "Country": lead.country,
        "Status": lead.status,
        "LeadSource": lead.source,
        "OwnerId": lead.owner_id,
    }
    if score_field:
        values[score_field] = lead.score
    values.update(lead.fields)
    return _sobject("Lead", values)


def contact_update_to_record(contact: Contact) -> dict[str, Any]:
    """The Contact sObject of an update collection: its id, the values set, then `fields`.

    Q11 write-back changes a Contact that already exists, so the record is
    addressed by its Salesforce id. The email is how the contact was found,
    not a change: it is sent only when `fields` names Email. Values left None
    are not sent, so they keep what the CRM has.

    Raises ValueError when the contact carries no Salesforce id.
    """
    record_id = contact.ids.get(SYSTEM)
    if not record_id:
        raise ValueError(
            f"the contact {contact.email!r} has no Salesforce id (Contact.ids['{SYSTEM}'])"
        )
    values: dict[str, Any] = {
        "id": record_id,
        "FirstName": contact.first_name,
        "LastName": contact.last_name,
        "Title": contact.title,
        "Phone": contact.phone,
        "AccountId": contact.account_id,
        "OwnerId": contact.owner_id,
    }
    values.update(contact.fields)
    return _sobject("Contact", values)


def update_to_record(update: AccountUpdate, fields: AccountFields) -> dict[str, Any]:
    """The Account sObject of an update collection; tier and status go to their config fields.

    Raises ValueError when the update sets tier or status but the org has no field for it.
    """
    values: dict[str, Any] = {"id": update.account_id}
    for attribute, field in (("tier", fields.tier), ("status", fields.status)):
        value = getattr(update, attribute)
        if value is None:
            continue
        if not field:
            raise ValueError(
                f"the update sets {attribute} but account_fields.{attribute} is not configured"
            )
        values[field] = value
    values.update(update.fields)
    return _sobject("Account", values)


def case_to_record(case: Case, trigger_field: str | None = None) -> dict[str, Any]:
    """The Case sObject to create; source becomes Origin (a picklist in the org)."""
    description = case.description
    if case.trigger and not trigger_field:
        description = "\n\n".join(p for p in (description, f"Trigger: {case.trigger}") if p)
    values: dict[str, Any] = {
        "Subject": case.subject,
        "Description": description,
        "AccountId": case.account_id,
        "ContactId": case.contact_id,
        "OwnerId": case.owner_id,
        "Origin": case.source,
        "Priority": case.priority,
        "Status": case.status,
    }
    if trigger_field:
        values[trigger_field] = case.trigger
    values.update(case.fields)
    return {k: v for k, v in values.items() if v is not None}


def errors_from_body(body: Any) -> list[WriteError]:
    """Salesforce errors as WriteErrors, from either shape it uses.

    Collections and sObject results carry `errors: [{statusCode, message, fields}]`;
    a refused request carries a top-level list `[{errorCode, message, fields?}]`.
    """
    items = body.get("errors") if isinstance(body, Mapping) else body
    out: list[WriteError] = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, Mapping):
            continue
        code = item.get("statusCode") or item.get("errorCode")
        fields = item.get("fields")
        out.append(
            WriteError(
                code=str(code) if code else None,
                message=str(item.get("message") or code or "unknown error"),
                fields=[str(f) for f in fields] if isinstance(fields, list) else [],
            )
        )
    return out


def collection_results(body: Any, size: int) -> list[WriteResult]:
    """One WriteResult per record of an sObject Collections answer, in request order.

    Raises ValueError when the answer is not a list of `size` results, since
    results are matched to records by position alone.
    """
    if not isinstance(body, list) or len(body) != size:
        got = len(body) if isinstance(body, list) else type(body).__name__
        raise ValueError(f"expected {size} collection results, got {got}")
    results: list[WriteResult] = []
    for index, raw in enumerate(body):
        item: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
        ok = item.get("success") is True
        created = item.get("created")
        results.append(
            WriteResult(
                index=index,
                ok=ok,
                id=str(item["id"]) if item.get("id") else None,
                created=created if isinstance(created, bool) and ok else None,
                errors=[] if ok else errors_from_body(item) or [WriteError(message="not written")],
            )
        )
    return results


def parse_limit_info(header: str | None) -> dict[str, tuple[int, int]]:
    """`Sforce-Limit-Info` as {'api-usage': (used, limit), 'per-app-api-usage': (...)}.

    Salesforce sends 'api-usage=45/15000' on REST responses, sometimes followed
    by ', per-app-api-usage=17/250(appName=...)' for apps with their own cap.
    """
    found: dict[str, tuple[int, int]] = {}
    for match in _LIMIT_INFO.finditer(header or ""):
        key = "per-app-api-usage" if match.group(1) else "api-usage"
        found[key] = (int(match.group(2)), int(match.group(3)))
    return found


def activity_records(
    activity: CrmActivity, who_id: str, is_contact: bool, key_field: str
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The Task (and the CampaignMember, when a campaign is named) recording a hub action (Q13).

    Both carry the activity's key in `key_field`, the External ID they are upserted on.
    """
    task = _sobject(
        "Task",
        {
            key_field: activity.key,
            "WhoId": who_id,
            "Subject": activity.subject[:255],
            "Description": activity.description,
            "ActivityDate": activity.occurred_at.date().isoformat(),
            "Status": "Completed",
        },
    )
    if not activity.campaign_id:
        return task, None
    member = _sobject(
        "CampaignMember",
        {
            key_field: activity.key,
            "CampaignId": activity.campaign_id,
            ("ContactId" if is_contact else "LeadId"): who_id,
            "Status": activity.campaign_status or "Responded",
        },
    )
    return task, member


def account_to_record(account: Account) -> dict[str, Any]:
    """The Account sObject of a create or update (D8): what is set, then `fields`."""
    values: dict[str, Any] = {
        "Name": account.name or None,
        "Website": account.website,
        "Industry": account.industry,
        "Type": account.account_type,
        "BillingCountry": account.country,
        "NumberOfEmployees": account.employee_count,
    }
    values.update(account.fields)
    return _sobject("Account", values)

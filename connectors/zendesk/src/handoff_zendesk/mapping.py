"""Zendesk Support JSON read into canonical entities, and entities written as Zendesk JSON.

Pure functions, no I/O, so every shape Zendesk is known to send is tested on
its own. The shapes worth knowing:

- A user (`/api/v2/users/search`) has one `name`, not first and last names;
  end-users and agents share the endpoint (`role`).
- A ticket's custom fields are a list of `{"id": ..., "value": ...}`, a checkbox
  field being `true`/`false` (the "Escalated to Sales" flag of rule Z6).
- Errors come in two shapes: `{"error": "RecordInvalid", "description": ...,
  "details": {field: [{"description": ...}]}}` for records, and
  `{"error": {"title": ..., "message": ...}}` for access problems; a 401 says
  `{"error": "Couldn't authenticate you"}`, and a 429 may be plain text.
- `create_many` answers with a job status whose `results` carry the `index`
  of each input and either its new `id` or an `error` and `details`.
- Webhooks are either Zendesk events (`"type": "zen:event-type:..."`, with an
  `id` that names the event) or a payload an admin wrote into a trigger.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from handoff_sdk.entities import (
    Case,
    Contact,
    Event,
    Ticket,
    TicketComment,
    TicketUpdate,
    WriteError,
    WriteResult,
)

__all__ = [
    "SOURCE",
    "TICKET_PRIORITIES",
    "TICKET_STATUSES",
    "case_to_ticket",
    "chunk_payloads",
    "comment_to_entity",
    "custom_field_value",
    "error_summary",
    "idempotency_tag",
    "job_write_results",
    "macro_changes",
    "parse_time",
    "split_name",
    "ticket_to_entity",
    "ticket_to_event",
    "update_changes",
    "user_emails",
    "user_to_contact",
    "webhook_events",
]

SOURCE = "zendesk"
"""The name events and ids carry for this system."""

TICKET_PRIORITIES = frozenset({"low", "normal", "high", "urgent"})
"""The priorities a ticket accepts."""

TICKET_STATUSES = frozenset({"new", "open", "pending", "hold", "solved", "closed"})
"""The statuses a ticket can be created or set with."""

_EVENT_PREFIX = "zen:event-type:"
_TICKET_EVENT_FIELDS = (
    "id",
    "subject",
    "status",
    "priority",
    "type",
    "requester_id",
    "submitter_id",
    "assignee_id",
    "organization_id",
    "group_id",
    "brand_id",
    "tags",
    "custom_fields",
    "created_at",
    "updated_at",
)


def parse_time(value: Any) -> datetime | None:
    """A Zendesk timestamp ('2026-01-05T08:59:30Z') as an aware datetime, or None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def split_name(name: Any) -> tuple[str | None, str | None]:
    """Zendesk keeps one name; the canonical person has first and last: split on the last space."""
    if not isinstance(name, str) or not name.strip():
        return None, None
    parts = name.strip().rsplit(" ", 1)
    if len(parts) == 1:
        return None, parts[0]
    return parts[0], parts[1]


def _id(value: Any) -> str | None:
    return str(value) if value not in (None, "", 0) else None


def user_to_contact(user: Mapping[str, Any]) -> Contact | None:
    """A Zendesk user as a canonical Contact (rule Q1); None for a user without an email."""
    email = user.get("email")
    if not isinstance(email, str) or not email:
        return None
    first, last = split_name(user.get("name"))
    fields: dict[str, Any] = {
        key: user[key]
        for key in ("role", "organization_id", "external_id", "tags", "active", "time_zone")
        if user.get(key) not in (None, "", [])
    }
    user_fields = user.get("user_fields")
    if isinstance(user_fields, Mapping) and user_fields:
        fields["user_fields"] = dict(user_fields)
    return Contact(
        ids={SOURCE: str(user["id"])} if user.get("id") is not None else {},
        email=email.lower(),
        first_name=first,
        last_name=last,
        phone=user.get("phone") or None,
        fields=fields,
    )


def case_to_ticket(case: Case) -> dict[str, Any]:
    """The `ticket` object that opens a Case (rules P4-P6, Z2).

    `Case.owner_id`, `contact_id` and `account_id` are CRM ids, so they are
    not Zendesk ids: put Zendesk's own (`requester_id`, `requester`,
    `assignee_id`, `group_id`, `organization_id`, `tags`, `custom_fields`,
    `type`, ...) in `Case.fields`, which is merged in last. Source and trigger
    are written under the description, where the agent reads them.
    """
    body = case.description or case.subject
    notes = [
        f"{label}: {value}"
        for label, value in (("Source", case.source), ("Trigger", case.trigger))
        if value
    ]
    if notes:
        body = body + "\n\n" + "\n".join(notes)
    ticket: dict[str, Any] = {"subject": case.subject, "comment": {"body": body}}
    if case.priority and case.priority.strip().lower() in TICKET_PRIORITIES:
        ticket["priority"] = case.priority.strip().lower()
    if case.status and case.status.strip().lower() in TICKET_STATUSES:
        ticket["status"] = case.status.strip().lower()
    ticket.update(case.fields)
    return ticket


def custom_field_value(ticket: Mapping[str, Any], field_id: int) -> Any:
    """The value of one custom field of a ticket (None when the ticket lacks it)."""
    for field in ticket.get("custom_fields") or ():
        if isinstance(field, Mapping) and field.get("id") == field_id:
            return field.get("value")
    return None


def ticket_to_event(ticket: Mapping[str, Any], escalated_field_id: int | None = None) -> Event:
    """A ticket from the incremental export as an Event: created, updated or deleted.

    The dedupe key is the ticket id with its `updated_at`, so one version of
    a ticket is one event however often it is exported. With the id of the
    "Escalated to Sales" checkbox, the payload says whether it is ticked (Z6).
    """
    status = ticket.get("status")
    created, updated = ticket.get("created_at"), ticket.get("updated_at")
    if status == "deleted":
        kind = "deleted"
    elif created is not None and created == updated:
        kind = "created"
    else:
        kind = "updated"
    payload = {key: ticket[key] for key in _TICKET_EVENT_FIELDS if key in ticket}
    via = ticket.get("via")
    if isinstance(via, Mapping) and via.get("channel"):
        payload["channel"] = via["channel"]
    if escalated_field_id is not None:
        payload["escalated_to_sales"] = custom_field_value(ticket, escalated_field_id) is True
    return Event(
        type=f"{SOURCE}.ticket.{kind}",
        source=SOURCE,
        dedupe_key=f"{SOURCE}:ticket:{ticket.get('id')}:{updated or created}",
        occurred_at=parse_time(updated) or parse_time(created),
        payload=payload,
    )


def webhook_events(body: bytes, headers: Mapping[str, str], signed_at: datetime) -> list[Event]:
    """A verified webhook as events.

    A Zendesk event (`type` "zen:event-type:ticket.created") becomes
    `zendesk.ticket.created`, deduplicated on the event's own `id`. A payload
    written into a trigger or automation becomes `zendesk.webhook`,
    deduplicated on what Zendesk signed: the signature's timestamp and the
    body. The invocation id header is not signed, so anyone replaying a
    captured delivery could change it; it is kept in the payload, never in
    the dedupe key.
    """
    try:
        data: Any = json.loads(body) if body else None
    except (ValueError, UnicodeDecodeError):
        data = None
    if isinstance(data, dict) and str(data.get("type", "")).startswith(_EVENT_PREFIX):
        kind = str(data["type"]).removeprefix(_EVENT_PREFIX)
        event_id = data.get("id") or hashlib.sha256(body).hexdigest()
        return [
            Event(
                type=f"{SOURCE}.{kind}",
                source=SOURCE,
                dedupe_key=f"{SOURCE}:event:{event_id}",
                occurred_at=parse_time(data.get("time")) or signed_at,
                payload={
                    key: data[key]
                    for key in ("account_id", "subject", "detail", "event", "zendesk_event_version")
                    if key in data
                },
            )
        ]
    lowered = {k.lower(): v for k, v in headers.items()}
    signed = lowered.get("x-zendesk-webhook-signature-timestamp", "").encode() + body
    key = f"signed:{hashlib.sha256(signed).hexdigest()}"
    payload = dict(data) if isinstance(data, dict) else {"body": body.decode("utf-8", "replace")}
    if lowered.get("x-zendesk-webhook-invocation-id"):
        payload.setdefault("invocation_id", lowered["x-zendesk-webhook-invocation-id"])
    if lowered.get("x-zendesk-webhook-id"):
        payload.setdefault("webhook_id", lowered["x-zendesk-webhook-id"])
    return [
        Event(
            type=f"{SOURCE}.webhook",
            source=SOURCE,
            dedupe_key=f"{SOURCE}:{key}",
            occurred_at=signed_at,
            payload=payload,
        )
    ]


def _details_text(details: Any) -> tuple[list[str], list[str]]:
    """Flatten RecordInvalid `details` into ('field: description', ...) and field names."""
    lines: list[str] = []
    fields: list[str] = []
    if isinstance(details, Mapping):
        for field, problems in details.items():
            fields.append(str(field))
            for problem in problems if isinstance(problems, list) else [problems]:
                text = problem.get("description") if isinstance(problem, Mapping) else problem
                if text:
                    lines.append(f"{field}: {text}")
    elif isinstance(details, str) and details:
        lines.append(details)
    return lines, fields


def error_summary(body: Any) -> tuple[str | None, str | None, list[str]]:
    """(code, message, fields at fault) from any of Zendesk's error bodies; Nones when not one."""
    if not isinstance(body, Mapping):
        return None, None, []
    error = body.get("error")
    if isinstance(error, Mapping):
        title = error.get("title")
        message = error.get("message") or title
        return (str(title) if title else None), (str(message) if message else None), []
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], Mapping):
        first = errors[0].get("code") or errors[0].get("title")
        texts = [str(e.get("detail") or e.get("title")) for e in errors if isinstance(e, Mapping)]
        return (str(first) if first else None), "; ".join(texts), []
    description = body.get("description") or body.get("message")
    lines, fields = _details_text(body.get("details"))
    code: str | None = None
    if isinstance(error, str) and error:
        if " " in error and not description:
            description = error  # "Couldn't authenticate you": a sentence, not a code
        else:
            code = error
    if not description and not lines and code is None:
        return None, None, []
    message = str(description or code)
    if lines:
        message = f"{message} ({'; '.join(lines)})"
    return code, message, fields


def job_write_results(job_status: Mapping[str, Any], size: int) -> list[WriteResult]:
    """One WriteResult per input of a finished create_many job, in input order.

    Results are matched on their `index` (position in the chunk). An input
    without a result failed with the job: its error says so, with the job's
    status and message, so nothing is reported written that was not.
    """
    by_index: dict[int, Mapping[str, Any]] = {}
    results = job_status.get("results")
    if isinstance(results, list):
        for position, item in enumerate(results):
            if isinstance(item, Mapping):
                index = item.get("index", position)
                if isinstance(index, int):
                    by_index[index] = item
    status = str(job_status.get("status") or "unknown")
    out: list[WriteResult] = []
    for index in range(size):
        item = by_index.get(index)
        if item is not None and item.get("id") is not None and not item.get("error"):
            out.append(WriteResult(index=index, ok=True, id=str(item["id"]), created=True))
            continue
        if item is not None and item.get("error"):
            error = WriteError(
                code=str(item["error"]),
                message=str(item.get("details") or item["error"]),
            )
        else:
            message = job_status.get("message") or "no result for this record"
            error = WriteError(
                code=f"job_{status}", message=f"job {job_status.get('id')} {status}: {message}"
            )
        out.append(WriteResult(index=index, ok=False, errors=[error]))
    return out


_MACRO_TICKET_FIELDS = (
    "status",
    "priority",
    "type",
    "subject",
    "assignee_id",
    "group_id",
    "brand_id",
    "ticket_form_id",
    "custom_status_id",
    "tags",
    "custom_fields",
)


def macro_changes(result: Mapping[str, Any]) -> dict[str, Any]:
    """The ticket update that applies a previewed macro (`result` of .../macros/{id}/apply).

    The preview is the whole ticket as the macro would leave it, plus the
    macro's comment rendered for this ticket. The update carries the fields a
    macro can change and the comment, as a safe update stamped with the
    ticket's `updated_at`, so Zendesk refuses it (409 UpdateConflict) if the
    ticket changed since the preview.
    """
    ticket = result.get("ticket")
    ticket = ticket if isinstance(ticket, Mapping) else {}
    changes: dict[str, Any] = {key: ticket[key] for key in _MACRO_TICKET_FIELDS if key in ticket}
    comment = result.get("comment")
    if isinstance(comment, Mapping):
        if comment.get("html_body"):
            changes["comment"] = {"html_body": comment["html_body"]}
        elif comment.get("body"):
            changes["comment"] = {"body": comment["body"]}
        if "comment" in changes:
            changes["comment"]["public"] = bool(comment.get("public", True))
    if ticket.get("updated_at"):
        changes["safe_update"] = True
        changes["updated_stamp"] = ticket["updated_at"]
    return changes


def chunk_payloads(items: Sequence[Case | Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Ticket objects for create_many: a Case is mapped, a mapping is sent as given."""
    return [case_to_ticket(item) if isinstance(item, Case) else dict(item) for item in items]


IDEMPOTENCY_TAG_PREFIX = "handoff_"
"""Tags a keyed update leaves on the ticket: Zendesk honours Idempotency-Key on creates only."""


def idempotency_tag(key: str) -> str:
    """The tag that marks a ticket as changed under `key` ('handoff_' + 16 hex digits).

    Zendesk keeps an Idempotency-Key for ticket creation only; an update sent
    again (a retried job) would apply a macro's reply twice. The tag travels
    with the update, so a second attempt finds it and writes nothing.
    """
    return IDEMPOTENCY_TAG_PREFIX + hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def user_emails(users: Any) -> dict[str, str]:
    """Sideloaded users (`include=users`) as {user id: lower-case email}."""
    found: dict[str, str] = {}
    for user in users if isinstance(users, list) else []:
        if isinstance(user, Mapping) and user.get("id") is not None and user.get("email"):
            found[str(user["id"])] = str(user["email"]).lower()
    return found


def _user_names(users: Any) -> dict[str, str]:
    return {
        str(u["id"]): str(u["name"])
        for u in (users if isinstance(users, list) else [])
        if isinstance(u, Mapping) and u.get("id") is not None and u.get("name")
    }


def ticket_to_entity(
    ticket: Mapping[str, Any],
    users: Any = None,
    escalated_field_id: int | None = None,
    agent_url: str | None = None,
) -> Ticket:
    """A Zendesk ticket (and the users sideloaded with it) as the canonical Ticket (Z2-Z6).

    Custom fields are kept by their id, as text keys; the requester's and
    assignee's emails come from the sideloaded users; with the id of the
    "Escalated to Sales" checkbox its value is read out (Z6).
    """
    emails = user_emails(users)
    names = _user_names(users)
    requester = _id(ticket.get("requester_id"))
    assignee = _id(ticket.get("assignee_id"))
    fields = {
        str(f["id"]): f.get("value")
        for f in ticket.get("custom_fields") or ()
        if isinstance(f, Mapping) and f.get("id") is not None
    }
    escalated: bool | None = None
    if escalated_field_id is not None:
        escalated = fields.get(str(escalated_field_id)) is True
    ident = ticket.get("id")
    return Ticket(
        ids={SOURCE: str(ident)} if ident is not None else {},
        subject=str(ticket.get("subject") or ""),
        status=ticket.get("status") or None,
        priority=ticket.get("priority") or None,
        requester_email=emails.get(requester or ""),
        requester_name=names.get(requester or ""),
        assignee_id=assignee,
        assignee_email=emails.get(assignee or ""),
        group_id=_id(ticket.get("group_id")),
        form_id=_id(ticket.get("ticket_form_id")),
        tags=[str(t) for t in ticket.get("tags") or []],
        fields=fields,
        escalated_to_sales=escalated,
        created_at=parse_time(ticket.get("created_at")),
        updated_at=parse_time(ticket.get("updated_at")),
        url=f"{agent_url}/agent/tickets/{ident}" if agent_url and ident is not None else None,
    )


def comment_to_entity(comment: Mapping[str, Any], emails: Mapping[str, str]) -> TicketComment:
    """One ticket comment (a public reply, or an internal note when `public` is false)."""
    author = _id(comment.get("author_id"))
    return TicketComment(
        id=str(comment.get("id")),
        author_id=author,
        author_email=emails.get(author or ""),
        public=comment.get("public") is not False,
        body=str(comment.get("plain_body") or comment.get("body") or ""),
        created_at=parse_time(comment.get("created_at")),
    )


def update_changes(
    update: TicketUpdate,
    *,
    assignee_id: int | None,
    escalated_field_id: int | None,
    mark: str,
) -> dict[str, Any]:
    """The `ticket` of a PUT that carries out a TicketUpdate, marked with its idempotency tag.

    `additional_tags` adds tags without touching the others; the note is a
    private comment (an internal note), so the requester never sees it.
    """
    changes: dict[str, Any] = {"additional_tags": [mark, *update.tags]}
    if assignee_id is not None:
        changes["assignee_id"] = assignee_id
    if update.escalated_to_sales is not None:
        if escalated_field_id is None:
            raise ValueError(
                "escalated_to_sales_field_id is not set: the 'Escalated to Sales' field is unknown"
            )
        changes["custom_fields"] = [{"id": escalated_field_id, "value": update.escalated_to_sales}]
    if update.note:
        changes["comment"] = {"body": update.note, "public": False}
    return changes

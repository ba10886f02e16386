"""Outreach JSON:API documents read into canonical entities and events.

Pure functions, no I/O, so every shape Outreach is known to send is tested on
its own. The shapes worth knowing:

- Every record is `{"type", "id", "attributes", "relationships", "links"}`;
  ids are JSON numbers. A list answer has `data: [...]`, `links.next` while
  more pages follow, and `included: [...]` for what `include=` asked for.
- In the REST API a to-one relationship is wrapped: `"mailbox": {"data":
  {"type": "mailbox", "id": 2}, "links": {...}}` (`"data": null` when unset).
  In webhook deliveries it is NOT: `"mailbox": {"type": "mailbox", "id": 2}`.
  `ref` reads both.
- A sequence state (`sequenceState`) ties a prospect to a sequence; its
  `state` is one of active, pending, paused, disabled, failed, bounced,
  opted_out, finished. Its `mailbox` is the mailbox the steps are sent from,
  and the mailbox belongs to a user (`attributes.userId`,
  `relationships.user`): that user is the rep running the sequence for this
  prospect. `creator` is the user who added the prospect.
- A webhook delivery is one record in `data` plus `meta.eventName`
  ("sequenceState.updated") and `meta.deliveredAt`. An `updated` delivery
  carries only the attributes that changed (sometimes none at all).
- Errors are `{"errors": [{"id": "validationError", "title": ..., "detail":
  ...}]}`; a refused token used to be answered with a bare text body
  ("Invalid access token"); a spent hourly limit says "please try again at
  2017-01-01T00:00:00" in its detail.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from handoff_sdk import parse_retry_after
from handoff_sdk.entities import Event, SequenceState

__all__ = [
    "DEFAULT_ACTIVE_STATES",
    "DEFAULT_OWNER_SOURCES",
    "EVENT_TYPE",
    "KNOWN_STATES",
    "SOURCE",
    "OwnerSource",
    "dedupe_key",
    "error_summary",
    "index_included",
    "matching_prospect_ids",
    "parse_time",
    "pick_state",
    "ref",
    "ref_id",
    "reset_seconds",
    "resolve_owner",
    "retry_after_from_detail",
    "to_sequence_state",
    "webhook_events",
]

SOURCE = "outreach"
"""The name events and ids carry for this system."""

EVENT_TYPE = "outreach.sequence_state.changed"
"""The event every sequenceState webhook delivery becomes."""

KNOWN_STATES = (
    "active",
    "pending",
    "paused",
    "disabled",
    "failed",
    "bounced",
    "opted_out",
    "finished",
)
"""The values of sequenceState.state that Outreach documents."""

DEFAULT_ACTIVE_STATES = ("active", "pending", "paused")
"""States that count as "being actively sequenced" (rule Q3a), most engaged first.

Outreach's own `activeSequenceStates` relationship means "not finished" and
also lists disabled, failed and bounced. Those are sequences that stopped
sending (the sequence was switched off, a step failed, the email bounced), so
no rep is working the person through them. pending (added, first step not
yet due) and paused (a rep paused it and can resume) keep the prospect with
the rep who runs the sequence, so a visitor in either goes to that rep.
"""

OwnerSource = Literal["mailbox", "creator"]

DEFAULT_OWNER_SOURCES: tuple[OwnerSource, ...] = ("mailbox", "creator")
"""Where the rep running a sequence state is read, first found wins."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TRY_AGAIN_AT = re.compile(
    r"try again at\s+(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)"
)


def parse_time(value: Any) -> datetime | None:
    """An Outreach timestamp ('2026-01-05T08:59:30.000Z') as an aware datetime, or None.

    A time without an offset is read as UTC.
    """
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _id(value: Any) -> str | None:
    if value is None or isinstance(value, bool) or value == "":
        return None
    return str(value)


def ref(relationship: Any) -> tuple[str, str] | None:
    """(type, id) of a to-one relationship, REST-wrapped (`{"data": {...}}`) or webhook-bare.

    None when the relationship is absent, `{"data": null}`, or a to-many list.
    """
    if not isinstance(relationship, Mapping):
        return None
    linkage: Any = relationship.get("data") if "data" in relationship else relationship
    if not isinstance(linkage, Mapping):
        return None
    kind, ident = linkage.get("type"), _id(linkage.get("id"))
    if not isinstance(kind, str) or ident is None:
        return None
    return kind, ident


def ref_id(record: Mapping[str, Any], name: str) -> str | None:
    """The id a record's relationship `name` points to, in either shape, or None."""
    relationships = record.get("relationships")
    if not isinstance(relationships, Mapping):
        return None
    found = ref(relationships.get(name))
    return found[1] if found else None


def _attributes(record: Mapping[str, Any]) -> Mapping[str, Any]:
    attributes = record.get("attributes")
    return attributes if isinstance(attributes, Mapping) else {}


def index_included(included: Iterable[Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """The `included` records of one or more pages, keyed by (type, id)."""
    index: dict[tuple[str, str], dict[str, Any]] = {}
    for record in included:
        if not isinstance(record, Mapping):
            continue
        kind, ident = record.get("type"), _id(record.get("id"))
        if isinstance(kind, str) and ident is not None:
            index[(kind, ident)] = dict(record)
    return index


def matching_prospect_ids(records: Iterable[Any], email: str) -> list[str]:
    """Ids of the prospects that really carry `email` (any case), in the order listed.

    The `filter[emails]` answer is checked rather than trusted: a filter the API
    ignored would list every prospect, and Q3a would route to a stranger's rep.
    """
    wanted = email.strip().lower()
    found: list[str] = []
    for record in records:
        if not isinstance(record, Mapping):
            continue
        emails = _attributes(record).get("emails")
        ident = _id(record.get("id"))
        if ident is None or not isinstance(emails, list):
            continue
        if any(isinstance(e, str) and e.strip().lower() == wanted for e in emails):
            found.append(ident)
    return found


def _state(record: Mapping[str, Any]) -> str:
    value = _attributes(record).get("state")
    return value.strip().lower() if isinstance(value, str) else ""


def _latest(record: Mapping[str, Any], *names: str) -> datetime:
    attributes = _attributes(record)
    times = [t for t in (parse_time(attributes.get(n)) for n in names) if t is not None]
    return max(times, default=_EPOCH)


def _numeric_id(record: Mapping[str, Any]) -> int:
    try:
        return int(str(record.get("id")))
    except ValueError:
        return 0


def pick_state(
    states: Iterable[Any], active_states: Sequence[str] = DEFAULT_ACTIVE_STATES
) -> dict[str, Any] | None:
    """The sequence state that says who is working this person, or None for none at all.

    Among the states in `active_states`, the one whose state comes first in
    that list wins (by default active over pending over paused), then the one
    active or changed most recently, then the newest id. When none is active,
    the most recently changed state is returned, so the caller can tell
    "finished last week" from "never sequenced".
    """
    records = [dict(s) for s in states if isinstance(s, Mapping)]
    if not records:
        return None
    order = [s.strip().lower() for s in active_states]
    active = [r for r in records if _state(r) in order]
    if active:
        return min(
            active,
            key=lambda r: (
                order.index(_state(r)),
                -_latest(r, "activeAt", "stateChangedAt", "updatedAt", "createdAt").timestamp(),
                -_numeric_id(r),
            ),
        )
    return max(
        records,
        key=lambda r: (_latest(r, "stateChangedAt", "updatedAt", "createdAt"), _numeric_id(r)),
    )


def _user_email(included: Mapping[tuple[str, str], Mapping[str, Any]], user_id: str) -> str | None:
    user = included.get(("user", user_id))
    email = _attributes(user).get("email") if user else None
    return email.strip().lower() if isinstance(email, str) and email.strip() else None


def resolve_owner(
    state: Mapping[str, Any],
    included: Mapping[tuple[str, str], Mapping[str, Any]],
    sources: Sequence[OwnerSource] = DEFAULT_OWNER_SOURCES,
) -> tuple[str | None, str | None]:
    """(user id, email) of the rep running a sequence state, from the first source that names one.

    `mailbox`: the user who owns the sending mailbox (`userId`, else its
    `user` relationship); the email is that user's when the user was
    included, else the mailbox's own address (a rep's mailbox is their work
    address). `creator`: the user who added the prospect, with the email of
    the included user record.
    """
    for source in sources:
        if source == "mailbox":
            mailbox_id = ref_id(state, "mailbox")
            mailbox = included.get(("mailbox", mailbox_id)) if mailbox_id else None
            if mailbox is None:
                continue
            user_id = _id(_attributes(mailbox).get("userId")) or ref_id(mailbox, "user")
            address = _attributes(mailbox).get("email")
            email = _user_email(included, user_id) if user_id else None
            if email is None and isinstance(address, str) and address.strip():
                email = address.strip().lower()
            if user_id or email:
                return user_id, email
        elif source == "creator":
            user_id = ref_id(state, "creator")
            if user_id:
                return user_id, _user_email(included, user_id)
    return None, None


def to_sequence_state(
    state: Mapping[str, Any],
    included: Mapping[tuple[str, str], Mapping[str, Any]],
    email: str,
    *,
    active_states: Sequence[str] = DEFAULT_ACTIVE_STATES,
    owner_sources: Sequence[OwnerSource] = DEFAULT_OWNER_SOURCES,
) -> SequenceState:
    """An Outreach sequence state as the canonical SequenceState of rule Q3a.

    `ids` holds the sequence state's id; the sequence name comes from the
    included sequence; `active` says whether the state is one of
    `active_states`.
    """
    sequence_id = ref_id(state, "sequence")
    sequence = included.get(("sequence", sequence_id)) if sequence_id else None
    name = _attributes(sequence).get("name") if sequence else None
    owner_id, owner_email = resolve_owner(state, included, owner_sources)
    current = _state(state)
    ident = _id(state.get("id"))
    return SequenceState(
        ids={SOURCE: ident} if ident else {},
        email=email.strip().lower(),
        sequence_name=name if isinstance(name, str) and name else None,
        state=current or "unknown",
        active=current in {s.strip().lower() for s in active_states},
        owner_email=owner_email,
        owner_id=owner_id,
    )


# -- errors and rate limits ------------------------------------------------------


def error_summary(body: Any) -> tuple[str | None, str | None]:
    """(first error id, "title: detail; ...") of a JSON:API error document, or (None, None)."""
    if not isinstance(body, Mapping):
        return None, None
    errors = body.get("errors")
    if not isinstance(errors, list) or not errors:
        return None, None
    code: str | None = None
    parts: list[str] = []
    for error in errors:
        if not isinstance(error, Mapping):
            continue
        if code is None and error.get("id") not in (None, ""):
            code = str(error["id"])
        title = str(error.get("title") or "").strip()
        detail = str(error.get("detail") or "").strip()
        pointer = (
            error.get("source", {}).get("pointer")
            if isinstance(error.get("source"), Mapping)
            else None
        )
        text = f"{title}: {detail}" if title and detail and detail != title else (detail or title)
        if pointer:
            text = f"{text} ({pointer})"
        if text:
            parts.append(text)
    return code, "; ".join(parts) or None


def retry_after_from_detail(message: str | None, now: datetime) -> float | None:
    """Seconds until the "please try again at <time>" of a spent-limit error, or None."""
    if not message:
        return None
    match = _TRY_AGAIN_AT.search(message)
    when = parse_time(match.group(1)) if match else None
    if when is None:
        return None
    return max(0.0, (when - now).total_seconds())


def reset_seconds(value: str | None, now: datetime) -> float | None:
    """Seconds until an X-RateLimit-Reset value: epoch seconds, seconds to wait, or an HTTP date."""
    if value is None or not value.strip():
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return parse_retry_after(value, now)
    if number > 1e11:  # epoch milliseconds
        number /= 1000
    if number > 1e9:  # epoch seconds
        return max(0.0, number - now.timestamp())
    return max(0.0, number)


# -- webhooks ------------------------------------------------------------------------


def dedupe_key(data: Mapping[str, Any], meta: Mapping[str, Any]) -> str:
    """The same key for every delivery of one change, a different one for each change.

    `outreach:<eventName>:<type>:<id>:<digest>`. The digest covers the record
    as delivered (the changed attributes and relationships), so a re-delivery
    of the same change dedupes while two changes in the same second do not.
    A delivery without `attributes.updatedAt` (sequenceState.advanced carries
    only the id) adds `meta.deliveredAt`, or two advances would share a key.
    """
    event_name = str(meta.get("eventName") or "unknown")
    kind = str(data.get("type") or "unknown")
    ident = _id(data.get("id")) or "unknown"
    material: dict[str, Any] = {"event": event_name, "data": data}
    if not _attributes(data).get("updatedAt"):
        material["deliveredAt"] = meta.get("deliveredAt")
    canonical = json.dumps(material, sort_keys=True, separators=(",", ":"), default=str)
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]
    return f"{SOURCE}:{event_name}:{kind}:{ident}:{digest}"


_RELATIONSHIP_FIELDS = {
    "prospect": "prospect_id",
    "sequence": "sequence_id",
    "mailbox": "mailbox_id",
    "sequenceStep": "sequence_step_id",
    "creator": "creator_id",
    "account": "account_id",
}


def _sequence_state_event(
    data: Mapping[str, Any], meta: Mapping[str, Any], active_states: Sequence[str]
) -> Event:
    event_name = str(meta.get("eventName") or "")
    action = event_name.split(".", 1)[1] if "." in event_name else event_name
    attributes = dict(_attributes(data))
    state = attributes.get("state")
    state = state.strip().lower() if isinstance(state, str) and state.strip() else None
    if state is None and action == "finished":
        state = "finished"
    active: bool | None
    if state is not None:
        active = state in {s.strip().lower() for s in active_states}
    elif action in ("finished", "destroyed"):
        active = False
    else:
        active = None  # an update that did not touch the state
    payload: dict[str, Any] = {
        "event_name": event_name,
        "action": action,
        "sequence_state_id": _id(data.get("id")),
        "state": state,
        "active": active,
        "attributes": attributes,
        "delivered_at": meta.get("deliveredAt"),
    }
    for name, field in _RELATIONSHIP_FIELDS.items():
        ident = ref_id(data, name)
        if ident is not None:
            payload[field] = ident
    occurred = (
        parse_time(attributes.get("stateChangedAt") if state else None)
        or parse_time(attributes.get("updatedAt"))
        or parse_time(attributes.get("createdAt"))
        or parse_time(meta.get("deliveredAt"))
    )
    return Event(
        type=EVENT_TYPE,
        source=SOURCE,
        dedupe_key=dedupe_key(data, meta),
        occurred_at=occurred,
        payload=payload,
    )


def webhook_events(
    body: bytes, active_states: Sequence[str] = DEFAULT_ACTIVE_STATES
) -> list[Event]:
    """The events in one (already verified) Outreach webhook delivery.

    A sequenceState delivery (created, updated, advanced, finished,
    destroyed) is one `outreach.sequence_state.changed` event; deliveries
    for other resources (prospect, mailing, task, ...) are acknowledged and
    give no event, since no rule acts on them.
    """
    try:
        document: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return []
    if not isinstance(document, Mapping):
        return []
    data, meta = document.get("data"), document.get("meta")
    if not isinstance(data, Mapping) or not isinstance(meta, Mapping):
        return []
    event_name = str(meta.get("eventName") or "")
    if data.get("type") != "sequenceState" and not event_name.startswith("sequenceState."):
        return []
    return [_sequence_state_event(data, meta, active_states)]

"""What a signal, a hand-off or a request by hand turns into (P4-P6): pure.

`match_signal` finds the `[[cases.signals]]` row an event belongs to (its
type, then its condition on the payload). `plan_case` builds the case (its
source and trigger, for the Pooled AE team) and its notifications from what
`enrich` found: the person, the account, the Pooled Sales User's id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from handoff.accounts.cases_config import CasesConfig, CaseSignal
from handoff_sdk.entities import Account, Case, Contact, Lead, Notification

__all__ = ["CasePlan", "describe_signal", "match_signal", "person_email", "plan_case"]


def person_email(payload: dict[str, Any]) -> str | None:
    """The email of whoever the event is about (forms, surveys, hand raises, PathFactory)."""
    for key in ("email", "respondent_email", "visitor_email"):
        value = payload.get(key)
        if isinstance(value, str) and "@" in value:
            return value.strip().lower()
    return None


def match_signal(
    settings: CasesConfig, event_type: str, payload: dict[str, Any]
) -> tuple[CaseSignal | None, list[str]]:
    """The signal row an event is (first match wins), and why each row tried did not match."""
    why: list[str] = []
    for signal in settings.signals:
        if event_type not in signal.events:
            continue
        condition = signal.condition()
        if condition is None:
            return signal, why
        matched, reason = condition.check(payload)
        if matched:
            return signal, why
        why.append(f"{signal.id}: {reason}")
    return None, why


def describe_signal(event_type: str, payload: dict[str, Any]) -> list[str]:
    """The lines of a case's description: what the person did, in their words where given."""
    lines: list[str] = []
    if event_type == "hub.form_submission":
        lines.append(f"Form {payload.get('form_id')} completed.")
        for key, value in sorted((payload.get("fields") or {}).items()):
            lines.append(f"{key}: {value}")
    elif "score" in payload or "survey_kind" in payload:
        name = payload.get("survey_name") or payload.get("survey_id") or payload.get("survey_kind")
        lines.append(f"Survey {name} answered, score {payload.get('score')}.")
        if payload.get("nps_category"):
            lines.append(f"NPS category: {payload['nps_category']}")
        if payload.get("comment"):
            lines.append(f"Comment: {payload['comment']}")
        for key, value in sorted((payload.get("answers") or {}).items()):
            lines.append(f"{key}: {value}")
    elif event_type == "pathfactory.fast_moving_buyer":
        lines.append(
            f"Consumed {payload.get('assets_consumed')} asset(s) in "
            f"{payload.get('engagement_minutes')} minute(s)."
        )
        lines += [f"- {a.get('title') or a.get('id')}" for a in payload.get("assets") or []]
    elif "product" in payload:
        lines.append(f"Hand raise in the product ({payload.get('product')}).")
        if payload.get("message"):
            lines.append(f"Message: {payload['message']}")
    for key in ("description", "message"):
        if payload.get(key) and not any(str(payload[key]) in line for line in lines):
            lines.append(str(payload[key]))
    return lines


@dataclass
class CasePlan:
    """A case to open and the notifications to send, or why none opens."""

    open: bool
    why: list[str]
    case: Case | None = None
    notifications: list[Notification] = field(default_factory=list)
    notify_rules: list[str] = field(default_factory=list)

    def outcome(self) -> dict[str, Any]:
        """The decision's outcome."""
        return {
            "action": "open" if self.open else "none",
            "case": self.case.model_dump(mode="json", exclude_none=True) if self.case else None,
            "notifications": [
                {"via": rule, **n.model_dump(mode="json", exclude_none=True, exclude_defaults=True)}
                for rule, n in zip(self.notify_rules, self.notifications, strict=True)
            ],
        }


def pooled_check(account: Account | None, owner_id: str | None, crm: str) -> tuple[bool, str]:
    """Whether the account is owned by the Pooled Sales User (P4), and why."""
    if account is None:
        return False, "no CRM account was found for the customer"
    if owner_id is None:
        return False, "the Pooled Sales User is not known (no [accounts.pool] or no such user)"
    name = account.name
    if account.owner_id == owner_id:
        return True, f"{name} is owned by the Pooled Sales User"
    return (
        False,
        f"{name} is owned by {account.owner_name or account.owner_id}, not the Pooled Sales User",
    )


def plan_case(
    settings: CasesConfig,
    *,
    source: str,
    trigger: str,
    subject: str,
    lines: list[str],
    person: Lead | Contact | None,
    account: Account | None,
    email: str | None,
    rules: list[Any],
    priority: str | None = None,
) -> CasePlan:
    """The case and its notifications (P4-P6)."""
    crm = settings.crm
    account_id = account.id_in(crm) if account else None
    contact_id = person.id_in(crm) if isinstance(person, Contact) else None
    who = " ".join(p for p in ((person.first_name, person.last_name) if person else ()) if p) or (
        email or "unknown"
    )
    description = "\n".join(
        [
            *lines,
            "",
            f"Source: {source}",
            f"Trigger: {trigger}",
            f"Customer: {who} <{email or '-'}>",
        ]
    )
    case = Case(
        subject=subject[:255],
        description=description,
        account_id=account_id,
        contact_id=contact_id,
        owner_id=settings.case_owner_id,
        source=source,
        trigger=trigger,
        priority=priority,
        status="New",
    )
    link = settings.link(contact_id or account_id)
    notifications: list[Notification] = []
    labels: list[str] = []
    company = account.name if account else "an unknown account"
    for rule in rules:
        text = f"{source} from {who} ({company}): {trigger}.\n" + "\n".join(lines)
        if rule.email:
            notifications.append(
                Notification(
                    recipients=[settings.contact_owner_inbox],
                    subject=f"{source}: {who} ({company})",
                    text=text,
                    link=link,
                )
            )
        else:
            mentions = []
            if rule.mention == "account_owner" and account and account.owner_email:
                mentions = [account.owner_email]
            notifications.append(
                Notification(channel=rule.slack, mentions=mentions, text=text, link=link)
            )
        labels.append(rule.label())
    why = [f"case for the {settings.team} team: {source} ({trigger})"]
    return CasePlan(True, why, case, notifications, labels)

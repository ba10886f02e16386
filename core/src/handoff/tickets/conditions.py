"""A ticket as the rules engine sees it: what a request is and why it escalates (Z3, Z5).

The conditions are the rules engine's (`handoff.rules`), checked on the
context `ticket_context` builds, so every decision can name what held and
what did not:

    fields.<id>   a custom field's value ("fields.360000000103" = 1200)
    tags.<tag>    true when the ticket has the tag ("tags.po_required")
    form_id, priority, status, subject
    segment       the account's segment (Z1), when the account is known
"""

from __future__ import annotations

from typing import Any

from handoff.rules.ordered import RuleCheck, check_rule, first_match
from handoff.tickets.config import EscalationReason, RequestType
from handoff_sdk.entities import Ticket

__all__ = ["check_reason", "request_kind", "ticket_context"]


def ticket_context(ticket: Ticket, segment: str | None = None) -> dict[str, Any]:
    """The context the conditions of request types and escalation reasons read."""
    return {
        "fields": dict(ticket.fields),
        "tags": {tag.strip().lower(): True for tag in ticket.tags},
        "form_id": ticket.form_id,
        "priority": ticket.priority,
        "status": ticket.status,
        "subject": ticket.subject,
        "segment": segment,
    }


def check_reason(reason: EscalationReason, ticket: Ticket, segment: str | None) -> RuleCheck:
    """Whether an escalation reason holds for this ticket and segment, and why."""
    return check_rule(reason, ticket_context(ticket, segment))


def request_kind(types: list[RequestType], ticket: Ticket) -> tuple[str | None, list[str]]:
    """The kind of sales request a ticket is (the first type whose condition holds).

    Returns the kind (None: not a sales request) and why, a line per type tried.
    The segment plays no part here: the account is not known yet.
    """
    found, checks = first_match(types, ticket_context(ticket))
    why = [f"{c.rule}: {'' if c.matched else 'not: '}{c.why}" for c in checks]
    return (found.kind if found else None), why

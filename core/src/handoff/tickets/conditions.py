"""Conditions on a ticket, checked with their reason: what a request is and why it escalates.

Pure: a condition, the ticket and the account's segment in; whether it holds
and a sentence saying why out, so every decision can name what held and what
did not (Z3, Z5).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from handoff.tickets.config import Condition, EscalationReason, RequestType
from handoff_sdk.entities import Ticket

__all__ = ["Check", "check", "check_reason", "request_kind"]


@dataclass(frozen=True)
class Check:
    """Whether a condition (or a reason) holds, and the sentence that says why."""

    holds: bool
    why: str


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(str(value).replace(",", "").replace("$", "").strip())
    except ValueError:
        return None


def _same(value: Any, option: Any) -> bool:
    if isinstance(value, str) and isinstance(option, str):
        return value.strip().lower() == option.strip().lower()
    if isinstance(value, bool) or isinstance(option, bool):
        return value is option
    left, right = _number(value), _number(option)
    return left is not None and left == right


def _empty(value: Any) -> bool:
    return value is None or value in ("", [])


def _field(condition: Condition, ticket: Ticket) -> Check:
    name = f"field {condition.field}"
    value = ticket.fields.get(condition.field or "")
    shown = repr(value) if not _empty(value) else "empty"
    if condition.in_ is not None:
        holds = any(_same(value, option) for option in condition.in_)
        return Check(holds, f"{name} is {shown}, {'' if holds else 'not '}in {condition.in_}")
    if condition.not_in is not None:
        if _empty(value):
            return Check(False, f"{name} is empty")
        holds = not any(_same(value, option) for option in condition.not_in)
        return Check(holds, f"{name} is {shown}, {'not ' if holds else ''}in {condition.not_in}")
    if condition.above is not None:
        number = _number(value)
        if number is None:
            return Check(False, f"{name} is {shown}, not a number")
        holds = number > condition.above
        verdict = "above" if holds else "not above"
        return Check(holds, f"{name} is {number:g}, {verdict} {condition.above:g}")
    if condition.checked is not None:
        holds = (value is True) == condition.checked
        state = "ticked" if value is True else "not ticked"
        return Check(holds, f"{name} is {state}")
    if condition.present is not None:
        holds = (not _empty(value)) == condition.present
        return Check(holds, f"{name} is {shown}")
    other = ticket.fields.get(condition.below_field or "")
    number, limit = _number(value), _number(other)
    if number is None or limit is None:
        return Check(
            False, f"{name} ({shown}) or field {condition.below_field} ({other!r}) is no number"
        )
    holds = number < limit
    verdict = "below" if holds else "not below"
    return Check(
        holds, f"{name} is {number:g}, {verdict} field {condition.below_field} ({limit:g})"
    )


def check(condition: Condition, ticket: Ticket, segment: str | None) -> Check:
    """Whether one condition holds for this ticket (and the account's segment), and why."""
    if condition.field is not None:
        return _field(condition, ticket)
    if condition.tag is not None:
        holds = condition.tag.lower() in {t.lower() for t in ticket.tags}
        return Check(holds, f"tag {condition.tag} is {'' if holds else 'not '}on the ticket")
    if condition.form is not None:
        holds = ticket.form_id == condition.form
        return Check(
            holds, f"form is {ticket.form_id or 'none'}, {'' if holds else 'not '}{condition.form}"
        )
    if condition.segment_in is not None:
        holds = segment in condition.segment_in
        return Check(
            holds,
            f"segment is {segment or 'unknown'}, "
            f"{'' if holds else 'not '}in {condition.segment_in}",
        )
    excluded = condition.segment_not_in or []
    holds = segment is not None and segment not in excluded
    if segment is None:
        return Check(False, "segment is unknown")
    return Check(holds, f"segment is {segment}, {'not ' if holds else ''}in {excluded}")


def check_reason(reason: EscalationReason, ticket: Ticket, segment: str | None) -> Check:
    """Whether an escalation reason holds (all its conditions), with each condition's why."""
    checks = [check(c, ticket, segment) for c in reason.when]
    holds = all(c.holds for c in checks)
    return Check(holds, f"{reason.label}: " + "; ".join(c.why for c in checks))


def request_kind(types: list[RequestType], ticket: Ticket) -> tuple[str | None, list[str]]:
    """The kind of sales request a ticket is (first type any of whose conditions holds).

    Returns the kind (None: not a sales request) and why, a line per type tried.
    Segments play no part here: the account is not known yet.
    """
    why: list[str] = []
    for request in types:
        checks = [check(c, ticket, None) for c in request.when_any]
        held = [c.why for c in checks if c.holds]
        if held:
            why.append(f"{request.kind}: {held[0]}")
            return request.kind, why
        why.append(f"not {request.kind}: " + "; ".join(c.why for c in checks))
    return None, why

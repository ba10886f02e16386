"""The daily review of escalated tickets (Z6): ping, wait, or drop out, and why. Pure.

A ticket leaves the queue when it is solved or closed, when its "Escalated to
Sales" box is unticked, or when the rep has answered since it was
escalated. Otherwise it gets a Slack ping (#sales for new business,
#account-management for renewals) when it is urgent, or when the rep has
not answered within `unanswered_after_hours`; from the second ping on the
rep's manager is copied.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from handoff.tickets.config import TicketsConfig
from handoff.tickets.kinds import NEW_BUSINESS
from handoff_sdk.entities import Notification, Ticket, TicketComment

__all__ = ["DROPPED", "IN_QUEUE", "FollowUpPlan", "review_ticket"]

FollowUpAction = Literal["ping", "waiting", "answered", "closed", "unchecked"]

IN_QUEUE = frozenset({"ping", "waiting"})
"""Outcomes that keep a ticket in the follow-up queue."""
DROPPED = frozenset({"answered", "closed", "unchecked"})
"""Outcomes that take it out."""

_CLOSED = frozenset({"solved", "closed", "deleted"})


@dataclass(frozen=True)
class FollowUpPlan:
    """What the review does about one ticket, and the explanation stored with it."""

    action: FollowUpAction
    ping: int | None = None
    notification: Notification | None = None
    explanation: dict[str, Any] = field(default_factory=dict)

    def outcome(self, ticket: Ticket, kind: str, since: datetime) -> dict[str, Any]:
        """The decision's outcome: the action and what the queue shows about the ticket."""
        return {
            "action": self.action,
            "ping": self.ping,
            "kind": kind,
            "subject": ticket.subject,
            "priority": ticket.priority,
            "status": ticket.status,
            "rep_email": ticket.assignee_email,
            "escalated_since": since.isoformat(),
            "url": ticket.url,
            "channel": self.notification.channel if self.notification else None,
            "mentions": self.notification.mentions if self.notification else [],
        }


def _answered(ticket: Ticket, comments: list[TicketComment], since: datetime) -> str | None:
    """When the rep (the assignee) last wrote on the ticket after `since`, as text; or None."""
    rep_id, rep_email = ticket.assignee_id, ticket.assignee_email
    if rep_id is None and rep_email is None:
        return None
    for comment in reversed(comments):
        by_rep = (rep_id is not None and comment.author_id == rep_id) or (
            rep_email is not None and comment.author_email == rep_email
        )
        if by_rep and comment.created_at is not None and comment.created_at >= since:
            return comment.created_at.isoformat()
    return None


def _age(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours / 24:.1f} days" if hours >= 48 else f"{hours:.0f} hours"


def review_ticket(
    ticket: Ticket,
    comments: list[TicketComment],
    *,
    kind: str | None,
    since: datetime,
    pings_so_far: int,
    manager_email: str | None,
    now: datetime,
    settings: TicketsConfig,
) -> FollowUpPlan:
    """Decide one escalated ticket at the daily review (Z6)."""
    kind = kind or NEW_BUSINESS
    status = (ticket.status or "").lower()
    if status in _CLOSED:
        return FollowUpPlan(
            "closed",
            explanation={
                "summary": f"dropped out: the ticket is {status}",
                "matched": "Z6: solved or closed tickets leave the queue",
                "not_matched": [],
                "counterfactual": "an open ticket would be pinged if unanswered",
            },
        )
    if ticket.escalated_to_sales is False:
        return FollowUpPlan(
            "unchecked",
            explanation={
                "summary": "dropped out: 'Escalated to Sales' is no longer ticked",
                "matched": "Z6: the queue is the tickets with the box ticked",
                "not_matched": [],
                "counterfactual": "ticking the box again puts it back in the queue",
            },
        )
    answered_at = _answered(ticket, comments, since)
    if answered_at is not None:
        return FollowUpPlan(
            "answered",
            explanation={
                "summary": f"dropped out: the rep answered at {answered_at}",
                "matched": "Z6: a ticket the rep answered needs no ping",
                "not_matched": [],
                "counterfactual": "without that answer it would be pinged",
            },
        )
    follow = settings.follow_up
    urgent = (ticket.priority or "").lower() in follow.urgent_priorities
    waited = now - since
    due = waited >= timedelta(hours=follow.unanswered_after_hours)
    why_not = [
        f"urgent: priority is {ticket.priority or 'none'}, not in {follow.urgent_priorities}",
        f"unanswered for {_age(waited)} since {since.isoformat()}, "
        f"less than {follow.unanswered_after_hours:g} hours",
    ]
    if not urgent and not due:
        return FollowUpPlan(
            "waiting",
            explanation={
                "summary": f"waiting: escalated {_age(waited)} ago, not urgent",
                "matched": "Z6: no ping yet",
                "not_matched": why_not,
                "counterfactual": f"a ping once {follow.unanswered_after_hours:g} hours pass "
                "without an answer, or at once if urgent",
            },
        )
    number = pings_so_far + 1
    mentions = [ticket.assignee_email] if ticket.assignee_email else []
    copy_manager = number >= follow.manager_from_ping and manager_email is not None
    if copy_manager and manager_email not in mentions:
        mentions.append(manager_email or "")
    why = "urgent" if urgent else f"unanswered for {_age(waited)}"
    ticket_id = ticket.id_in("zendesk") or next(iter(ticket.ids.values()), "?")
    rep = ticket.assignee_email or "nobody (unassigned)"
    text = (
        f'Ticket {ticket_id} "{ticket.subject}" ({kind.replace("_", " ")}) was escalated '
        f"to sales {_age(waited)} ago and has no answer from {rep} ({why}). "
        f"Ping {number}" + (": copying the rep's manager." if copy_manager else ".")
    )
    channel = settings.channel_for(kind)
    steps = [f"{why}: {why_not[0] if not urgent else 'priority ' + str(ticket.priority)}"]
    if number >= follow.manager_from_ping and manager_email is None:
        steps.append("the rep's manager is not known, so not copied")
    return FollowUpPlan(
        "ping",
        ping=number,
        notification=Notification(channel=channel, mentions=mentions, text=text, link=ticket.url),
        explanation={
            "summary": f"ping {number} in {channel}"
            + (" copying the manager" if copy_manager else ""),
            "matched": f"Z6: {why}",
            "not_matched": [] if urgent else [why_not[0]],
            "counterfactual": "an answer from the rep, or the ticket solved, would drop it",
            "steps": steps,
        },
    )

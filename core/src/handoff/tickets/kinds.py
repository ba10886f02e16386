"""The names the tickets flow stores things under: event types, decision kinds, job kinds.

Each is defined here once; another flow may import this module (and only
this one) to read the tickets flow's events and decisions.
"""

from __future__ import annotations

__all__ = [
    "DECISION_KINDS",
    "EVENT_TYPES",
    "FOLLOW_UP_DECISION",
    "NEW_BUSINESS",
    "POLL_JOB",
    "RENEWAL",
    "REVIEW_EVENT",
    "REVIEW_JOB",
    "ROUTE_DECISION",
    "SUBJECT",
    "TICKET_EVENT_TYPES",
]

# -- event types --------------------------------------------------------------------------

TICKET_EVENT_TYPES = (
    "zendesk.webhook",
    "zendesk.ticket.created",
    "zendesk.ticket.updated",
    "zendesk.ticket.tags_changed",
    "zendesk.ticket.custom_field_changed",
    "zendesk.ticket.form_changed",
)
"""A ticket was created or changed: a trigger's webhook (its body names `ticket_id`), a
Zendesk event webhook, or the incremental export read by the poll (Z2-Z5 start here)."""
REVIEW_EVENT = "hub.tickets_review"
"""The daily review is due (written by the `tickets.review` periodic job): Z6 starts here."""

EVENT_TYPES = (*TICKET_EVENT_TYPES, REVIEW_EVENT)
"""The events the tickets flow's handler decides on."""

# -- decision kinds -----------------------------------------------------------------------

ROUTE_DECISION = "tickets.route"
"""What a sales request is (new business or renewal), whether it escalates, and to whom
it goes with which macro (Z1-Z5)."""
FOLLOW_UP_DECISION = "tickets.follow_up"
"""What the daily review does about one escalated ticket: ping, wait, or drop it (Z6)."""

DECISION_KINDS = (ROUTE_DECISION, FOLLOW_UP_DECISION)
"""Every decision kind the tickets flow stores."""

SUBJECT = "ticket"
"""The subject type of its decisions: `ticket:<help-desk id>`."""

# -- request kinds ------------------------------------------------------------------------

NEW_BUSINESS = "new_business"
"""A prospect wants a quote (Z2, Z3)."""
RENEWAL = "renewal"
"""A customer wants a renewal quote (Z4, Z5)."""

# -- job kinds ----------------------------------------------------------------------------

REVIEW_JOB = "tickets.review"
"""The periodic job that writes the day's REVIEW_EVENT (Z6)."""
POLL_JOB = "tickets.poll"
"""The periodic job that reads changed tickets from the help desk, when polling is on."""

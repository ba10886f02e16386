"""The names the chat flow stores things under: its event types, decision kinds and job kinds.

Each is defined here once. Event types are what the flow reads (its intake
and the events it writes itself); decision kinds are what `handoff explain`
lists and what replay compares; job kinds are what the worker runs with the
flow's job runners.
"""

from __future__ import annotations

__all__ = [
    "AI_TAKEOVER_DECISION",
    "AI_TAKEOVER_JOB",
    "CHAT_REQUEST",
    "CONVERSATION_EVENT",
    "DECISION_KINDS",
    "EVENT_TYPES",
    "IDENTIFY_DECISION",
    "IDENTIFY_RETRY_JOB",
    "MEETING_BOOKED_DECISION",
    "MEETING_BOOK_JOB",
    "MEETING_DECISION",
    "MISROUTE_FLAG",
    "PAGE_VIEW",
    "PROACTIVE_ENGAGEMENT",
    "ROUTING_DECISION",
    "SMART_FORM",
    "SMART_FORM_DECISION",
    "WRITEBACK_CONTACT_JOB",
    "WRITEBACK_DECISION",
]

# -- event types --------------------------------------------------------------------------

PAGE_VIEW = "hub.page_view"
"""A visitor viewed a page (POST /v1/page-views): identification (Q1) starts here."""
CHAT_REQUEST = "hub.chat_request"
"""A visitor asked to chat (POST /v1/chat-requests): routing (Q3, Q4) starts here."""
CONVERSATION_EVENT = "hub.conversation_event"
"""Something happened in a conversation (POST /v1/conversation-events, or the hub itself)."""
PROACTIVE_ENGAGEMENT = "hub.proactive_engagement"
"""A rep started a conversation with a live visitor (Q10 pounce)."""
MISROUTE_FLAG = "hub.misroute_flag"
"""A rep flagged a routing decision as misrouted (Q19)."""

SMART_FORM = "hub.smart_form"
"""A smart form was submitted or a smart button clicked (POST /v1/smart-forms/submissions, Q18).

Decided in the request that brings it (the answer is the visitor's next step), never by the worker.
"""

EVENT_TYPES = (PAGE_VIEW, CHAT_REQUEST, CONVERSATION_EVENT)
"""The events the chat flow's handler decides on."""

# -- decision kinds -----------------------------------------------------------------------

IDENTIFY_DECISION = "identify"
"""Who a visitor is: enrichment and the CRM account (Q1)."""
ROUTING_DECISION = "routing"
"""Where a chat goes (Q3, Q4)."""
AI_TAKEOVER_DECISION = "routing.ai_takeover"
"""The AI rep took a chat nobody answered in time (Q4)."""
WRITEBACK_DECISION = "writeback"
"""What a conversation writes to the CRM (Q11)."""
MEETING_DECISION = "meeting"
"""A visitor booked a meeting; its job books it (Q12)."""
MEETING_BOOKED_DECISION = "meeting.booked"
"""The booking's job put the meeting on the calendar: which link, which ids (Q12)."""
SMART_FORM_DECISION = "smart_form"
"""A smart form or button qualified against the ideal customer profile, and what the visitor got
(Q18)."""

DECISION_KINDS = (
    IDENTIFY_DECISION,
    ROUTING_DECISION,
    AI_TAKEOVER_DECISION,
    WRITEBACK_DECISION,
    MEETING_DECISION,
    MEETING_BOOKED_DECISION,
    SMART_FORM_DECISION,
)
"""Every decision kind the chat flow stores."""

# -- job kinds ----------------------------------------------------------------------------

IDENTIFY_RETRY_JOB = "identify.retry"
"""Ask the enrichers and the CRM again about a page view whose identification failed (Q1)."""
AI_TAKEOVER_JOB = "routing.ai_takeover"
"""The Q4 timer's job: the AI rep takes a chat nobody answered."""
WRITEBACK_CONTACT_JOB = "writeback.update_contact"
"""Update one Contact through the CRM connector's `handoff_update_contacts` (Q11)."""
MEETING_BOOK_JOB = "meeting.book"
"""Make the join link, then put the invite on the rep's calendar (Q12)."""

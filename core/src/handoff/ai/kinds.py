"""The names the AI flow stores things under: event types, decision kinds, job kinds, subjects.

Each is defined here once; another flow may import this module (and only
this one) to read the AI flow's decisions or write the events it decides on:

- `MEETING_OFFERED`: a visitor was offered a rep's meeting slots (Q16 starts
  here). Payload: `{"id": "<offer id>", "conversation_id": "<id>", "email":
  "<visitor email>", "first_name": "Kim" (optional), "rep": {"id": "<rep id>",
  "name": "Avery Stone", "email": "avery@acme.example"}, "subject": {"type":
  "conversation", "id": "<id>"}}`. The conversations (Q5) and smart forms (Q18)
  write it, and `POST /v1/meeting-offers` receives it from outside.
- `CRM_CAMPAIGN_EVENT`: a CRM campaign's member was added or removed, or the
  campaign ended (Q16 (2)). Payload: `{"campaign_id": "<CRM id>", "kind":
  "member_added" | "member_removed" | "ended", "email": "...", "record_type":
  "lead" | "contact", "record_id": "<CRM id>"}`; `POST /v1/crm-campaign-events`.
"""

from __future__ import annotations

__all__ = [
    "AI_TIMER_JOB",
    "CAMPAIGN_DECISION",
    "CONVERSATION_DECISION",
    "CONVERSATION_ENTITY",
    "CRM_CAMPAIGN_EVENT",
    "CRM_MARK_JOB",
    "DECISION_KINDS",
    "EMAIL_DECISION",
    "EMAIL_OUTCOME",
    "EMAIL_TIMER",
    "EVENT_TYPES",
    "FOLLOW_UP_DECISION",
    "GOAL_DECISION",
    "GUARD_DECISION",
    "MEETING_OFFERED",
    "SUBJECT",
    "SYNDICATION_DECISION",
    "TURN_DECISION",
]

# -- event types --------------------------------------------------------------------------

MEETING_OFFERED = "hub.meeting_offered"
"""A visitor was offered a rep's meeting slots; a booking cancels the follow-up (Q16)."""
EMAIL_TIMER = "hub.ai_email_timer"
"""An AI email campaign's timer came due: send the follow-up, or recycle the lead (Q16)."""
EMAIL_OUTCOME = "hub.ai_email_outcome"
"""The leads flow's report on an AI email: it went out, or it was held back (Q16)."""

CRM_CAMPAIGN_EVENT = "hub.crm_campaign_event"
"""A CRM campaign gained or lost a member, or ended (Q16 (2) content syndication)."""

EVENT_TYPES = (MEETING_OFFERED, EMAIL_TIMER, EMAIL_OUTCOME, CRM_CAMPAIGN_EVENT)
"""The AI flow's own events (its handler also reads replies and bookings)."""

# -- decision kinds -----------------------------------------------------------------------

GUARD_DECISION = "ai.guard"
"""What the rules of engagement made of one candidate reply: sent as is, or replaced and by
which rule (Q6)."""

CONVERSATION_DECISION = "ai.conversation"
"""An AI conversation started: its experience and entry path, and what the visitor must give
first (Q5: "Connect with us" asks for a business email before the AI converses)."""

TURN_DECISION = "ai.turn"
"""One visitor message and the AI's reply: the responder's draft, the rules of engagement's
verdict on it, and what was sent (Q5, Q6)."""

EMAIL_DECISION = "ai.email"
"""A visitor's email accepted as a business email or refused (free-mail, disposable, not an
address), and why (Q5)."""

GOAL_DECISION = "ai.goal"
"""A goal's step in a conversation: triggered (by a button or an intent phrase), waiting for
the email, slots offered, meeting booked, routed to a rep, support link sent, failed (Q5).
A visitor offered slots who did not book has an `slots_offered` step and no `meeting_booked`
one (AI email, Q16, reads it through `handoff.ai.conversations.offered_not_booked`)."""

FOLLOW_UP_DECISION = "ai.follow_up"
"""A step of the meeting follow-up: scheduled, sent, skipped and why, and the lead's status
moves (Q16)."""
CAMPAIGN_DECISION = "ai.campaign"
"""An AI email campaign switched off or on, by whom (Q17)."""

SYNDICATION_DECISION = "ai.syndication"
"""A content-syndication member: outreach started (checkbox ticked, routed to an SDR, status
unchanged) or ended (checkbox cleared), or why not (Q16 (2))."""

DECISION_KINDS = (
    GUARD_DECISION,
    CONVERSATION_DECISION,
    TURN_DECISION,
    EMAIL_DECISION,
    GOAL_DECISION,
    FOLLOW_UP_DECISION,
    CAMPAIGN_DECISION,
    SYNDICATION_DECISION,
)
"""Every decision kind the AI flow stores."""

# -- job kinds ----------------------------------------------------------------------------

AI_TIMER_JOB = "ai.timer"
"""A campaign timer's job: it stores the `hub.ai_email_timer` event the handler decides."""

CRM_MARK_JOB = "ai.crm_mark"
"""Tick or clear a syndication campaign's checkbox on the CRM Lead or Contact (Q16 (2))."""

SUBJECT = "conversation"
"""The subject type of its decisions: `conversation:<id>`, the chat the reply belongs to."""

CONVERSATION_ENTITY = "ai_conversation"
"""Entity type of an AI conversation's state (path, email, open goal, offered slots, turns)."""

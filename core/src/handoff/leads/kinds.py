"""The names the leads flow stores things under: its event types, decision kinds and job kinds.

Each is defined here once. Another flow may import this module (and nothing
else of the leads flow) to write the events the leads flow decides on:

- `LEAD_TRANSITION`: move a lead's status (Q16: the AI rep moves a lead to
  Accepted when its email goes out, then to Recycle or Qualifying). Payload:
  `{"lead": "<email>", "to": "<status>", "reason": "...", "actor": "ai",
  "subject": {"type": "lead", "id": "<email>"}}`. A transition the status
  machine does not allow is refused and stored as a refused decision; nothing
  changes.
- `EMAIL_REQUEST`: send an email to a person through the hub, so opt-outs
  and one-click unsubscribe (D7) apply. Payload: `{"to": "<email>",
  "email_subject": "...", "text": "...", "operational": false, "from_rep":
  "<rep id>" (optional), "reply_to": "<address>" (optional: the rep an AI
  email speaks for, Q16), "report": {"type": "<event type>", "payload": {...}}
  (optional: stored once the email went out or was held back, with `sent`
  and `why` added), "key": "<idempotency key>", "subject": {"type": "lead",
  "id": "<email>"}}`.
- `HUB_ACTIVITY`: something happened in the hub that marketing should see in
  the CRM (Q13: an AI goal reached). Payload: `{"action": "ai_goal_reached",
  "email": "<email>", "description": "...", "subject": {"type": "lead", "id":
  "<email>"}}`.
"""

from __future__ import annotations

__all__ = [
    "ACCOUNT_JOB",
    "ACTIVITY_DECISION",
    "ASSIGNMENT_DECISION",
    "BANT_DECISION",
    "CLAIM_DECISION",
    "CRM_LEAD_EVENT",
    "DECISION_KINDS",
    "EMAIL_DECISION",
    "EMAIL_JOB",
    "EMAIL_REQUEST",
    "EVENT_TYPES",
    "FOLLOW_UP_DECISION",
    "FORM_SUBMISSION",
    "FORWARD_DECISION",
    "HUB_ACTIVITY",
    "INBOUND_EMAIL",
    "INTAKE_DECISION",
    "LEAD_ACTIVITY",
    "LEAD_BANT",
    "LEAD_CLAIM",
    "LEAD_SUBSCRIPTION",
    "LEAD_TIMER",
    "LEAD_TOUCH",
    "LEAD_TRANSITION",
    "MQL_DECISION",
    "SCORED_EVENT_TYPES",
    "SIGNUP",
    "SQL_DECISION",
    "STATUS_DECISION",
    "SUBSCRIPTION_DECISION",
    "TIMER_JOB",
    "WRITEBACK_JOB",
]

# -- event types --------------------------------------------------------------------------

FORM_SUBMISSION = "hub.form_submission"
"""A form was submitted (POST /v1/form-submissions): a lead starts here (D1)."""
INBOUND_EMAIL = "hub.inbound_email"
"""A mail to sales@, community@, press@... forwarded as an event (POST /v1/inbound-emails, D1)."""
SIGNUP = "hub.signup"
"""A signed purchase or trial webhook (POST /hooks/signups/{source}, D1, D8)."""
LEAD_TOUCH = "hub.lead_touch"
"""A message sent to a lead (an attempt) or a reply from them (POST /v1/lead-touches, D5)."""
LEAD_ACTIVITY = "hub.lead_activity"
"""A behavioural event worth points: a page view, a webinar... (POST /v1/lead-activities, D4)."""
LEAD_TRANSITION = "hub.lead_transition"
"""Move a lead's status: the API, the CLI, or another flow (Q16) asks (D5)."""
LEAD_BANT = "hub.lead_bant"
"""Soft-BANT answers recorded for a lead (D3)."""
LEAD_CLAIM = "hub.lead_claim"
"""A rep claims a lead offered to their team, first notice first route (D2)."""
LEAD_SUBSCRIPTION = "hub.lead_subscription"
"""An opt-out, a 30-day opt-out, an opt-in or a one-click unsubscribe (D7)."""
CRM_LEAD_EVENT = "hub.crm_lead_event"
"""The CRM says sales accepted a lead, or converted it (POST /v1/crm-lead-events, D4 SQL)."""
LEAD_TIMER = "hub.lead_timer"
"""A lead's timer came due: nurture, claim fall-back, follow-up, opt-out expiry (D2, D5-D7)."""
EMAIL_REQUEST = "hub.email_request"
"""Another flow asks the hub to email a person; D7 applies (see the module docstring)."""
HUB_ACTIVITY = "hub.activity"
"""Another flow reports something marketing should see in the CRM (Q13)."""

SCORED_EVENT_TYPES = (
    "marketo.activity.interesting_moment",
    "marketo.activity.visit_webpage",
    "marketo.activity.fill_out_form",
    "marketo.activity.click_email",
)
"""Marketing activities the scoring model may give points for (`[leads.scoring.event_kinds]`)."""

EVENT_TYPES = (
    *SCORED_EVENT_TYPES,
    FORM_SUBMISSION,
    INBOUND_EMAIL,
    SIGNUP,
    LEAD_TOUCH,
    LEAD_ACTIVITY,
    LEAD_TRANSITION,
    LEAD_BANT,
    LEAD_CLAIM,
    LEAD_SUBSCRIPTION,
    CRM_LEAD_EVENT,
    LEAD_TIMER,
    EMAIL_REQUEST,
    HUB_ACTIVITY,
)
"""The events the leads flow's own handler decides on (the flow adds the chat events it
reads for Q13 and the behaviour events its scoring model names)."""

# -- decision kinds -----------------------------------------------------------------------

INTAKE_DECISION = "leads.intake"
"""What an inbound source does with a person: BDR lead, subscription only, forward (D1)."""
ASSIGNMENT_DECISION = "leads.assignment"
"""Who owns a lead, under which rule, and why not the others (D2)."""
CLAIM_DECISION = "leads.claim"
"""Who claimed a lead offered to a team, or the fall-back when nobody did (D2)."""
STATUS_DECISION = "leads.status"
"""How a lead's status moved, who or what moved it, and why; or why it was refused (D5, Q16)."""
MQL_DECISION = "leads.mql"
"""The lead's score reached the threshold: the points that got it there (D4)."""
SQL_DECISION = "leads.sql"
"""Sales accepted the lead and it was converted onto a new opportunity (D4)."""
BANT_DECISION = "leads.bant"
"""What Soft-BANT says: qualified and passed, or the status the answers give (D3)."""
FOLLOW_UP_DECISION = "leads.follow_up"
"""A passed lead's new owner did nothing: remind them, then escalate (D6)."""
SUBSCRIPTION_DECISION = "leads.subscription"
"""A person's opt-out changed, or a 30-day opt-out expired (D7)."""
EMAIL_DECISION = "leads.email"
"""An email the hub sent (with one-click unsubscribe) or held back for an opt-out (D7)."""
FORWARD_DECISION = "leads.forward"
"""A purchase or trial webhook forwarded to marketing, the team told, the account kept (D8)."""
ACTIVITY_DECISION = "leads.activity"
"""A hub action recorded in the CRM as activity and campaign membership (Q13)."""

DECISION_KINDS = (
    INTAKE_DECISION,
    ASSIGNMENT_DECISION,
    CLAIM_DECISION,
    STATUS_DECISION,
    MQL_DECISION,
    SQL_DECISION,
    BANT_DECISION,
    FOLLOW_UP_DECISION,
    SUBSCRIPTION_DECISION,
    EMAIL_DECISION,
    FORWARD_DECISION,
    ACTIVITY_DECISION,
)
"""Every decision kind the leads flow stores."""

# -- job kinds ----------------------------------------------------------------------------

TIMER_JOB = "leads.timer"
"""A lead's timer fired: its job stores a `hub.lead_timer` event, which the handler decides."""
EMAIL_JOB = "leads.email"
"""Send one email, checking the opt-out when it is sent and adding List-Unsubscribe (D7)."""
WRITEBACK_JOB = "leads.writeback"
"""Flush the leads whose CRM and marketing fields changed, in batches (write-back)."""
ACCOUNT_JOB = "leads.account"
"""A Buy Now purchase: create or update the CRM account, then tell its owner (D8)."""

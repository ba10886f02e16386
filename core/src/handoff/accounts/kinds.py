"""The names the accounts flow stores things under: event types, decision kinds, job kinds.

Each is defined here once; another flow may import this module (and only
this one) to read the accounts flow's events and decisions or to send it
events:

- `RANK_OVERRIDE`: an AE sets (or clears) an account's rank through the hub
  (P3). Payload: `{"account_id": "...", "tier": "Tier 1" | null, "by": "...",
  "why": "...", "subject": {"type": "account", "id": "..."}}`; `tier` null
  clears the override.
- `CASE_REQUEST`: open a case by hand (P6) or for a hand-off (P4), through
  `POST /v1/cases` or `handoff cases create`.
"""

from __future__ import annotations

__all__ = [
    "ACCOUNT",
    "CASE",
    "CASE_DECISION",
    "CASE_REQUEST",
    "DECISION_KINDS",
    "EVENT_TYPES",
    "HAND_OFF",
    "HAND_OFF_DECISION",
    "HAND_RAISE",
    "OVERRIDE_DECISION",
    "RANK_DECISION",
    "RANK_OVERRIDE",
    "RERANK_DONE",
    "RERANK_JOB",
    "RERANK_PAGE",
    "SIGNAL",
    "SIGNALS_JOB",
    "SIGNAL_EVENT_TYPES",
    "SURVEY_RESPONSE",
    "TABLE_DECISION",
    "TIER_TABLE",
]

# -- event types --------------------------------------------------------------------------

RERANK_PAGE = "hub.accounts_rerank_page"
"""One page of pooled accounts read by the weekly re-rank (P3): the inputs of their ranks."""
RERANK_DONE = "hub.accounts_rerank_done"
"""Every page of a re-rank run is stored: the changed tiers are written back in batches (P3)."""
RANK_OVERRIDE = "hub.account_rank_override"
"""An AE set or cleared an account's rank through the hub (P3)."""
CASE_REQUEST = "hub.case_request"
"""A case asked for by hand by self-service ops (P6): POST /v1/cases, `handoff cases create`."""
HAND_OFF = "hub.hand_off"
"""A pooled customer asked someone for sales help (P4): POST /v1/hand-offs."""
SURVEY_RESPONSE = "hub.survey_response"
"""A survey answered, posted to POST /v1/survey-responses (P5)."""
HAND_RAISE = "hub.hand_raise"
"""A PQL hand raise in the product, posted to POST /v1/hand-raises (P5)."""
SIGNAL = "hub.account_signal"
"""An engagement or intent reading for an account, posted to POST /v1/account-signals (Q14)."""

SIGNAL_EVENT_TYPES = (
    "hub.form_submission",
    "gainsight.survey.nps",
    "gainsight.survey.csat",
    "gainsight.survey.post_churn",
    "pathfactory.fast_moving_buyer",
    SURVEY_RESPONSE,
    HAND_RAISE,
)
"""The signals that may open a case (P5): a Contact Us form (the leads flow's form
submission, when its form is the configured one), Gainsight surveys, PathFactory's Fast
Moving Buyer alert, a survey or a hand raise posted to the hub."""

EVENT_TYPES = (
    RERANK_PAGE,
    RERANK_DONE,
    RANK_OVERRIDE,
    CASE_REQUEST,
    HAND_OFF,
    SIGNAL,
    *SIGNAL_EVENT_TYPES,
)
"""The events the accounts flow's handler decides on."""

# -- decision kinds -----------------------------------------------------------------------

RANK_DECISION = "accounts.rank"
"""An account's auto rank changed, or was held by an override (P2, P3), criterion by criterion."""
OVERRIDE_DECISION = "accounts.override"
"""An AE's manual rank, made in the CRM or through the hub, recorded or cleared (P3)."""
CASE_DECISION = "cases.open"
"""A case opened for a signal (P5) or by hand (P6), with its notifications."""
HAND_OFF_DECISION = "cases.hand_off"
"""A pooled customer asking for sales help: handed to the Pooled AE team or not (P4)."""

TABLE_DECISION = "accounts.tier_table"
"""The tier table a re-rank applied, stored once by its name (`tiers.table_id`): the rank
decisions name it instead of holding their criteria and reasons in words."""

DECISION_KINDS = (
    RANK_DECISION,
    OVERRIDE_DECISION,
    CASE_DECISION,
    HAND_OFF_DECISION,
    TABLE_DECISION,
)
"""Every decision kind the accounts flow stores."""

ACCOUNT = "account"
"""The subject type of rank decisions: `account:<CRM id>`."""
TIER_TABLE = "tier_table"
"""The subject type of a tier table's decision: `tier_table:<table id>`."""
CASE = "case"
"""The subject type of case decisions: `case:<source>:<signal id>`."""

# -- job kinds ----------------------------------------------------------------------------

RERANK_JOB = "accounts.rerank"
"""The weekly re-rank (P3): reads the pooled accounts and stores them as RERANK_PAGE events."""
SIGNALS_JOB = "accounts.signals"
"""The daily Account 360 write (Q14): each account's latest signals to its CRM fields."""

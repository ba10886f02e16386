"""The hooks a connector can implement, as pluggy hook specifications.

One discovery hook, `handoff_connectors`, is implemented at module level by an
installed package and names the connector classes it offers. Every other hook
is a capability: an `async def` method on a connector instance, marked with
`@hookimpl`. The hub awaits capabilities at one call site (`handoff.hub.Hub`).

Every hook here is documented in docs/hooks.md with an example; a test fails
when one is missing there or its documented signature drifts from this file.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import pluggy

from .entities import (
    Account,
    AccountCriterion,
    AccountPage,
    AccountUpdate,
    BusySlot,
    Case,
    Contact,
    CrmActivity,
    Event,
    Firmographics,
    Lead,
    Meeting,
    ModelReply,
    Notification,
    Opportunity,
    PollResult,
    Program,
    Rep,
    ReplyPrompt,
    SequenceState,
    Ticket,
    TicketComment,
    TicketUpdate,
    User,
    Visitor,
    WebhookRequest,
    WriteResult,
)

if TYPE_CHECKING:
    from ._connector import Connector

__all__ = [
    "CAPABILITY_HOOKS",
    "PROJECT",
    "WRITE_HOOKS",
    "hookimpl",
    "hookspec",
    "implemented_capabilities",
]

PROJECT = "handoff"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def handoff_connectors() -> list[type[Connector]]:
    """Discovery: return the connector classes this package offers."""
    raise NotImplementedError


@hookspec
async def handoff_enrich_visitor(visitor: Visitor) -> Firmographics | None:
    """Q1: firmographics for a visitor (reverse IP). None when nothing matched."""
    raise NotImplementedError


@hookspec
async def handoff_match_account(email_domain: str | None, website: str | None) -> Account | None:
    """Q1, Z2: the CRM account whose web domain matches, or None."""
    raise NotImplementedError


@hookspec
async def handoff_find_person(email: str) -> Lead | Contact | None:
    """Q1: the existing Lead or Contact with this email; a Contact wins over a Lead."""
    raise NotImplementedError


@hookspec
async def handoff_upsert_leads(leads: Sequence[Lead], idempotency_key: str) -> list[WriteResult]:
    """Q11, D1: create or update leads in batches; one result per input, in order."""
    raise NotImplementedError


@hookspec
async def handoff_update_contacts(
    contacts: Sequence[Contact], idempotency_key: str
) -> list[WriteResult]:
    """Change fields on existing contacts, each addressed by its id here (Q11); one result each."""
    raise NotImplementedError


@hookspec
async def handoff_update_accounts(
    updates: Sequence[AccountUpdate], idempotency_key: str
) -> list[WriteResult]:
    """P3, Q14: change fields on existing accounts; one result per input, in order."""
    raise NotImplementedError


@hookspec
async def handoff_list_accounts(
    where: Sequence[AccountCriterion], fields: Sequence[str], cursor: str | None
) -> AccountPage:
    """List accounts meeting every criterion, a page at a time (P1 pool, P3 re-rank).

    `fields` names more CRM fields (API names) to read into `Account.fields`.
    `cursor` None asks for the first page; then pass the cursor of the page
    before (with the same `where` and `fields`) until a page comes back without one.
    """
    raise NotImplementedError


@hookspec
async def handoff_create_case(case: Case, idempotency_key: str) -> WriteResult:
    """P4-P6: open a case."""
    raise NotImplementedError


@hookspec
async def handoff_list_programs() -> list[Program]:
    """Q13: the marketing programs, with their tags."""
    raise NotImplementedError


@hookspec
async def handoff_sequence_state(email: str) -> SequenceState | None:
    """Q3a: the person's current sequence and who runs it, or None."""
    raise NotImplementedError


@hookspec
async def handoff_rep_busy(rep: Rep, start: datetime, end: datetime) -> list[BusySlot]:
    """Q3, Q12: the rep's busy times in [start, end)."""
    raise NotImplementedError


@hookspec
async def handoff_book_meeting(meeting: Meeting, idempotency_key: str) -> Meeting:
    """Q12: put the meeting on the rep's calendar; returns it with ids and join link."""
    raise NotImplementedError


@hookspec
async def handoff_parse_webhook(request: WebhookRequest) -> list[Event]:
    """Verify a received webhook's signature and turn it into events."""
    raise NotImplementedError


@hookspec
async def handoff_poll_events(cursor: str | None) -> PollResult:
    """Fetch events that happened since `cursor` (None: start from now)."""
    raise NotImplementedError


@hookspec
async def handoff_send_notification(
    notification: Notification, idempotency_key: str
) -> WriteResult:
    """P5, Z6, D2: tell people (Slack post, email)."""
    raise NotImplementedError


# -- support tickets passed to sales (Z2-Z6) ------------------------------------------


@hookspec
async def handoff_get_ticket(ticket_id: str) -> Ticket | None:
    """Z2-Z6: one help-desk ticket with its requester's email and custom fields; None if gone."""
    raise NotImplementedError


@hookspec
async def handoff_ticket_comments(ticket_id: str) -> list[TicketComment]:
    """Z6: a ticket's comments, oldest first, public replies and internal notes alike."""
    raise NotImplementedError


@hookspec
async def handoff_escalated_tickets() -> list[Ticket]:
    """Z6: the unsolved tickets whose 'Escalated to Sales' box is ticked."""
    raise NotImplementedError


@hookspec
async def handoff_update_ticket(update: TicketUpdate, idempotency_key: str) -> WriteResult:
    """Z2, Z4: assign a ticket, tick 'Escalated to Sales', add an internal note; once per key."""
    raise NotImplementedError


@hookspec
async def handoff_apply_macro(ticket_id: str, macro: str, idempotency_key: str) -> WriteResult:
    """Z2, Z4: apply a macro by its title ('Pass to Sales', 'New Sales Quote'); once per key."""
    raise NotImplementedError


@hookspec
async def handoff_renewal_opportunity(account_id: str) -> Opportunity | None:
    """Z4: the account's upcoming renewal (the open one closing first), or None."""
    raise NotImplementedError


@hookspec
async def handoff_find_users(user_ids: Sequence[str], emails: Sequence[str]) -> list[User]:
    """P1, P4, Z2, Z4, Z6: the CRM users with these ids or emails, each with their manager.

    Inactive users come back too, marked `active=False`; users not found are left out.
    The one user lookup: the Pooled Sales User by email (P1, P4), a record owner by id (Z2, Z4).
    """
    raise NotImplementedError


@hookspec
async def handoff_record_activities(
    activities: Sequence[CrmActivity], idempotency_key: str
) -> list[WriteResult]:
    """Q13: record hub actions as CRM activities and campaign memberships; one result each."""
    raise NotImplementedError


@hookspec
async def handoff_upsert_account(account: Account, idempotency_key: str) -> WriteResult:
    """D1, D8: create the account (Buy Now) or update the one with its id; once per key."""
    raise NotImplementedError


# -- the AI rep's model (issue 12) ---------------------------------------------------


@hookspec
async def handoff_generate_reply(prompt: ReplyPrompt) -> ModelReply:
    """Issue 12, Q5: a model's draft of the AI rep's next reply to the prompt's last visitor turn.

    The draft is not yet checked: the hub runs the rules of engagement (Q6)
    on it before anything is sent. Raises the SDK's errors like any
    capability (RateLimitedError once retries are spent, ApiError, AuthError).
    """
    raise NotImplementedError


CAPABILITY_HOOKS: tuple[str, ...] = (
    "handoff_enrich_visitor",
    "handoff_match_account",
    "handoff_find_person",
    "handoff_upsert_leads",
    "handoff_update_contacts",
    "handoff_update_accounts",
    "handoff_list_accounts",
    "handoff_create_case",
    "handoff_list_programs",
    "handoff_sequence_state",
    "handoff_rep_busy",
    "handoff_book_meeting",
    "handoff_parse_webhook",
    "handoff_poll_events",
    "handoff_send_notification",
    "handoff_get_ticket",
    "handoff_ticket_comments",
    "handoff_escalated_tickets",
    "handoff_update_ticket",
    "handoff_apply_macro",
    "handoff_renewal_opportunity",
    "handoff_find_users",
    "handoff_record_activities",
    "handoff_upsert_account",
    "handoff_generate_reply",
)
"""Every capability hook, in documentation order."""

WRITE_HOOKS: frozenset[str] = frozenset(
    name
    for name in CAPABILITY_HOOKS
    if "idempotency_key" in inspect.signature(globals()[name]).parameters
)
"""Capabilities that change an outside system: those whose signature takes an idempotency key."""


def implemented_capabilities(connector_class: type[Connector]) -> list[str]:
    """The capability hooks a connector class implements (its @hookimpl methods), in order."""
    marker = f"{PROJECT}_impl"
    return [
        name for name in CAPABILITY_HOOKS if hasattr(getattr(connector_class, name, None), marker)
    ]

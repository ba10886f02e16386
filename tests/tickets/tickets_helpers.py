"""Synthetic tickets, accounts and users for the tickets flow's tests (example.test only)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from handoff.config import HubConfig
from handoff.flow import Services
from handoff.flows import FlowSet
from handoff.runtime import Worker, record_events
from handoff.store import Store
from handoff.tickets.config import TicketsConfig
from handoff.tickets.flow import TICKETS
from handoff.tickets.settings import TicketsSettings
from handoff_sdk import FakeClock
from handoff_sdk.entities import (
    Account,
    Event,
    Opportunity,
    Ticket,
    TicketComment,
    User,
    WriteResult,
)

REQUEST_FIELD = "360000000101"
PAYMENT_FIELD = "360000000102"
AMOUNT_FIELD = "360000000103"
PO_FIELD = "360000000104"
QUOTE_FIRST_FIELD = "360000000105"
CHANGE_FIELD = "360000000106"
CREDIT_FIELD = "360000000107"
PAPER_FIELD = "360000000110"

OWNER = "005Hd0000000301AAA"
ADMIN = "005Hd0000000999AAA"
RENEWAL_OWNER = "005Hd0000000302AAA"
SMB_EMEA = "005Hd0000000401AAA"
SMB_AMER = "005Hd0000000402AAA"
MM_ANY = "005Hd0000000403AAA"
LARGE_EMEA = "005Hd0000000404AAA"

TABLE: dict[str, Any] = {
    "help_desk": "zendesk",
    "crm": "salesforce",
    "chat": "slack",
    "admin_users": ["SFDC Admin"],
    "segment_when_unknown": "Small",
    "request_types": [
        {
            "id": "renewal",
            "kind": "renewal",
            "when": {"field": f"fields.{REQUEST_FIELD}", "equals": "renewal"},
        },
        {
            "id": "new_business",
            "kind": "new_business",
            "when": {
                "any": [
                    {"field": f"fields.{REQUEST_FIELD}", "equals": "new_business"},
                    {"field": "tags.sales_quote", "exists": True},
                ]
            },
        },
    ],
    "new_business_reasons": [
        {
            "id": "non_card_over_1000",
            "label": "pays other than by credit card, deal over $1,000",
            "when": {
                "all": [
                    {"field": f"fields.{PAYMENT_FIELD}", "exists": True},
                    {"not": {"field": f"fields.{PAYMENT_FIELD}", "equals": "credit_card"}},
                    {"field": f"fields.{AMOUNT_FIELD}", "above": 1000},
                ]
            },
        },
        {
            "id": "purchase_order",
            "label": "has a PO",
            "when": {"field": f"fields.{PO_FIELD}", "equals": True},
        },
        {
            "id": "quote_before_purchase",
            "label": "needs a quote before purchase",
            "when": {"field": f"fields.{QUOTE_FIRST_FIELD}", "equals": True},
        },
    ],
    "renewal_reasons": [
        {
            "id": "complaint_credit",
            "label": "complaint with a credit request",
            "when": {"field": f"fields.{CREDIT_FIELD}", "equals": True},
        },
        {
            "id": "paper_quote_over_1000",
            "label": "paper quote over $1,000 a year",
            "when": {
                "all": [
                    {"field": f"fields.{PAPER_FIELD}", "equals": True},
                    {"field": f"fields.{AMOUNT_FIELD}", "above": 1000},
                ]
            },
        },
        {
            "id": "tier_downgrade",
            "label": "downgrades the tier",
            "when": {"field": f"fields.{CHANGE_FIELD}", "equals": "tier_downgrade"},
        },
        {
            "id": "saas_self_managed_move",
            "label": "moves between SaaS and self-managed",
            "when": {
                "field": f"fields.{CHANGE_FIELD}",
                "in": ["saas_to_self_managed", "self_managed_to_saas"],
            },
        },
        {
            "id": "fewer_users",
            "label": "fewer users",
            "when": {"field": f"fields.{CHANGE_FIELD}", "equals": "fewer_users"},
        },
        {
            "id": "cancellation_or_refund",
            "label": "cancellation or refund (not SMB)",
            "when": {
                "all": [
                    {"field": f"fields.{CHANGE_FIELD}", "in": ["cancellation", "refund"]},
                    {"field": "segment", "exists": True},
                    {"not": {"field": "segment", "equals": "Small"}},
                ]
            },
        },
    ],
    "regions": [
        {"name": "AMER", "countries": ["US", "CA", "BR"]},
        {"name": "EMEA", "countries": ["DE", "FR", "GB", "PT"]},
    ],
    "territories": [
        {"segment": "Small", "region": "EMEA", "rep": SMB_EMEA, "name": "Sasha Small (EMEA)"},
        {"segment": "Small", "region": "AMER", "rep": SMB_AMER, "name": "Sam Small (AMER)"},
        {"segment": "MidMarket", "region": "*", "rep": MM_ANY, "name": "Mo Mid"},
        {"segment": "Large", "region": "EMEA", "rep": LARGE_EMEA, "name": "Lara Large"},
    ],
    "follow_up": {"schedule": "0 9 * * mon-fri", "unanswered_after_hours": 24},
}


def settings(**changes: Any) -> TicketsConfig:
    """The test [tickets] table, with top-level changes."""
    return TicketsConfig.model_validate({**TABLE, **changes})


def ticket(
    fields: dict[str, Any] | None = None,
    *,
    tid: str = "5001",
    email: str = "ana.lima@northwind.example",
    tags: list[str] | None = None,
    status: str = "new",
    priority: str = "normal",
    assignee_email: str | None = None,
    assignee_id: str | None = None,
    escalated: bool | None = False,
) -> Ticket:
    """A ticket from the help desk with these custom field values."""
    return Ticket(
        ids={"zendesk": tid},
        subject="Quote for 40 seats",
        status=status,
        priority=priority,
        requester_email=email,
        assignee_email=assignee_email,
        assignee_id=assignee_id,
        tags=tags or [],
        fields=fields or {},
        escalated_to_sales=escalated,
        created_at=datetime(2026, 1, 5, 8, 0, tzinfo=UTC),
        url=f"https://acme.zendesk.example.test/agent/tickets/{tid}",
    )


def new_business(**fields: Any) -> Ticket:
    """A new business request with these fields (by short name)."""
    return ticket({REQUEST_FIELD: "new_business", **fields})


def account(
    employees: int | None = 500,
    *,
    country: str | None = "Germany",
    owner: str | None = OWNER,
    owner_name: str | None = "Olga Owner",
    account_type: str = "Prospect",
) -> Account:
    """The CRM account of northwind.example."""
    return Account(
        ids={"salesforce": "001Hd0000000002AAA"},
        name="Northwind",
        domain="northwind.example",
        employee_count=employees,
        country=country,
        owner_id=owner,
        owner_name=owner_name,
        account_type=account_type,
    )


def user(
    uid: str, name: str, email: str | None, *, manager: str | None = "mara@example.test"
) -> User:
    """A CRM user."""
    return User(ids={"salesforce": uid}, name=name, email=email, manager_email=manager)


USERS = {
    OWNER: user(OWNER, "Olga Owner", "olga@example.test"),
    ADMIN: user(ADMIN, "SFDC Admin", "sfdc-admin@example.test", manager=None),
    RENEWAL_OWNER: user(RENEWAL_OWNER, "Rene Renewals", "rene@example.test"),
    SMB_EMEA: user(SMB_EMEA, "Sasha Small", "sasha@example.test"),
    SMB_AMER: user(SMB_AMER, "Sam Small", "sam@example.test"),
    MM_ANY: user(MM_ANY, "Mo Mid", "mo@example.test"),
    LARGE_EMEA: user(LARGE_EMEA, "Lara Large", "lara@example.test"),
}


def renewal(owner: str | None = RENEWAL_OWNER, owner_name: str = "Rene Renewals") -> Opportunity:
    """The account's upcoming renewal."""
    return Opportunity(
        ids={"salesforce": "006Hd0000000040AAA"},
        name="Northwind renewal",
        account_id="001Hd0000000002AAA",
        type="Renewal",
        owner_id=owner,
        owner_name=owner_name,
    )


class FakeHub:
    """Answers the tickets flow's hooks from memory and records every write."""

    def __init__(self, ticket: Ticket) -> None:
        self.tickets = {ticket.id_in("zendesk") or "": ticket}
        self.comments: dict[str, list[TicketComment]] = {}
        self.writes: list[tuple[str, dict[str, Any]]] = []

    def implementing(self, hook: str) -> list[str]:
        return ["zendesk"]

    async def call(self, connector: str, hook: str, **kwargs: Any) -> Any:
        """The worker's hook jobs: Hub.call(connector, hook, ...)."""
        if hook == "handoff_get_ticket":
            return self.tickets.get(kwargs["ticket_id"])
        if hook == "handoff_match_account":
            return account()
        if hook == "handoff_renewal_opportunity":
            return None
        if hook == "handoff_find_users":
            found = [u for u in USERS.values() if u.ids["salesforce"] in kwargs["user_ids"]]
            found += [u for u in USERS.values() if u.email in kwargs["emails"]]
            return found
        if hook == "handoff_escalated_tickets":
            return [t for t in self.tickets.values() if t.escalated_to_sales]
        if hook == "handoff_ticket_comments":
            return self.comments.get(kwargs["ticket_id"], [])
        self.writes.append((hook, kwargs))
        if hook == "handoff_update_ticket":  # the help desk now shows it passed
            update = kwargs["update"]
            ticket = self.tickets[update.ticket_id]
            self.tickets[update.ticket_id] = ticket.model_copy(
                update={
                    "assignee_email": update.assignee_email or ticket.assignee_email,
                    "assignee_id": "91001" if update.assignee_email else ticket.assignee_id,
                    "escalated_to_sales": update.escalated_to_sales or ticket.escalated_to_sales,
                    "status": "open",
                }
            )
        return WriteResult(index=0, ok=True)

    # The typed front door the flow calls (handoff.hub.Hub's methods).
    async def get_ticket(self, connector: str, ticket_id: str) -> Any:
        return await self.call(connector, "handoff_get_ticket", ticket_id=ticket_id)

    async def match_account(self, connector: str, **kwargs: Any) -> Any:
        return await self.call(connector, "handoff_match_account", **kwargs)

    async def renewal_opportunity(self, connector: str, account_id: str) -> Any:
        return await self.call(connector, "handoff_renewal_opportunity", account_id=account_id)

    async def find_users(
        self, connector: str, user_ids: Sequence[str] = (), emails: Sequence[str] = ()
    ) -> Any:
        return await self.call(connector, "handoff_find_users", user_ids=user_ids, emails=emails)

    async def escalated_tickets(self, connector: str) -> Any:
        return await self.call(connector, "handoff_escalated_tickets")

    async def ticket_comments(self, connector: str, ticket_id: str) -> Any:
        return await self.call(connector, "handoff_ticket_comments", ticket_id=ticket_id)


def worker(store: Store, clock: FakeClock, hub: FakeHub) -> tuple[Worker, FlowSet]:
    config = HubConfig.model_validate({})
    config.flows["tickets"] = TicketsSettings(tickets=settings())
    flows = FlowSet(Services(config, store, clock, lambda: hub), [TICKETS])  # type: ignore[arg-type, return-value]
    runner = Worker(
        store,
        hub=hub,  # type: ignore[arg-type]
        clock=clock,
        events=flows.event_handler(),
        handlers=flows.job_runners(),
    )
    return runner, flows


async def drain(runner: Worker) -> None:
    while await runner.run_once():
        pass


def deliver(store: Store, clock: FakeClock, *events: Event) -> None:
    with store.transaction() as session:
        record_events(session, list(events), now=clock.now())


def webhook(key: str, ticket_id: str = "5001") -> Event:
    return Event(
        type="zendesk.webhook",
        source="zendesk",
        dedupe_key=f"zendesk:invocation:{key}",
        payload={"ticket_id": ticket_id},
    )


def write_config(folder: Path, with_flow: bool = True, **tables: Any) -> Path:
    """A handoff.toml with the store in `folder`, the test [tickets] table, and `tables`."""
    chosen: dict[str, Any] = {"store": {"url": f"sqlite:///{folder / 'hub.db'}"}}
    if with_flow:
        chosen["tickets"] = TABLE
    chosen.update(tables)
    path = folder / "handoff.toml"
    path.write_text(toml_tables(chosen))
    return path


def inline(value: object) -> str:
    """A TOML inline value (JSON's lists and strings are TOML; objects become inline tables)."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {inline(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(inline(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)


def toml_tables(tables: dict[str, Any]) -> str:
    """handoff.toml text for these tables (scalars first, lists of tables as [[...]])."""
    lines: list[str] = []
    for name, table in tables.items():
        lines.append(f"[{name}]")
        lines += [f"{k} = {inline(v)}" for k, v in table.items() if not _nested(v)]
        for key, value in table.items():
            if isinstance(value, list) and value and isinstance(value[0], dict):
                for item in value:
                    lines.append(f"[[{name}.{key}]]")
                    lines += [f"{k} = {inline(v)}" for k, v in item.items()]
            elif isinstance(value, dict):
                lines.append(f"[{name}.{key}]")
                lines += [f"{k} = {inline(v)}" for k, v in value.items()]
    return "\n".join(lines) + "\n"


def _nested(value: Any) -> bool:
    return isinstance(value, dict) or (
        isinstance(value, list) and bool(value) and isinstance(value[0], dict)
    )

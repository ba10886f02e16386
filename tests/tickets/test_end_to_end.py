"""Tickets to sales end to end, over real sockets (Z2-Z6).

A signed Zendesk webhook goes to `handoff serve`'s app (the hub built from a
handoff.toml whose connectors point at the Zendesk, Salesforce and Slack
simulators), the worker decides and runs the jobs, and the simulators'
request logs show what reached the vendors: the assignee, the macro, the
"Escalated to Sales" field and the internal note, once, however often the
webhook is delivered; then the daily reviews ping Slack, the second one
copying the rep's manager, until the rep answers. A renewal goes to the owner
of the account's open renewal opportunity, or, when the CRM's owners are the
"SFDC Admin" placeholder, to the territory's rep (Z4), and its pings go to
#account-management.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from handoff_salesforce.simulator import ADMIN_USER, SalesforceSimulator
from handoff_slack.simulator import SlackSimulator
from handoff_zendesk.simulator import ZendeskSimulator
from tickets_helpers import CHANGE_FIELD, PO_FIELD, REQUEST_FIELD, TABLE, drain, write_config

from handoff.config import load_config
from handoff.flow import Services
from handoff.flows import FlowSet, install_periodic
from handoff.hub import Hub
from handoff.runtime import Worker
from handoff.store import Decision, Store, upgrade
from handoff.tickets.queue import queue
from handoff_sdk import DictSecrets, FakeClock, WebhookScheme, sign_webhook
from handoff_sdk.entities import Case
from handoff_sdk.testing import SimulatorServer
from handoff_sdk.testing.company import COMPANY

Serve = Callable[[FastAPI], AbstractAsyncContextManager[httpx.AsyncClient]]
FIELD = 360000000042
WEBHOOK_SECRET = "synthetic-zendesk-webhook-secret"
ANA = COMPANY.person("ana-lima")  # at Adventure Works, whose owner is Taylor
TAYLOR = COMPANY.rep("sdr-taylor")
AVERY = COMPANY.rep("bdr-avery")  # Taylor's manager in the CRM
NORTHWIND = COMPANY.customer("northwind")  # 900 employees in France: MidMarket, EMEA
CHLOE = COMPANY.person("chloe-durand")  # at Northwind, whose owner is Camille
CAMILLE = COMPANY.rep("sdr-camille")
JONAS = COMPANY.rep("bdr-jonas")
LUKAS = COMPANY.rep("sdr-lukas")
RENEWALS_TABLE = {
    **TABLE,
    "territories": [
        {"segment": "MidMarket", "region": "EMEA", "rep": LUKAS.salesforce_id, "name": LUKAS.name},
        {"segment": "Large", "region": "EMEA", "rep": JONAS.salesforce_id, "name": JONAS.name},
    ],
}
"""The test table with territories whose reps are the company's (CRM users, agents)."""


@dataclass
class World:
    """The hub wired to the three simulators, and what the test reads."""

    store: Store
    hub: Hub
    app: FastAPI
    worker: Worker
    flows: FlowSet
    zendesk: ZendeskSimulator
    salesforce: SalesforceSimulator
    slack: SlackSimulator


@pytest.fixture
def tickets_table() -> dict[str, Any]:
    """The [tickets] table of the hub under test (a test overrides it with a parameter)."""
    return TABLE


@pytest.fixture
async def world(
    tmp_path: Path, clock: FakeClock, tickets_table: dict[str, Any]
) -> AsyncIterator[World]:
    sims = {
        "zendesk": ZendeskSimulator(clock=clock),
        "salesforce": SalesforceSimulator(clock=clock),
        "slack": SlackSimulator(clock=clock),
    }
    async with AsyncExitStack() as stack:
        servers = {
            name: await stack.enter_async_context(SimulatorServer(sim, tls=True))
            for name, sim in sims.items()
        }
        connectors: dict[str, Any] = {
            name: sim.connector_config(servers[name].url) for name, sim in sims.items()
        }
        connectors["zendesk"]["escalated_to_sales_field_id"] = FIELD
        path = write_config(tmp_path, connectors=connectors, tickets=tickets_table)
        config = load_config(path)
        secrets = {name: sim.connector_secrets() for name, sim in sims.items()}
        secrets["zendesk"]["webhook_signing_secret"] = WEBHOOK_SECRET
        hub = Hub(
            config,
            secrets=lambda name: DictSecrets(name, secrets[name]),
            clock=clock,
            transport=lambda name: httpx.AsyncHTTPTransport(verify=servers[name].verify),
        )
        stack.push_async_callback(hub.aclose)
        store = Store(str(config.store.url))
        upgrade(store)
        # As `handoff serve --config handoff.toml` assembles it (handoff.cli.serve).
        flows = FlowSet(Services(config, store, clock, lambda: hub))
        app = flows.app()
        worker = Worker(
            store,
            hub=hub,
            clock=clock,
            events=flows.event_handler(),
            handlers=flows.job_runners(),
        )
        yield World(store, hub, app, worker, flows, *sims.values())  # type: ignore[arg-type]
        store.dispose()


async def open_request(world: World) -> str:
    """Ana asks for a quote and has a purchase order (Z3): a new ticket in Zendesk."""
    case = Case(
        subject="Quote for 200 seats",
        description="We need a quote for 200 seats; we pay by purchase order.",
        fields={
            "requester_id": ANA.zendesk_id,
            "custom_fields": [
                {"id": int(REQUEST_FIELD), "value": "new_business"},
                {"id": int(PO_FIELD), "value": True},
            ],
        },
    )
    created = await world.hub.create_case("zendesk", case, "e2e-open")
    assert created.ok
    return str(created.id)


def signed(ticket_id: str, invocation: str, clock: FakeClock) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"ticket_id": ticket_id}).encode()
    headers = sign_webhook(
        WebhookScheme.ZENDESK, secret=WEBHOOK_SECRET, body=body, timestamp=clock.now()
    )
    headers["x-zendesk-webhook-invocation-id"] = invocation
    headers["content-type"] = "application/json"
    return body, headers


def bodies(world: World, endpoint: str) -> list[Any]:
    return [s.body for s in world.zendesk.calls(endpoint)]


async def test_z2_a_signed_webhook_delivered_twice_passes_the_ticket_once(
    world: World, clock: FakeClock, loopback: Serve
) -> None:
    ticket_id = await open_request(world)
    async with loopback(world.app) as client:
        body, headers = signed(ticket_id, "inv-1", clock)
        first = await client.post("/webhooks/zendesk", content=body, headers=headers)
        again = await client.post("/webhooks/zendesk", content=body, headers=headers)
        forged = await client.post(
            "/webhooks/zendesk",
            content=body,
            headers={**headers, "x-zendesk-webhook-signature": "bm9wZQ=="},
        )
        await drain(world.worker)
        # The trigger fires again for another change of the same ticket, later: a new event.
        clock.advance(60)
        body2, headers2 = signed(ticket_id, "inv-2", clock)
        later = await client.post("/webhooks/zendesk", content=body2, headers=headers2)
        await drain(world.worker)
    assert (first.status_code, again.status_code, forged.status_code, later.status_code) == (
        202,
        202,
        401,
        202,
    )
    assert again.json()["events"][0]["duplicate"] is True
    assert later.json()["events"][0]["duplicate"] is False

    updates = bodies(world, "update_ticket")
    assert len(updates) == 2  # the macro, then the pass: each once
    [macro_update] = [u["ticket"] for u in updates if u["ticket"].get("safe_update")]
    assert macro_update["status"] == "pending"  # what "Pass to Sales" does
    assert "sales" in macro_update["tags"]
    assert macro_update["comment"]["body"] == "Pass to Sales: handed over."
    [pass_update] = [u["ticket"] for u in updates if not u["ticket"].get("safe_update")]
    taylor_agent = await world.hub.connectors["zendesk"].agent_id(TAYLOR.email)  # type: ignore[attr-defined]
    assert pass_update["assignee_id"] == taylor_agent
    assert pass_update["custom_fields"] == [{"id": FIELD, "value": True}]
    assert pass_update["comment"]["public"] is False
    note = pass_update["comment"]["body"]
    assert note.startswith(f"handoff: passed to {TAYLOR.name} (account owner)")
    assert "purchase_order" in note
    assert note.endswith("Rules: Z2, Z3, Z1")
    assert len(world.zendesk.calls("preview_macro")) == 1
    with world.store.sessions() as session:
        decisions = list(session.query(Decision))
    assert [d.outcome["action"] for d in decisions] == ["pass"]

    ticket = await world.hub.get_ticket("zendesk", ticket_id)
    assert (ticket.assignee_email, ticket.escalated_to_sales, ticket.status) == (
        TAYLOR.email,
        True,
        "pending",
    )


async def test_z6_daily_reviews_ping_sales_then_copy_the_manager_until_the_rep_answers(
    world: World, clock: FakeClock, loopback: Serve
) -> None:
    ticket_id = await open_request(world)
    install_periodic(world.store, world.flows.periodic(), now=clock.now())  # Monday 09:00
    async with loopback(world.app) as client:
        body, headers = signed(ticket_id, "inv-1", clock)
        assert (
            await client.post("/webhooks/zendesk", content=body, headers=headers)
        ).status_code == 202
    await drain(world.worker)

    def posts() -> list[dict[str, Any]]:
        return [s.body for s in world.slack.calls("chat_post_message")]

    clock.advance(timedelta(days=1).total_seconds())  # Tuesday 09:00: a day unanswered
    await drain(world.worker)
    [first] = posts()
    assert first["channel"] == "#sales"
    assert f"<@{TAYLOR.slack_id}>" in first["text"]
    assert f"<@{AVERY.slack_id}>" not in first["text"]

    clock.advance(timedelta(days=1).total_seconds())  # Wednesday: the second ping
    await drain(world.worker)
    second = posts()[1]
    assert f"<@{TAYLOR.slack_id}>" in second["text"]
    assert f"<@{AVERY.slack_id}>" in second["text"]

    # Taylor answers in Zendesk; the next review drops the ticket from the queue.
    taylor_agent = await world.hub.connectors["zendesk"].agent_id(TAYLOR.email)  # type: ignore[attr-defined]
    await world.hub.connectors["zendesk"].update_ticket(  # type: ignore[attr-defined]
        int(ticket_id), {"comment": {"body": "Quote sent.", "author_id": taylor_agent}}
    )
    clock.advance(timedelta(days=1).total_seconds())
    await drain(world.worker)
    assert len(posts()) == 2
    with world.store.sessions() as session:
        assert queue(session) == []
        [row] = queue(session, include_dropped=True)
    assert (row.ticket_id, row.last_action) == (ticket_id, "answered")
    assert TABLE["follow_up"]["unanswered_after_hours"] == 24


@pytest.mark.parametrize("tickets_table", [{**TABLE, "poll": "*/5 * * * *"}])
async def test_z2_without_webhooks_the_poll_finds_the_ticket_and_passes_it(
    world: World, clock: FakeClock
) -> None:
    """The `tickets.poll` periodic job reads Zendesk's incremental export (its cursor kept)."""
    install_periodic(world.store, world.flows.periodic(), now=clock.now())
    clock.advance(timedelta(minutes=5).total_seconds())  # 09:05, the first poll: "from now"
    await drain(world.worker)
    [first] = world.zendesk.calls("export_tickets")
    assert first.query.startswith("start_time=")
    ticket_id = await open_request(world)
    clock.advance(timedelta(minutes=5).total_seconds())  # 09:10: on from the stored cursor
    await drain(world.worker)
    second = world.zendesk.calls("export_tickets")[1]
    assert second.query.startswith("cursor=")
    ticket = await world.hub.get_ticket("zendesk", ticket_id)
    assert (ticket.assignee_email, ticket.escalated_to_sales) == (TAYLOR.email, True)
    clock.advance(timedelta(minutes=5).total_seconds())  # the pass changed the ticket again
    await drain(world.worker)
    passes = [b for b in bodies(world, "update_ticket") if not b["ticket"].get("safe_update")]
    assert len(passes) == 1


async def open_renewal(world: World) -> str:
    """Chloe at Northwind wants to downgrade her tier at renewal (Z5): a new ticket in Zendesk."""
    case = Case(
        subject="Renewal: moving to a smaller tier",
        description="At renewal we would like to move down to the Premium tier.",
        fields={
            "requester_id": CHLOE.zendesk_id,
            "custom_fields": [
                {"id": int(REQUEST_FIELD), "value": "renewal"},
                {"id": int(CHANGE_FIELD), "value": "tier_downgrade"},
            ],
        },
    )
    created = await world.hub.create_case("zendesk", case, "e2e-renewal")
    assert created.ok
    return str(created.id)


def crm_record(world: World, kind: str, **match: str) -> dict[str, Any]:
    """The Salesforce simulator's record of `kind` whose fields have these values."""
    records = world.salesforce.account.data[kind]
    return next(r for r in records if all(r.get(k) == v for k, v in match.items()))


async def pass_it(
    world: World, clock: FakeClock, loopback: Serve, ticket_id: str
) -> dict[str, Any]:
    """Deliver the signed webhook twice, run the worker; the one update that passed it."""
    async with loopback(world.app) as client:
        body, headers = signed(ticket_id, "inv-renewal", clock)
        for _ in range(2):
            answer = await client.post("/webhooks/zendesk", content=body, headers=headers)
            assert answer.status_code == 202
    await drain(world.worker)
    updates = [b["ticket"] for b in bodies(world, "update_ticket")]
    assert len(updates) == 2, "the macro, then the pass: each once for two deliveries"
    [passed] = [u for u in updates if not u.get("safe_update")]
    return dict(passed)


@pytest.mark.parametrize("tickets_table", [RENEWALS_TABLE])
async def test_z4_a_renewal_goes_to_the_owner_of_the_upcoming_renewal_opportunity(
    world: World, clock: FakeClock, loopback: Serve
) -> None:
    """The renewal's owner (Jonas), not the account's (Camille), takes it; Z5 reason in the note."""
    renewal = crm_record(world, "Opportunity", AccountId=NORTHWIND.salesforce_id, Type="Renewal")
    renewal["OwnerId"] = JONAS.salesforce_id
    assert crm_record(world, "Account", Id=NORTHWIND.salesforce_id)["OwnerId"] == (
        CAMILLE.salesforce_id
    )
    ticket_id = await open_renewal(world)
    passed = await pass_it(world, clock, loopback, ticket_id)
    jonas_agent = await world.hub.connectors["zendesk"].agent_id(JONAS.email)  # type: ignore[attr-defined]
    assert passed["assignee_id"] == jonas_agent
    assert passed["custom_fields"] == [{"id": FIELD, "value": True}]
    note = passed["comment"]["body"]
    assert note.startswith(f"handoff: passed to {JONAS.name} (renewal owner)")
    assert f"renewal {renewal['Name']}" in note
    assert "tier_downgrade" in note
    assert note.endswith("Rules: Z4, Z5, Z1")
    with world.store.sessions() as session:
        [decision] = list(session.query(Decision))
    assert (decision.outcome["kind"], decision.outcome["route"]) == ("renewal", "renewal_owner")
    assert decision.outcome["segment"] == "MidMarket"
    ticket = await world.hub.get_ticket("zendesk", ticket_id)
    assert (ticket.assignee_email, ticket.escalated_to_sales) == (JONAS.email, True)


@pytest.mark.parametrize("tickets_table", [RENEWALS_TABLE])
async def test_z4_an_sfdc_admin_owner_sends_the_renewal_to_the_territory_rep_and_z6_pings_am(
    world: World, clock: FakeClock, loopback: Serve
) -> None:
    """SFDC Admin owns the renewal and the account: MidMarket x EMEA's rep; #account-management."""
    crm_record(world, "Opportunity", AccountId=NORTHWIND.salesforce_id)["OwnerId"] = ADMIN_USER
    crm_record(world, "Account", Id=NORTHWIND.salesforce_id)["OwnerId"] = ADMIN_USER
    install_periodic(world.store, world.flows.periodic(), now=clock.now())  # Monday 09:00
    ticket_id = await open_renewal(world)
    passed = await pass_it(world, clock, loopback, ticket_id)
    lukas_agent = await world.hub.connectors["zendesk"].agent_id(LUKAS.email)  # type: ignore[attr-defined]
    assert passed["assignee_id"] == lukas_agent
    note = passed["comment"]["body"]
    assert note.startswith(f"handoff: passed to {LUKAS.name} (territory MidMarket x EMEA)")
    assert "owner SFDC Admin" in note
    assert "Z4 territory: territory MidMarket x EMEA" in note
    assert note.endswith("Rules: Z4, Z5, Z1")
    with world.store.sessions() as session:
        [decision] = list(session.query(Decision))
    assert (decision.outcome["route"], decision.outcome["region"]) == ("territory", "EMEA")
    passed_over = " ".join(decision.explanation["not_matched"])
    assert "renewal owner: owner SFDC Admin is an admin placeholder" in passed_over
    assert "account owner: owner SFDC Admin is an admin placeholder" in passed_over

    clock.advance(timedelta(days=1).total_seconds())  # Tuesday 09:00: a day unanswered
    await drain(world.worker)
    [ping] = [s.body for s in world.slack.calls("chat_post_message")]
    assert ping["channel"] == "#account-management"
    assert f"<@{LUKAS.slack_id}>" in ping["text"]

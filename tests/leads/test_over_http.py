"""The leads flow end to end over real sockets: the hub's app, the worker, and the Salesforce,
Marketo and SMTP simulators (D2, D3, D7, D8, Q13, write-back).

The hub is assembled as `handoff serve` assembles it, with connectors pointing at
the simulators; the simulators' stores and the SMTP relay's messages show what
reached the vendors.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from handoff_email.simulator import EmailSimulator
from handoff_marketo.simulator import MarketoSimulator
from handoff_salesforce.simulator import SalesforceSimulator, sfid

from handoff.config import HubConfig
from handoff.flow import Services
from handoff.flows import FlowSet
from handoff.hub import Hub
from handoff.runtime import Worker
from handoff.server import create_app
from handoff.store import Store
from handoff_sdk import DictSecrets, FakeClock, WebhookScheme, sign_webhook
from handoff_sdk.testing import SimulatorServer
from handoff_sdk.testing.company import COMPANY

Serve = Callable[[FastAPI], AbstractAsyncContextManager[httpx.AsyncClient]]
SIGNUP_SECRET = "synthetic-signup-secret"
UNSUBSCRIBE_SECRET = "synthetic-unsubscribe-secret"

LEADS: dict[str, Any] = {
    "crm": "salesforce",
    "marketing": "marketo",
    "notify": "email",
    "mailer": "email",
    "sources": [
        {"id": "buy-now", "signups": ["purchase"], "buy_now": True, "lead_source": "Web Direct"},
        {"id": "trial", "signups": ["trial"], "lead_source": "Trial"},
    ],
    "assignment": {
        "reps": [{"id": "nia", "name": "Nia Ford", "email": "nia@hub.example"}],
        "teams": [{"name": "bdr-na", "members": ["nia"]}],
        "rules": [
            {
                "id": "account-owner",
                "when": {"field": "account.owner_id", "exists": True},
                "assign": "account_owner",
            },
            {"id": "na", "assign": "team:bdr-na"},
        ],
    },
    "signups": {"notify_team": "bdr-na"},
    "subscriptions": {"public_url": "https://hub.example"},
    "activities": [
        {
            "action": "form_qualified",
            "subject": "Form qualified (handoff)",
            "campaign": "701Hd000000001AAA",
        }
    ],
    "writeback": {"crm_fields": {"status": "Status", "score": "Lead_Score__c"}},
}


@dataclass
class World:
    store: Store
    hub: Hub
    app: FastAPI
    worker: Worker
    clock: FakeClock
    salesforce: SalesforceSimulator
    marketo: MarketoSimulator
    smtp: EmailSimulator

    async def drain(self) -> None:
        while await self.worker.run_once():
            pass


@pytest.fixture
async def world(
    store: Store, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[World]:
    monkeypatch.setenv("HANDOFF_LEADS_SIGNUP_SECRET", SIGNUP_SECRET)
    monkeypatch.setenv("HANDOFF_LEADS_UNSUBSCRIBE_SECRET", UNSUBSCRIBE_SECRET)
    salesforce = SalesforceSimulator(clock=clock)
    marketo = MarketoSimulator(clock=clock)
    with EmailSimulator() as smtp:
        async with AsyncExitStack() as stack:
            servers = {
                name: await stack.enter_async_context(SimulatorServer(sim, tls=True))
                for name, sim in (("salesforce", salesforce), ("marketo", marketo))
            }
            connectors = {
                "salesforce": {"settings": salesforce.connector_config(servers["salesforce"].url)},
                "marketo": {"settings": marketo.connector_config(servers["marketo"].url)},
                "email": {"settings": smtp.connector_config(smtp.url)},
            }
            config = HubConfig.model_validate({"connectors": connectors, "leads": LEADS})
            secrets = {
                "salesforce": salesforce.connector_secrets(),
                "marketo": marketo.connector_secrets(),
                "email": smtp.connector_secrets(),
            }
            hub = Hub(
                config,
                secrets=lambda name: DictSecrets(name, secrets[name]),
                clock=clock,
                transport=lambda name: httpx.AsyncHTTPTransport(
                    verify=servers[name].verify if name in servers else True
                ),
            )
            stack.push_async_callback(hub.aclose)
            flows = FlowSet(Services(config, store, clock, lambda: hub))
            app = create_app(
                store,
                config=config,
                hub=hub,
                clock=clock,
                events=flows.event_handler(),
                handlers=flows.job_runners(),
            )
            worker = Worker(
                store,
                hub=hub,
                clock=clock,
                events=flows.event_handler(),
                handlers=flows.job_runners(),
            )
            yield World(store, hub, app, worker, clock, salesforce, marketo, smtp)


def signed(
    body: dict[str, Any], clock: FakeClock, secret: str = SIGNUP_SECRET
) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(body).encode()
    headers = sign_webhook(WebhookScheme.HANDOFF, secret=secret, body=raw, timestamp=clock.now())
    return raw, {**headers, "content-type": "application/json"}


async def test_d8_a_signed_buy_now_is_forwarded_to_marketo_the_team_told_the_account_kept(
    world: World, loopback: Serve
) -> None:
    purchase = {
        "id": "order-1",
        "kind": "purchase",
        "email": "buyer@acme.example",
        "first_name": "Bo",
        "last_name": "Buyer",
        "company": "Acme Corporation",
        "plan": "premium",
    }
    async with loopback(world.app) as client:
        raw, headers = signed(purchase, world.clock)
        accepted = await client.post("/v1/signups", content=raw, headers=headers)
        forged_raw, forged = signed(purchase, world.clock, secret="not-the-secret")
        refused = await client.post("/v1/signups", content=forged_raw, headers=forged)
        await world.drain()
    assert accepted.status_code == 202, accepted.text
    assert refused.status_code == 401
    stored = world.marketo.account.data["leads"]["buyer@acme.example"]
    assert (stored["firstName"], stored["lastName"], stored["company"]) == (
        "Bo",
        "Buyer",
        "Acme Corporation",
    )
    assert stored["leadSource"] == "Web Direct"
    acme = next(a for a in world.salesforce.account.data["Account"] if a["Id"] == sfid("001", 1))
    assert acme["Type"] == "Customer"  # Buy Now updated the known account
    told = {tuple(m.rcpt_tos): m.message["Subject"] for m in world.smtp.messages}
    assert told[("nia@hub.example",)] == "New purchase: buyer@acme.example"  # the BDR team
    owner = next(u for u in world.salesforce.account.data["User"] if u["Id"] == acme["OwnerId"])
    assert told[(owner["Email"],)].startswith("Buy Now: Acme Corporation")  # the owner


async def test_d2_d3_d7_q13_a_known_account_qualified_introduced_unsubscribed_written_back(
    world: World, loopback: Serve
) -> None:
    email = "pat.lee@acme.example"  # a Contact at Acme in the CRM
    async with loopback(world.app) as client:
        raw, headers = signed(
            {"id": "trial-1", "kind": "trial", "email": email, "first_name": "Pat"}, world.clock
        )
        assert (await client.post("/v1/signups", content=raw, headers=headers)).status_code == 202
        await world.drain()
        lead = (await client.get(f"/v1/leads/{email}")).json()
        assert lead["owner"]["id"] == sfid("005", 10)  # D2: the account's owner
        qualified = await client.post(
            f"/v1/leads/{email}/bant", json={"budget": True, "need": True}
        )
        assert qualified.status_code == 200, qualified.text
        await world.drain()
        [intro] = [m for m in world.smtp.messages if m.rcpt_tos == [email]]
        message = intro.message
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        url = re.search(r"<(https://hub\.example[^>]+)>", str(message["List-Unsubscribe"]))
        assert url is not None
        path = httpx.URL(url.group(1)).path
        assert (await client.get(path)).status_code == 200  # a GET only shows the button
        assert (await client.get(f"/v1/leads/{email}")).json()["opt_out"] is False
        unsubscribed = await client.post(path, content=b"List-Unsubscribe=One-Click")
        assert unsubscribed.status_code == 200
        assert (await client.get(f"/v1/leads/{email}")).json()["opt_out"] is True
        bogus = await client.post("/v1/unsubscribe/cGF0.forged")
        assert bogus.status_code == 404
        programs = (await client.get("/v1/marketing/programs")).json()["programs"]
        world.clock.advance(120)
        await world.drain()
    assert programs
    assert all(p["tags"].get("UsedWithQualified") == "True" for p in programs)
    [task] = world.salesforce.account.data["Task"]  # Q13
    assert task["Subject"] == "Form qualified (handoff)"
    [member] = world.salesforce.account.data["CampaignMember"]
    assert member["CampaignId"] == "701Hd000000001AAA"
    written = [r for r in world.salesforce.account.data["Lead"] if r.get("Email") == email]
    assert written[-1]["Status"] == "Qualified"  # write-back, in one batch
    assert "leadScore" in world.marketo.account.data["leads"][email]


async def test_d6_the_escalation_goes_to_the_manager_on_the_crm_user_record(
    world: World, loopback: Serve
) -> None:
    """Ana's account is owned by Taylor, who is in no [leads.assignment] rep list: the
    manager comes from Taylor's Salesforce user record (Avery), read when escalating."""
    ana, taylor, avery = (
        COMPANY.person("ana-lima"),
        COMPANY.rep("sdr-taylor"),
        COMPANY.rep("bdr-avery"),
    )
    async with loopback(world.app) as client:
        raw, headers = signed({"id": "trial-ana", "kind": "trial", "email": ana.email}, world.clock)
        assert (await client.post("/v1/signups", content=raw, headers=headers)).status_code == 202
        await world.drain()
        lead = (await client.get(f"/v1/leads/{ana.email}")).json()
        assert lead["owner"]["id"] == taylor.salesforce_id
        passed = await client.post(
            f"/v1/leads/{ana.email}/bant", json={"authority": True, "timeline": True}
        )
        assert passed.json()["lead"]["status"] == "Qualified"
        await world.drain()
        world.clock.advance(3 * 86_400)  # [leads.follow_up] defaults: 3 days, then 2 more
        await world.drain()
        world.clock.advance(2 * 86_400)
        await world.drain()
    subjects = {(tuple(m.rcpt_tos), str(m.message["Subject"])) for m in world.smtp.messages}
    assert ((taylor.email,), f"Reminder: follow up {ana.email}") in subjects
    assert ((avery.email,), f"Escalation: {ana.email} has had no follow-up") in subjects

"""Q16 (2) content-syndication AI outreach, and its switch (Q17), end to end over real sockets:
the hub's app and worker with the Salesforce simulator (TLS) and the SMTP simulator.

Sam (a Lead) and Pat (a Contact) join the CRM campaign: each is routed to an SDR by round
robin, gets that SDR's outreach (Reply-To the SDR), and has the AI checkbox ticked on the CRM
record, the Lead's status untouched; the campaign ends: both boxes clear.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from handoff_email.simulator import EmailSimulator
from handoff_salesforce.simulator import SalesforceSimulator
from sqlalchemy import select

from handoff.config import HubConfig
from handoff.flow import Services
from handoff.flows import FlowSet
from handoff.hub import Hub
from handoff.runtime import Worker
from handoff.server import create_app
from handoff.store import Decision, Store
from handoff_sdk import DictSecrets, FakeClock
from handoff_sdk.testing import SimulatorServer

Serve = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]
CAMPAIGN = "701Hd00000SYND1AAA"
SAM = ("sam.rivera@globex.example", "00QHd0000000040AAA")  # a Lead, Open
PAT = ("pat.lee@acme.example", "003Hd0000000030AAA")  # a Contact
SDRS = [
    {"id": "sdr-taylor", "name": "Taylor Brooks", "email": "taylor.brooks@example.test",
     "crm_id": "005Hd0000000301AAA"},
    {"id": "sdr-jordan", "name": "Jordan Diaz", "email": "jordan.diaz@example.test",
     "crm_id": "005Hd0000000302AAA"},
]  # fmt: skip
AI: dict[str, Any] = {
    "company": "Acme",
    "support_url": "https://support.acme.example/",
    "email": {
        "syndication": [
            {
                "id": "cs-devops-guide",
                "crm_campaign": CAMPAIGN,
                "checkbox": "AI_Outreach__c",
                "sdr_field": "AI_SDR__c",
                "sdrs": SDRS,
            }
        ]
    },
}


@dataclass
class World:
    store: Store
    app: FastAPI
    worker: Worker
    salesforce: SalesforceSimulator
    smtp: EmailSimulator

    async def drain(self) -> None:
        while await self.worker.run_once():
            pass

    def record(self, sobject: str, ident: str) -> dict[str, Any]:
        rows = self.salesforce.account.data[sobject]
        found: dict[str, Any] = next(r for r in rows if r["Id"] == ident)
        return found


@pytest.fixture
async def world(
    store: Store, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[World]:
    monkeypatch.setenv("HANDOFF_LEADS_UNSUBSCRIBE_SECRET", "synthetic-unsubscribe-secret")
    salesforce = SalesforceSimulator(clock=clock)
    with EmailSimulator() as smtp:
        async with AsyncExitStack() as stack:
            server = await stack.enter_async_context(SimulatorServer(salesforce, tls=True))
            config = HubConfig.model_validate(
                {
                    "connectors": {
                        "salesforce": {"settings": salesforce.connector_config(server.url)},
                        "email": {"settings": smtp.connector_config(smtp.url)},
                    },
                    "leads": {
                        "crm": "salesforce",
                        "mailer": "email",
                        "subscriptions": {"public_url": "https://hub.example"},
                    },
                    "ai": AI,
                }
            )
            secrets = {
                "salesforce": salesforce.connector_secrets(),
                "email": smtp.connector_secrets(),
            }
            hub = Hub(
                config,
                secrets=lambda name: DictSecrets(name, secrets[name]),
                clock=clock,
                transport=lambda name: httpx.AsyncHTTPTransport(
                    verify=server.verify if name == "salesforce" else True
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
            yield World(store, app, worker, salesforce, smtp)


def added(ident: str, who: tuple[str, str], record_type: str) -> dict[str, Any]:
    return {
        "id": ident,
        "campaign_id": CAMPAIGN,
        "kind": "member_added",
        "email": who[0],
        "record_type": record_type,
        "record_id": who[1],
    }


async def test_q16_q17_syndication_members_get_sdr_outreach_the_box_ticked_then_cleared(
    world: World, loopback: Serve
) -> None:
    """Q16 (2): each member is routed to an SDR (round robin), gets the SDR's outreach, and has
    the checkbox ticked with the SDR named, the Lead's status unchanged; the campaign ends: the
    boxes clear."""
    async with loopback(world.app) as client:
        for body in (added("m-1", SAM, "lead"), added("m-2", PAT, "contact")):
            answer = await client.post("/v1/crm-campaign-events", json=body)
            assert answer.status_code == 202, answer.text
        again = await client.post("/v1/crm-campaign-events", json=added("m-1b", SAM, "lead"))
        assert again.status_code == 202
        bad = await client.post(
            "/v1/crm-campaign-events",
            json={"id": "m-x", "campaign_id": CAMPAIGN, "kind": "member_added"},
        )
        assert bad.status_code == 422
        await world.drain()
        sam, pat = world.record("Lead", SAM[1]), world.record("Contact", PAT[1])
        assert (sam["AI_Outreach__c"], sam["Status"]) == (True, "Open")  # status unchanged
        assert pat["AI_Outreach__c"] is True
        assert {sam["AI_SDR__c"], pat["AI_SDR__c"]} == {s["crm_id"] for s in SDRS}  # round robin
        mails = {m.rcpt_tos[0]: m.message for m in world.smtp.messages}
        assert set(mails) == {SAM[0], PAT[0]}  # once each, though Sam was added twice
        by_crm = {s["crm_id"]: s for s in SDRS}
        assert mails[SAM[0]]["Reply-To"] == by_crm[sam["AI_SDR__c"]]["email"]
        assert by_crm[sam["AI_SDR__c"]]["name"] in mails[SAM[0]].get_content()
        assert mails[SAM[0]]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        ended = {"id": "end-1", "campaign_id": CAMPAIGN, "kind": "ended"}
        assert (await client.post("/v1/crm-campaign-events", json=ended)).status_code == 202
        await world.drain()
    assert world.record("Lead", SAM[1])["AI_Outreach__c"] is False
    assert world.record("Contact", PAT[1])["AI_Outreach__c"] is False
    assert world.record("Lead", SAM[1])["Status"] == "Open"
    with world.store.sessions() as session:
        steps = [
            (d.subject_id, d.outcome["state"])
            for d in session.scalars(
                select(Decision).where(Decision.kind == "ai.syndication").order_by(Decision.id)
            )
        ]
    assert sorted(steps[:2]) == [(PAT[0], "active"), (SAM[0], "active")]
    assert sorted(steps[2:]) == [(PAT[0], "ended"), (SAM[0], "ended")]


async def test_q17_a_syndication_campaign_switched_off_reaches_out_to_nobody(
    world: World, loopback: Serve, new_key: Callable[..., dict[str, str]]
) -> None:
    """Q17: the syndication campaign switched off on its own: a new member gets no outreach and
    no checkbox; switched back on, the next member does."""
    ops = new_key(world.store, "ops")
    async with loopback(world.app) as client:
        off = await client.post("/v1/ai/campaigns/cs-devops-guide/off", headers=ops)
        assert off.json()["changed"] is True
        await client.post("/v1/crm-campaign-events", json=added("m-3", SAM, "lead"))
        await world.drain()
        assert world.smtp.messages == []
        assert "AI_Outreach__c" not in world.record("Lead", SAM[1])
        on = await client.post("/v1/ai/campaigns/cs-devops-guide/on", headers=ops)
        assert on.json()["enabled"] is True
        await client.post("/v1/crm-campaign-events", json=added("m-4", PAT, "contact"))
        await world.drain()
    assert [m.rcpt_tos for m in world.smtp.messages] == [[PAT[0]]]
    assert world.record("Contact", PAT[1])["AI_Outreach__c"] is True

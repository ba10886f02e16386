"""Q16 and the campaign switch (Q17) end to end over real sockets: the hub's app, the worker and
the SMTP simulator; the timers driven by the injected clock.

A visitor (a lead since their contact-sales form) is offered Avery's meeting slots and does
not book: two hours later Avery's follow-up goes out through the leads flow's mailer (Reply-To
Avery), the lead moves to Accepted, then to Qualifying on a reply or Recycle after 7 silent days.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from fastapi import FastAPI
from handoff_email.simulator import EmailSimulator
from sqlalchemy import select

from handoff.chat.conversations import record_conversation_event
from handoff.cli import cli
from handoff.config import HubConfig
from handoff.flow import Services
from handoff.flows import FlowSet
from handoff.hub import Hub
from handoff.runtime import Worker
from handoff.server import create_app
from handoff.store import Audit, Decision, Store
from handoff_sdk import DictSecrets, FakeClock

Serve = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]
KIM = "kim@litware.example"
AVERY = {"id": "bdr-avery", "name": "Avery Stone", "email": "avery.stone@example.test"}
HOUR = 3600

LEADS: dict[str, Any] = {
    "mailer": "email",
    "sources": [{"id": "contact-sales", "forms": ["contact-sales"]}],
    "scoring": {
        "threshold": 20,
        "behaviour": [{"kind": "meeting_offered", "points": 20}],
    },
    "subscriptions": {"public_url": "https://hub.example"},
}
AI: dict[str, Any] = {
    "company": "Acme",
    "support_url": "https://support.acme.example/",
    "email": {"follow_up": {"delay_hours": 2, "recycle_after_days": 7}},
}


@dataclass
class World:
    store: Store
    app: FastAPI
    worker: Worker
    clock: FakeClock
    smtp: EmailSimulator
    config: Path

    async def drain(self) -> None:
        while await self.worker.run_once():
            pass


@pytest.fixture
async def world(
    store: Store, clock: FakeClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[World]:
    monkeypatch.setenv("HANDOFF_LEADS_UNSUBSCRIBE_SECRET", "synthetic-unsubscribe-secret")
    with EmailSimulator() as smtp:
        config = HubConfig.model_validate(
            {
                "connectors": {"email": {"settings": smtp.connector_config(smtp.url)}},
                "leads": LEADS,
                "ai": AI,
            }
        )
        toml = tmp_path / "handoff.toml"
        toml.write_text(
            '[ai]\ncompany = "Acme"\nsupport_url = "https://support.acme.example/"\n'
            "[ai.email.follow_up]\ndelay_hours = 2\n"
        )
        hub = Hub(
            config,
            secrets=lambda name: DictSecrets(name, smtp.connector_secrets()),
            clock=clock,
        )
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
            store, hub=hub, clock=clock, events=flows.event_handler(), handlers=flows.job_runners()
        )
        try:
            yield World(store, app, worker, clock, smtp, toml)
        finally:
            await hub.aclose()


async def a_lead_offered_a_meeting(world: World, client: httpx.AsyncClient, ident: str) -> None:
    form = {"id": f"f-{ident}", "email": KIM, "form_id": "contact-sales"}
    assert (await client.post("/v1/form-submissions", json=form)).status_code == 202
    offer = {
        "id": f"o-{ident}",
        "conversation_id": f"c-{ident}",
        "email": KIM,
        "first_name": "Kim",
        "rep": AVERY,
    }
    offered = await client.post("/v1/meeting-offers", json=offer)
    assert offered.status_code == 202, offered.text
    await world.drain()


async def status(client: httpx.AsyncClient) -> str:
    lead = (await client.get(f"/v1/leads/{KIM}")).json()
    return str(lead["status"])


def follow_ups(store: Store) -> list[dict[str, Any]]:
    with store.sessions() as session:
        rows = session.scalars(
            select(Decision).where(Decision.kind == "ai.follow_up").order_by(Decision.id)
        )
        return [{**d.outcome, "why": d.explanation["why"]} for d in rows]


async def test_q16_no_booking_the_reps_email_goes_out_accepted_then_qualifying_on_a_reply(
    world: World, loopback: Serve
) -> None:
    """Q16: MQL on the offer; no email before the delay; then Avery's email (Reply-To Avery,
    one-click unsubscribe), Accepted; a reply: Qualifying."""
    async with loopback(world.app) as client:
        await a_lead_offered_a_meeting(world, client, "1")
        lead = (await client.get(f"/v1/leads/{KIM}")).json()
        assert lead["mql_at"] is not None  # the lead MQLs as usual (D4)
        world.clock.advance(2 * HOUR - 60)
        await world.drain()
        assert world.smtp.messages == []  # not before the delay
        world.clock.advance(60)
        await world.drain()
        [sent] = world.smtp.messages
        assert sent.rcpt_tos == [KIM]
        assert sent.message["Reply-To"] == AVERY["email"]
        assert "Avery Stone" in sent.message.get_content()
        assert sent.message["Subject"] == "Still keen to talk, Kim?"
        assert sent.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert await status(client) == "Accepted"
        reply = {"id": "t-1", "email": KIM, "kind": "reply"}
        assert (await client.post("/v1/lead-touches", json=reply)).status_code == 202
        await world.drain()
        assert await status(client) == "Qualifying"
        world.clock.advance(8 * 24 * HOUR)  # the recycle timer was cancelled by the reply
        await world.drain()
        assert await status(client) == "Qualifying"
    steps = [f["step"] for f in follow_ups(world.store)]
    assert steps == ["offered", "send", "sent", "reply"]


async def test_q16_nobody_replies_the_lead_is_recycled_after_the_configured_days(
    world: World, loopback: Serve
) -> None:
    """Q16: no reply and no booking within 7 days of the email: Recycle (actor ai)."""
    async with loopback(world.app) as client:
        await a_lead_offered_a_meeting(world, client, "2")
        world.clock.advance(2 * HOUR)
        await world.drain()
        assert await status(client) == "Accepted"
        world.clock.advance(7 * 24 * HOUR - 60)
        await world.drain()
        assert await status(client) == "Accepted"
        world.clock.advance(60)
        await world.drain()
        lead = (await client.get(f"/v1/leads/{KIM}")).json()
    assert lead["status"] == "Recycle"
    assert lead["history"][-1]["actor"] == "ai"


async def test_q16_a_booking_before_the_delay_sends_nothing(world: World, loopback: Serve) -> None:
    """Q16: the visitor books in that conversation: no follow-up, the status unchanged."""
    async with loopback(world.app) as client:
        await a_lead_offered_a_meeting(world, client, "3")
        before = await status(client)
        with world.store.transaction() as session:  # what the booking job stores (Q12)
            record_conversation_event(
                session, "c-3", "meeting_booked", now=world.clock.now(), rep_id="bdr-avery"
            )
        await world.drain()
        world.clock.advance(3 * HOUR)
        await world.drain()
        after = await status(client)
    assert world.smtp.messages == []
    assert after == before
    assert follow_ups(world.store)[-1]["step"] == "booked"


async def test_q17_a_campaign_switched_off_alone_in_one_audited_step_and_back_on(
    world: World, loopback: Serve, new_key: Callable[..., dict[str, str]]
) -> None:
    """Q17: ops switch the follow-up campaign off (audited with the key): a follow-up due then
    is not sent; switched on again (the CLI), the next offer is followed up."""
    ops = new_key(world.store, "ops")
    async with loopback(world.app) as client:
        listed = (await client.get("/v1/ai/campaigns", headers=ops)).json()
        assert listed["campaigns"] == [
            {
                "id": "meeting-follow-up",
                "enabled": True,
                "configured": True,
                "changed_by": None,
                "changed_at": None,
            }
        ]
        await a_lead_offered_a_meeting(world, client, "4")
        off = await client.post("/v1/ai/campaigns/meeting-follow-up/off", headers=ops)
        assert off.status_code == 200, off.text
        assert (off.json()["enabled"], off.json()["changed"]) == (False, True)
        unknown = await client.post("/v1/ai/campaigns/nope/off", headers=ops)
        assert unknown.status_code == 404
        rep_key = new_key(world.store, "ingest")
        denied = await client.post("/v1/ai/campaigns/meeting-follow-up/on", headers=rep_key)
        assert denied.status_code == 403
        world.clock.advance(2 * HOUR)
        await world.drain()
        assert world.smtp.messages == []
        assert "switched off" in follow_ups(world.store)[-1]["why"]
        result = CliRunner().invoke(
            cli,
            [
                *("ai", "campaigns", "on", "meeting-follow-up", "--actor", "ops-dana"),
                *("--config", str(world.config), "--database", str(world.store.engine.url)),
            ],
        )
        assert result.exit_code == 0, result.output
        assert "on (switched by cli:ops-dana)" in result.output
    with world.store.sessions() as session:
        audits = session.scalars(select(Audit).where(Audit.subject_type == "ai_campaign")).all()
    assert [(a.action, a.actor.split(" ")[0]) for a in audits] == [
        ("ai.campaign.off", f"key:{off.json()['actor'].split(':')[1].split(' ')[0]}"),
        ("ai.campaign.on", "cli:ops-dana"),
    ]
    assert off.json()["actor"].startswith("key:test-")  # the API key, as other audits name it

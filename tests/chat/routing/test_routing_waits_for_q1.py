"""Q1 before Q3, with several workers: a chat request is not routed before the same
visitor's earlier page view has been identified, however slow the identification.

Both events arrive over the API (a real socket); two workers run side by side. The
page view's enrichment hangs until the test releases it: without the per-subject
order the other worker would route the chat at once, on no identification (Q3e,
the default pool); with it, the chat waits and is routed on the page view's
account (Q3c, the account's BDR).
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from handoff.chat.identify import IdentifyVisitors
from handoff.chat.playbooks import load_playbook
from handoff.chat.routing.availability import set_rep_status
from handoff.chat.routing.handler import RoutingHandler
from handoff.config import HubConfig
from handoff.hub import HookOutcome, Hub
from handoff.plugins import Discovery
from handoff.runtime import CompositeHandler, Worker
from handoff.server import create_app
from handoff.store import Decision, Job, JobState, Store
from handoff_sdk import FakeClock
from handoff_sdk.entities import Account, Firmographics, RepStatus

TUESDAY = datetime(2026, 1, 6, 15, 0, tzinfo=UTC)  # 10:00 in New York
GITLAB = load_playbook("gitlab")


class SlowEnricherHub(Hub):
    """6sense answers for the visitor's IP only once released; Salesforce matches Northwind."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__(HubConfig(), discovery=Discovery(), clock=clock)
        self.released = asyncio.Event()
        self.asked = asyncio.Event()

    def implementing(self, hook: str) -> list[str]:
        return ["salesforce"] if hook == "handoff_match_account" else []

    async def call_all(self, hook: str, **kwargs: Any) -> list[HookOutcome[Any]]:
        if hook != "handoff_enrich_visitor" or not kwargs["visitor"].ip:
            return []
        self.asked.set()
        await self.released.wait()
        found = Firmographics(
            source="6sense", company_name="Northwind Traders", domain="northwind.example"
        )
        return [HookOutcome(connector="6sense", value=found)]

    async def call(self, connector: str, hook: str, **kwargs: Any) -> Any:
        assert hook == "handoff_match_account"
        return Account(
            name="Northwind Traders",
            ids={"salesforce": "001Hd0000001001AAA"},
            status="Actively Working",
            bdr_assigned_id="005Hd0000000201AAA",  # bdr-avery's Salesforce user id
        )


def job_states(store: Store) -> list[str]:
    with store.sessions() as session:
        return list(session.scalars(select(Job.state).order_by(Job.id)))


async def until(condition: Any, what: str) -> None:
    deadline = time.monotonic() + 20
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        await asyncio.sleep(0.001)


async def test_q1_q3_a_chat_is_routed_only_after_the_visitors_page_view_is_identified(
    store: Store, loopback: Any
) -> None:
    clock = FakeClock(TUESDAY)
    with store.transaction() as session:
        for rep in ("bdr-avery", "sdr-taylor", "sdr-jordan"):
            set_rep_status(session, rep, RepStatus.ONLINE, now=TUESDAY)
    hub = SlowEnricherHub(clock)
    identify = IdentifyVisitors(crm="salesforce")
    handler = CompositeHandler(
        {
            "identify": identify,
            "routing": RoutingHandler(
                GITLAB.routing, GITLAB.raw_experiences, identify=identify, crm="salesforce"
            ),
        }
    )
    async with loopback(create_app(store, clock=clock)) as client:
        viewed = await client.post(
            "/v1/page-views",
            json={
                "id": "pv-1",
                "visitor_id": "v-1",
                "url": "https://www.example.test/pricing",
                "ip": "203.0.113.10",
            },
        )
        asked = await client.post(
            "/v1/chat-requests",
            json={
                "id": "chat-1",
                "conversation_id": "c-1",
                "visitor_id": "v-1",
                "experience_id": "en-site-ai",
                "human_requested": True,
            },
        )
    assert (viewed.status_code, asked.status_code) == (202, 202)
    workers = [Worker(store, hub=hub, clock=clock, events=handler) for _ in range(2)]
    running = [asyncio.create_task(worker.run()) for worker in workers]
    await hub.asked.wait()  # one worker holds the page view, its enrichment hanging
    polls = len(clock.sleeps)
    await until(lambda: len(clock.sleeps) > polls + 50, "the workers polled many times")
    assert job_states(store) == [JobState.RUNNING.value, JobState.QUEUED.value]
    hub.released.set()
    await until(lambda: job_states(store) == [JobState.DONE.value] * 2, "both events decided")
    for worker in workers:
        worker.stop()
    await asyncio.gather(*running)
    with store.sessions() as session:
        decisions = {d.kind: d for d in session.scalars(select(Decision))}
    assert decisions["identify"].outcome["account"] == "Northwind Traders"
    routing = decisions["routing"]
    assert routing.rule_ids == ["Q3c", "Q4"]
    assert routing.outcome["rep"] == "bdr-avery"
    assert routing.id > decisions["identify"].id

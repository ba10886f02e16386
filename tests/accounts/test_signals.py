"""Q14: engagement and intent per account as a time series in the store, written daily to
the configured Account fields (the Account 360) in batches, over the Salesforce simulator."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from typing import Any

import httpx
from accounts_world import World
from fastapi import FastAPI
from handoff_salesforce.simulator import sfid

from handoff.flows import install_periodic
from handoff_sdk import FakeClock

Serve = Callable[[FastAPI], AbstractAsyncContextManager[httpx.AsyncClient]]
P0, P1 = sfid("001", 300), sfid("001", 301)


def record(world: World, account_id: str) -> dict[str, Any]:
    return next(r for r in world.salesforce.account.data["Account"] if r["Id"] == account_id)


async def test_q14_signals_are_kept_over_time_and_written_daily_to_the_account_360(
    world: World, clock: FakeClock, loopback: Serve
) -> None:
    for row in world.salesforce.account.data["Account"]:
        row.update({"Page_Views_30d__c": None, "Intent_Score__c": None, "Buying_Stage__c": None})
    install_periodic(world.store, world.flows.periodic(), now=clock.now())
    start = clock.now()

    def at(days: float) -> str:
        return (start + timedelta(days=days)).isoformat()

    readings = [
        ("s1", P0, "page_views", 12, at(-40)),  # outside the 30-day window
        ("s2", P0, "page_views", 5, at(-3)),
        ("s3", P0, "page_views", 7, at(-1)),
        ("s4", P0, "intent_score", 61, at(-5)),
        ("s5", P0, "intent_score", 74, at(-2)),  # the latest score wins
        ("s6", P0, "buying_stage", "Decision", at(-2)),
        ("s7", P1, "page_views", 3, at(-1)),
    ]
    async with loopback(world.app) as client:
        for rid, account, name, value, when in readings:
            body = {
                "id": rid,
                "account_id": account,
                "name": name,
                "value": value,
                "source": "6sense",
                "occurred_at": when,
            }
            answer = await client.post("/v1/account-signals", json=body)
            assert answer.status_code == 202, answer.text
        again = await client.post(
            "/v1/account-signals",
            json={"id": "s2", "account_id": P0, "name": "page_views", "value": 5},
        )
        bad = await client.post(
            "/v1/account-signals",
            json={"id": "s9", "account_id": P0, "name": "Page Views", "value": 1},
        )
        await world.drain()
        series = (await client.get(f"/v1/accounts/{P0}/signals")).json()["signals"]
    assert again.json()["duplicate"] is True
    assert bad.status_code == 422
    assert bad.json()["fields"][0]["field"] == "name"
    assert [s["value"] for s in series if s["name"] == "page_views"] == [7.0, 5.0, 12.0]

    clock.advance(timedelta(days=1).total_seconds())  # the daily write (04:00 UTC)
    await world.drain()
    assert record(world, P0)["Page_Views_30d__c"] == 12.0
    assert record(world, P0)["Intent_Score__c"] == 74.0
    assert record(world, P0)["Buying_Stage__c"] == "Decision"
    assert record(world, P1)["Page_Views_30d__c"] == 3.0
    [batch] = [
        c.body["records"]
        for c in world.salesforce.calls("update_collection")
        if "Page_Views_30d__c" in c.body["records"][0]
    ]
    assert sorted(r["id"] for r in batch) == [P0, P1]  # both accounts in one call

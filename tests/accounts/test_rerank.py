"""P3 end to end over real sockets: the weekly re-rank reads the pool from the Salesforce
simulator (paged SOQL), writes only the changed tiers back in batches, appends every change
to the Account Rank Notes History (the CRM field and the hub's store), and an AE's manual
rank, made in the CRM or through the hub's API, holds until cleared."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs

import httpx
from accounts_world import World
from fastapi import FastAPI
from handoff_salesforce.simulator import sfid
from sqlalchemy import update

from handoff.accounts.kinds import RERANK_JOB
from handoff.accounts.queries import history_rows, rank_of
from handoff.flows import install_periodic
from handoff.runtime import JobSpec, enqueue
from handoff.store import Job
from handoff_sdk import FakeClock
from handoff_sdk.testing.simulator import Served

Serve = Callable[[FastAPI], AbstractAsyncContextManager[httpx.AsyncClient]]
P0, P1, P2 = sfid("001", 300), sfid("001", 301), sfid("001", 302)
RILEY = sfid("005", 21)
HISTORY = "Account_Rank_Notes_History__c"


def record(world: World, account_id: str) -> dict[str, Any]:
    return next(r for r in world.salesforce.account.data["Account"] if r["Id"] == account_id)


def soql(call: Served) -> str:
    """The SOQL text of a logged query call."""
    return parse_qs(call.query)["q"][0]


def written(world: World) -> list[list[dict[str, Any]]]:
    """The records of each sObject Collections update the connector sent."""
    return [call.body["records"] for call in world.salesforce.calls("update_collection")]


async def weekly_run(world: World, clock: FakeClock) -> None:
    """The worker's timer fires the re-rank (Mondays 05:00 New York), then decides and writes."""
    install_periodic(world.store, world.flows.periodic(), now=clock.now())
    clock.advance(timedelta(days=7).total_seconds())
    await world.drain()


async def test_p3_the_weekly_run_writes_only_changed_tiers_with_their_history(
    world: World, clock: FakeClock
) -> None:
    await weekly_run(world, clock)
    # Pooled Customer 0 (funding $150M) is Tier 1; 1 stays Tier 3 and 2 stays Tier 2.
    assert record(world, P0)["Pooled_Rank__c"] == "Tier 1"
    assert record(world, P1)["Pooled_Rank__c"] == "Tier 3"
    assert record(world, P2)["Pooled_Rank__c"] == "Tier 2"
    [batch] = written(world)  # one call: the one change, not one per page or per account
    assert [r["id"] for r in batch] == [P0]
    note = record(world, P0)[HISTORY]
    assert note.endswith(
        "| auto by auto | none -> Tier 1 | tier1_any1 (any 1): "
        "total_funding is 150000000.0, at least 134985000"
    )
    # The SOQL read the pool: the pool's criteria and the Pooled Sales User's id.
    [query] = [soql(c) for c in world.salesforce.calls("query") if "FROM Account" in soql(c)]
    assert "Sales_Segment__c = 'SMB'" in query
    assert "CARR__c < 1000" in query
    assert f"OwnerId = '{sfid('005', 77)}'" in query
    with world.store.sessions() as session:
        rows = history_rows(session, P0)
        rank = rank_of(session, P0)
    assert [(r["kind"], r["actor"], r["from"], r["to"]) for r in rows] == [
        ("auto", "auto", None, "Tier 1")
    ]
    assert rank is not None
    assert rank["tier"] == "Tier 1"
    assert rank["explanation"]["summary"][0] == "tier1_any1 (any 1): 1 of 3 met, gives Tier 1"

    # A week later nothing changed: nothing is written.
    await weekly_run(world, clock)
    assert len(written(world)) == 1


async def test_p3_a_manual_change_in_the_crm_is_recorded_and_survives_the_weekly_run(
    world: World, clock: FakeClock
) -> None:
    await weekly_run(world, clock)
    # Riley (an AE) ups Pooled Customer 2 to Tier 1 in Salesforce; Customer 0 loses funding.
    record(world, P2).update(
        {
            "Pooled_Rank__c": "Tier 1",
            "LastModifiedById": RILEY,
            "LastModifiedDate": "2026-01-14T15:00:00.000+0000",
        }
    )
    record(world, P0)["Total_Funding__c"] = 10_000_000
    await weekly_run(world, clock)
    assert record(world, P2)["Pooled_Rank__c"] == "Tier 1"  # the override holds
    assert record(world, P0)["Pooled_Rank__c"] == "Tier 3"  # a changed input moves the tier
    with world.store.sessions() as session:
        rows = history_rows(session, P2)
        rank = rank_of(session, P2)
    manual, held = rows
    assert (manual["kind"], manual["actor"], manual["from"], manual["to"]) == (
        "manual",
        "Riley Rep",
        "Tier 2",
        "Tier 1",
    )
    assert manual["at"].startswith("2026-01-14T15:00")
    assert held["kind"] == "held"
    assert held["why"].startswith("auto rank would be Tier 2")
    assert rank is not None
    assert rank["override"]["by"] == "Riley Rep"
    assert rank["auto_tier"] == "Tier 2"
    # The CRM's history field has both lines; the tier itself was not written.
    lines = record(world, P2)[HISTORY].splitlines()
    assert "manual by Riley Rep | Tier 2 -> Tier 1" in lines[-2]
    assert "held by auto" in lines[-1]
    second_run = written(world)[-1]
    [p2_write] = [r for r in second_run if r["id"] == P2]
    assert "Pooled_Rank__c" not in p2_write

    # Weeks later the override still holds, and nothing new is said about it.
    await weekly_run(world, clock)
    await weekly_run(world, clock)
    assert record(world, P2)["Pooled_Rank__c"] == "Tier 1"
    with world.store.sessions() as session:
        assert len(history_rows(session, P2)) == 2


async def test_p3_an_override_through_the_api_holds_until_an_ae_clears_it(
    world: World, clock: FakeClock, loopback: Serve
) -> None:
    await weekly_run(world, clock)
    async with loopback(world.app) as client:
        set_ = await client.post(
            f"/v1/accounts/{P1}/rank",
            json={"id": "chg-1", "tier": "Tier 1", "by": "Sam Seller", "why": "new funding round"},
        )
        bad = await client.post(
            f"/v1/accounts/{P1}/rank", json={"id": "chg-2", "tier": "Tier 9", "by": "Sam"}
        )
        await world.drain()
        assert record(world, P1)["Pooled_Rank__c"] == "Tier 1"
        await weekly_run(world, clock)
        assert record(world, P1)["Pooled_Rank__c"] == "Tier 1"  # held by the weekly run
        cleared = await client.post(
            f"/v1/accounts/{P1}/rank", json={"id": "chg-3", "tier": None, "by": "Sam Seller"}
        )
        await world.drain()
        history = (await client.get(f"/v1/accounts/{P1}/history")).json()["history"]
        shown = (await client.get(f"/v1/accounts/{P1}/rank")).json()
    assert (set_.status_code, bad.status_code, cleared.status_code) == (202, 422, 202)
    assert bad.json()["fields"][0]["field"] == "tier"
    assert record(world, P1)["Pooled_Rank__c"] == "Tier 3"  # the auto rank applies again
    assert [(h["kind"], h["actor"], h["from"], h["to"]) for h in history] == [
        ("manual", "Sam Seller", "Tier 3", "Tier 1"),
        ("held", "auto", "Tier 1", "Tier 1"),
        ("cleared", "Sam Seller", "Tier 1", "Tier 3"),
    ]
    assert history[0]["why"] == "new funding round"
    assert shown["override"] is None
    assert shown["tier"] == "Tier 3"
    assert "cleared by Sam Seller | Tier 1 -> Tier 3" in record(world, P1)[HISTORY]


async def test_p3_the_rerank_job_reads_the_pool_page_by_page(
    world: World, clock: FakeClock
) -> None:
    """With 250 pooled accounts and pages of 200, two query calls, and the changes in one batch."""
    data = world.salesforce.account.data["Account"]
    template = dict(record(world, P1))
    for n in range(247):
        data.append({**template, "Id": sfid("001", 60_000 + n), "Pooled_Rank__c": None})
    world.salesforce.page_size = 200
    with world.store.transaction() as session:
        enqueue(session, [JobSpec(kind=RERANK_JOB, idempotency_key="now")], now=clock.now())
    await world.drain()
    reads = [c for c in world.salesforce.calls("query") if "FROM Account" in soql(c)]
    more = world.salesforce.calls("query_more")
    assert len(reads) + len(more) == 2
    batches = written(world)
    assert [len(b) for b in batches] == [200, 48]  # 247 new + Customer 0: 248 changes


def history_of(world: World, account_id: str) -> list[tuple[str, str, str | None, str | None]]:
    with world.store.sessions() as session:
        return [
            (h["kind"], h["actor"], h["from"], h["to"]) for h in history_rows(session, account_id)
        ]


async def test_p3_a_hub_rank_whose_write_still_waits_is_no_manual_change_in_the_crm(
    world: World, clock: FakeClock, loopback: Serve
) -> None:
    """The weekly job fires while the CRM write of an AE's rank set through the hub is still
    queued: the run reads the tier from before it, which no AE set in the CRM."""
    await weekly_run(world, clock)
    clock.advance(600)  # before the next run's timer
    async with loopback(world.app) as client:
        set_ = await client.post(
            f"/v1/accounts/{P1}/rank",
            json={"id": "chg-9", "tier": "Tier 1", "by": "Sam Seller", "why": "expansion talks"},
        )
        assert set_.status_code == 202
    await world.worker.run_once()  # the change is decided; its write job is queued
    with world.store.transaction() as session:  # ... and the worker has not reached it yet
        session.execute(
            update(Job)
            .where(Job.idempotency_key.like("accounts:override:%"))
            .values(run_after=clock.now() + timedelta(days=30))
        )
    assert record(world, P1)["Pooled_Rank__c"] == "Tier 3"
    await weekly_run(world, clock)  # reads Tier 3 for P1 while the hub holds Tier 1
    # Only Sam's change and the run's note that it holds: no 'manual' change back to Tier 3.
    assert history_of(world, P1) == [
        ("manual", "Sam Seller", "Tier 3", "Tier 1"),
        ("held", "auto", "Tier 1", "Tier 1"),
    ]
    assert record(world, P1)["Pooled_Rank__c"] == "Tier 3"  # the run's write waits for Sam's
    clock.advance(timedelta(days=30).total_seconds())
    await world.drain()
    assert record(world, P1)["Pooled_Rank__c"] == "Tier 1"
    lines = record(world, P1)[HISTORY].splitlines()  # the run's history went after Sam's
    assert "manual by Sam Seller | Tier 3 -> Tier 1" in lines[-2]
    assert "held by auto" in lines[-1]
    await weekly_run(world, clock)  # the CRM holds what the hub wrote: nothing new
    assert len(history_of(world, P1)) == 2


async def test_p3_a_hub_rank_the_crm_refused_is_written_again_not_taken_for_a_manual_change(
    world: World, clock: FakeClock, loopback: Serve
) -> None:
    """Salesforce drops the write of an AE's rank set through the hub: the record, last
    modified before the hub's change, still says Tier 3. The next run writes Tier 1 again."""
    await weekly_run(world, clock)
    clock.advance(600)  # before the next run's timer
    world.salesforce.drop_next(times=100, endpoint="update_collection")
    async with loopback(world.app) as client:
        set_ = await client.post(
            f"/v1/accounts/{P1}/rank",
            json={"id": "chg-9", "tier": "Tier 1", "by": "Sam Seller", "why": "expansion talks"},
        )
        assert set_.status_code == 202
    await world.drain()
    assert record(world, P1)["Pooled_Rank__c"] == "Tier 3"  # refused
    world.salesforce.faults.clear()
    await weekly_run(world, clock)
    assert record(world, P1)["Pooled_Rank__c"] == "Tier 1"
    assert history_of(world, P1) == [
        ("manual", "Sam Seller", "Tier 3", "Tier 1"),
        ("held", "auto", "Tier 1", "Tier 1"),
    ]
    assert "manual by Sam Seller | Tier 3 -> Tier 1" in record(world, P1)[HISTORY]

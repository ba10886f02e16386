"""A renewal through `handoff replay` (Z4): the territory rep of an "SFDC Admin" renewal.

The hub lives the renewal over real sockets (Northwind's renewal and account
owned by the "SFDC Admin" placeholder, so the ticket goes to MidMarket x
EMEA's territory rep); the events are exported and replayed: under the same
configuration the pass comes out as it did live, and under a candidate whose
MidMarket x EMEA territory names another rep, the replay shows the ticket
going to that rep instead, without a call to any simulator. The other rep is
one the live hub read with the ticket (it reads every territory's rep): a
replay decides on the CRM's recorded answers and asks the CRM nothing, so a
rep it never read would have no email to assign to (docs/replay.md).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from handoff_salesforce.simulator import ADMIN_USER
from sqlalchemy import select
from test_end_to_end import (
    JONAS,
    LUKAS,
    NORTHWIND,
    RENEWALS_TABLE,
    Serve,
    World,
    crm_record,
    open_renewal,
    pass_it,
    tickets_table,
    world,
)
from test_replay import run
from tickets_helpers import toml_tables

from handoff.store import Decision
from handoff_sdk import FakeClock

__all__ = ["tickets_table", "world"]  # the fixtures, shared with the end-to-end tests


@pytest.mark.parametrize("tickets_table", [RENEWALS_TABLE])
async def test_z4_a_replayed_renewal_goes_to_the_candidate_territorys_rep(
    world: World, clock: FakeClock, loopback: Serve, tmp_path: Path
) -> None:
    crm_record(world, "Opportunity", AccountId=NORTHWIND.salesforce_id)["OwnerId"] = ADMIN_USER
    crm_record(world, "Account", Id=NORTHWIND.salesforce_id)["OwnerId"] = ADMIN_USER
    ticket_id = await open_renewal(world)
    await pass_it(world, clock, loopback, ticket_id)
    with world.store.sessions() as session:
        [live] = session.scalars(select(Decision).where(Decision.kind == "tickets.route")).all()
    assert (live.outcome["route"], live.outcome["rep"]["name"]) == ("territory", LUKAS.name)
    writes_before = len(world.zendesk.calls("update_ticket"))

    config = tmp_path / "handoff.toml"
    events = tmp_path / "renewal.jsonl"
    await run(
        "events", "export", "--config", str(config), "--since", "2026-01-05", "-o", str(events)
    )
    same = json.loads((await run("replay", str(events), "--config", str(config), "--json")).stdout)
    [replayed] = [d for d in same["decisions"] if d["kind"] == "tickets.route"]
    assert replayed["outcome"] == live.outcome

    mid, large = RENEWALS_TABLE["territories"]
    moved = {**mid, "rep": large["rep"], "name": large["name"]}  # Jonas takes MidMarket EMEA
    candidate = tmp_path / "candidate.toml"
    candidate.write_text(
        toml_tables({"tickets": {**RENEWALS_TABLE, "territories": [moved, large]}})
    )
    report = json.loads(
        (
            await run(
                "replay", str(events), "--config", str(config), "--candidate", str(candidate),
                "--json",
            )
        ).stdout
    )  # fmt: skip
    [route] = [c for c in report["changes"]["tickets"] if c["kind"] == "tickets.route"]
    assert route["change"] == "changed"
    assert route["current"]["outcome"]["rep"]["name"] == LUKAS.name
    assert route["candidate"]["outcome"]["rep"]["name"] == JONAS.name
    assert route["candidate"]["outcome"]["route"] == "territory"
    assert len(world.zendesk.calls("update_ticket")) == writes_before, "the replay wrote nothing"

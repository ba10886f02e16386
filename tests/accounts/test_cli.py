"""P3 and P2 through the CLI against the Salesforce simulator: `handoff accounts rerank
[--dry-run]` with its moves between tiers, `show`, `history`, `set-rank`, `clear-override`."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from accounts_world import World
from click.testing import CliRunner
from handoff_salesforce.simulator import sfid

from handoff.cli import cli
from handoff.errors import HandoffError
from handoff.secret_store import SecretStore

P0, P1 = sfid("001", 300), sfid("001", 301)


def run(world: World, *args: str) -> Any:
    """The command in a thread of its own (it runs its own event loop), as a user runs it."""
    result = CliRunner().invoke(cli, [*args, "--config", str(world.path)])
    if result.exception is not None and not isinstance(result.exception, HandoffError):
        raise result.exception
    return result


async def invoke(world: World, *args: str) -> Any:
    return await asyncio.to_thread(run, world, *args)


@pytest.fixture(autouse=True)
def cli_secrets(world: World, isolated_home: Path) -> None:
    """The Salesforce login where `handoff` reads it (the file backend of a private HOME)."""
    store = SecretStore()
    for name, value in world.salesforce.connector_secrets().items():
        store.set("salesforce", name, value)


def record(world: World, account_id: str) -> dict[str, Any]:
    return next(r for r in world.salesforce.account.data["Account"] if r["Id"] == account_id)


async def test_p3_rerank_dry_run_shows_the_moves_and_writes_nothing(world: World) -> None:
    result = await invoke(world, "accounts", "rerank", "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary == {
        "dry_run": True,
        "accounts": 3,
        "moves": {"none -> Tier 1": 1},
        "held": 0,
    }
    assert world.salesforce.calls("update_collection") == []


async def test_p3_rerank_ranks_writes_and_summarises_the_moves_between_tiers(
    world: World,
) -> None:
    result = await invoke(world, "accounts", "rerank")
    assert result.exit_code == 0, result.output
    assert "3 pooled account(s) ranked; 1 moved, 1 written to salesforce" in result.output
    assert "none -> Tier 1: 1" in result.output
    assert "reading the pool" in result.output  # the progress bar
    assert record(world, P0)["Pooled_Rank__c"] == "Tier 1"

    shown = await invoke(world, "accounts", "show", P0)
    assert "Pooled Customer 0: Tier 1 (auto rank Tier 1)" in shown.output
    assert "met: total_funding is 150000000.0, at least 134985000" in shown.output

    changed = await invoke(
        world, "accounts", "set-rank", P1, "Tier 2", "--by", "Sam", "--why", "call"
    )
    assert changed.exit_code == 0, changed.output
    wrong = await invoke(world, "accounts", "set-rank", P1, "Gold", "--by", "Sam")
    assert isinstance(wrong.exception, HandoffError)  # `handoff` prints it as "error: ..."
    assert "tier 'Gold': expected one of ['Tier 1', 'Tier 3', 'Tier 2']" in str(wrong.exception)
    # The run first applies what is queued (the rank set), then reads the pool.
    again = await invoke(world, "accounts", "rerank", "--json")
    assert json.loads(again.output)["moves"] == {}  # the override holds: nothing moved
    assert record(world, P1)["Pooled_Rank__c"] == "Tier 2"
    cleared = await invoke(world, "accounts", "clear-override", P1, "--by", "Sam")
    assert cleared.exit_code == 0
    await invoke(world, "accounts", "rerank")
    assert record(world, P1)["Pooled_Rank__c"] == "Tier 3"
    history = json.loads((await invoke(world, "accounts", "history", P1, "--json")).output)
    assert [(h["kind"], h["actor"], h["from"], h["to"]) for h in history] == [
        ("manual", "Sam", "Tier 3", "Tier 2"),
        ("held", "auto", "Tier 2", "Tier 2"),
        ("cleared", "Sam", "Tier 2", "Tier 3"),
    ]
    tiers = json.loads((await invoke(world, "accounts", "tiers", "--json")).output)
    assert tiers == {"Tier 1": 1, "Tier 2": 1, "Tier 3": 1}


async def test_p3_the_commands_say_when_the_flow_is_off(world: World) -> None:
    text = world.path.read_text()
    world.path.write_text(text.split("[accounts]")[0])
    result = await invoke(world, "accounts", "rerank")
    assert isinstance(result.exception, HandoffError)
    assert "no [accounts] table in handoff.toml" in str(result.exception)


async def test_p2_a_ranking_is_stored_compactly_and_explained_criterion_by_criterion(
    world: World,
) -> None:
    """The re-rank stores each ranking as the facts read and the tier table's name (the table
    once); `handoff explain` words it row by row, criterion by criterion, from that table."""
    from sqlalchemy import select  # noqa: PLC0415

    from handoff.accounts.kinds import RANK_DECISION, TABLE_DECISION  # noqa: PLC0415
    from handoff.store import Decision  # noqa: PLC0415

    assert (await invoke(world, "accounts", "rerank")).exit_code == 0
    with world.store.sessions() as session:
        [stored] = session.scalars(
            select(Decision.explanation).where(
                Decision.kind == RANK_DECISION, Decision.subject_id == P0
            )
        )
        tables = list(session.scalars(select(Decision).where(Decision.kind == TABLE_DECISION)))
    assert set(stored) == {"tier", "row", "facts", "table"}
    assert stored["facts"] == {
        "carr": 900.0,
        "total_funding": 150000000.0,
        "lam_dev_count": 12,
        "industry": "Retail",
    }
    [table] = tables
    assert table.subject_id == stored["table"]
    assert table.outcome["tiers"][0]["id"] == "tier1_any1"

    shown = await invoke(world, "explain", f"account:{P0}", "--json")
    assert shown.exit_code == 0, shown.output
    [ranking] = [d for d in json.loads(shown.output)["decisions"] if d["kind"] == RANK_DECISION]
    explanation = ranking["explanation"]
    assert explanation["tier"] == "Tier 1"
    assert explanation["summary"] == ["tier1_any1 (any 1): 1 of 3 met, gives Tier 1"]
    assert [c["why"] for c in explanation["rows"][0]["criteria"]] == [
        "carr is 900.0, not at least 2964",
        "total_funding is 150000000.0, at least 134985000",
        "lam_dev_count is 12, not at least 103",
    ]
    assert "warning" not in explanation
    text = await invoke(world, "explain", f"account:{P0}")
    assert "total_funding is 150000000.0, at least 134985000" in text.output

    # Another table later: the decisions made under the first still read the first.
    config = world.path.read_text()
    assert "at_least = 134985000" in config
    world.path.write_text(config.replace("at_least = 134985000", "at_least = 200000000"))
    again = await invoke(world, "explain", f"account:{P0}", "--json")
    [ranking] = [d for d in json.loads(again.output)["decisions"] if d["kind"] == RANK_DECISION]
    assert ranking["explanation"]["summary"] == ["tier1_any1 (any 1): 1 of 3 met, gives Tier 1"]

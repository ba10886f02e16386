"""P2/P3 replay like every flow: a re-rank's exported pages decided again, and a candidate
tier table's moves shown as a diff.

The hub runs two weekly re-ranks live over real sockets (the Salesforce simulator): the
first ranks the three pooled customers, before the second one of them loses its funding.
Exported and replayed with the live `[accounts]`, every rank decision comes out as it did
live. A candidate tier table (Tier 1 from 50 developers instead of 103) moves Pooled
Customer 2 (60 developers) from Tier 2 to Tier 1: the replay says so per account and in
the run's moves between tiers, through `handoff replay --candidate`.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import tomli_w
from accounts_world import World, playbook_tables
from click.testing import CliRunner
from handoff_salesforce.simulator import sfid
from sqlalchemy import select
from test_rerank import record, weekly_run

from handoff.accounts.kinds import RANK_DECISION
from handoff.cli import cli
from handoff.config import load_candidate, load_config
from handoff.replay.compare import replay
from handoff.replay.export import export_lines
from handoff.replay.format import read_lines
from handoff.store import Decision
from handoff_sdk import FakeClock

P0, P2 = sfid("001", 300), sfid("001", 302)


def candidate_tables() -> dict[str, Any]:
    """The playbook's [accounts] with Tier 1 from 50 developers (any 1) instead of 103."""
    accounts = playbook_tables()["accounts"]
    first = accounts["tiers"][0]
    assert first["id"] == "tier1_any1"
    first["criteria"] = [
        {**c, "at_least": 50} if c["field"] == "lam_dev_count" else c for c in first["criteria"]
    ]
    return {"accounts": accounts}


async def test_p2_p3_a_replayed_rerank_decides_as_live_and_a_candidate_table_moves_tiers(
    world: World, clock: FakeClock, tmp_path: Path
) -> None:
    await weekly_run(world, clock)
    record(world, P0)["Total_Funding__c"] = 10_000_000  # Tier 1 -> Tier 3 next week
    await weekly_run(world, clock)
    with world.store.sessions() as session:
        live = [
            (d.kind, f"{d.subject_type}:{d.subject_id}", d.outcome)
            for d in session.scalars(select(Decision).order_by(Decision.id))
            if d.kind == RANK_DECISION
        ]
        events = tmp_path / "weeks.jsonl"
        lines = export_lines(session, now=clock.now())
        events.write_text("\n".join(json.dumps(line, default=str) for line in lines))
    assert [s for _k, s, _o in live if s.startswith("account:")] == [
        f"account:{P0}",  # none -> Tier 1
        f"account:{P0}",  # Tier 1 -> Tier 3
    ]

    current = load_config(world.path)
    report = await replay(list(read_lines(events)), current)
    assert report.current is not None
    assert report.current.errors == []
    replayed = [
        (d.kind, d.subject, d.outcome) for d in report.current.decisions if d.kind == RANK_DECISION
    ]
    assert replayed == live  # the same ranks, the same writes, the same history lines

    candidate = tmp_path / "candidate.toml"
    candidate.write_text(tomli_w.dumps(candidate_tables()))
    report = await replay(list(read_lines(events)), current, load_candidate(current, candidate))
    changes = [c for c in report.to_json()["changes"]["accounts"] if c["kind"] == RANK_DECISION]
    moved = [c for c in changes if c["subject"] == f"account:{P2}"]
    assert [c["change"] for c in moved] == ["only candidate", "only candidate"]
    first, second = (c["candidate"]["outcome"] for c in moved)
    assert (first["crm_tier"], first["tier"], first["write"]) == ("Tier 2", "Tier 1", "Tier 1")
    assert [(h["kind"], h["from"], h["to"]) for h in first["history"]] == [
        ("auto", "Tier 2", "Tier 1")
    ]
    # The second week's read is the live one, where Tier 1 was never written: the candidate's
    # hub writes it again, and records no change (what a replay cannot know, docs/replay.md).
    assert (second["write"], second["history"]) == ("Tier 1", [])
    [first_run] = [c for c in changes if c["subject"].startswith("rerank:") and c["line"] <= 3]
    assert "moves[Tier 2 -> Tier 1]: None -> 1" in first_run["differences"]
    assert "writes: 1 -> 2" in first_run["differences"]
    assert not [c for c in changes if c["subject"] == f"account:{P0}"]  # P0 moves as live

    # The same through the command an ops person runs.
    result = await asyncio.to_thread(  # the command runs its own event loop
        CliRunner().invoke,
        cli,
        ["replay", str(events), "--candidate", str(candidate), "--config", str(world.path)],
    )
    assert result.exit_code == 0, result.output
    assert f"accounts.rank account:{P2}: only candidate" in result.output
    assert "moves[Tier 2 -> Tier 1]: None -> 1" in result.output

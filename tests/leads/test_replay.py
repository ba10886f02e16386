"""Leads replay like every flow: exported events decided again, timers on a simulated clock (D2).

The hub lives a morning over a real socket: four EMEA leads and one from
North America (round robin per team, D2), an APAC lead offered to its team
that nobody claims (the fall-back timer gives it to the round robin after
30 minutes). Exported and replayed with the same `[leads]`, every decision
comes out as it did live (the fall-back timer fired again by the replay's
clock); with a candidate sending EMEA to the North America team, exactly
the EMEA assignments move, and the load per team says so.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from click.testing import CliRunner
from harness import Served, new_lead  # type: ignore[import-not-found]
from sqlalchemy import select
from test_lifecycle import CONFIG

from handoff.cli import cli
from handoff.config import load_candidate, load_config
from handoff.replay.compare import replay
from handoff.replay.export import export_lines
from handoff.replay.format import EventLine, read_lines
from handoff.store import Decision


def toml(tables: dict[str, Any]) -> str:
    """handoff.toml text for `tables` (TOML has no null: an unset key is left out)."""

    def drop_none(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: drop_none(v) for k, v in value.items() if v is not None}
        if isinstance(value, list):
            return [drop_none(v) for v in value]
        return value

    return tomli_w.dumps(drop_none(tables))


EMEA = [f"e{n}@eu{n}.example" for n in range(4)]


@pytest.fixture
def leads_config() -> dict[str, Any]:
    return CONFIG


async def test_d2_a_replayed_morning_of_leads_and_a_candidate_moving_emea(
    served: Served, tmp_path: Path
) -> None:
    async with served() as hub:
        for email in EMEA:
            await new_lead(hub, email, country="France")
        await new_lead(hub, "x@us.example", country="United States")
        await new_lead(hub, "mia@au.example", country="Australia")
        hub.clock.advance(31 * 60)  # nobody claims: the fall-back timer assigns it
        await hub.drain()
        assert hub.lead("mia@au.example")["owner"]["rep"] == "aki"
        with hub.store.sessions() as session:
            live = [
                (d.kind, f"{d.subject_type}:{d.subject_id}", d.outcome)
                for d in session.scalars(select(Decision).order_by(Decision.id))
            ]
            events = tmp_path / "morning.jsonl"
            lines = export_lines(session, now=hub.clock.now())
            events.write_text("\n".join(json.dumps(line, default=str) for line in lines))
        store_url = hub.store.url

    config_path = tmp_path / "handoff.toml"
    config_path.write_text(toml({"store": {"url": store_url}, "leads": CONFIG}))
    current = load_config(config_path)
    parsed = list(read_lines(events))
    timers = [x for x in parsed if isinstance(x, EventLine) and x.origin == "leads.timer"]
    assert len(timers) == 1

    # Each lead decision explains itself as a chat's does: matched, not matched and why.
    explained = CliRunner().invoke(
        cli, ["explain", "lead:x@us.example", "--config", str(config_path), "--json"]
    )
    assert explained.exit_code == 0, explained.output
    [assignment] = [
        d for d in json.loads(explained.stdout)["decisions"] if d["kind"] == "leads.assignment"
    ]
    assert assignment["why"]["matched"].startswith("na")
    assert [line.split(":")[0] for line in assignment["why"]["not_matched"]] == [
        "fortune-500",
        "enterprise",
        "account-owner",
        "emea",
        "apac",
    ]

    report = await replay(parsed, current)
    assert report.current is not None
    assert report.current.errors == []
    assert report.current.regenerated == 1  # the fall-back timer's event, made again
    replayed = [(d.kind, d.subject, d.outcome) for d in report.current.decisions]
    assert replayed == live

    moved = {
        **CONFIG,
        "assignment": {
            **CONFIG["assignment"],
            "rules": [
                {**rule, "assign": "team:bdr-na"} if rule["id"] == "emea" else rule
                for rule in CONFIG["assignment"]["rules"]
            ],
        },
    }
    candidate_path = tmp_path / "candidate.toml"
    candidate_path.write_text(toml({"leads": moved}))
    report = await replay(parsed, current, load_candidate(current, candidate_path))
    data = report.to_json()
    changed = [c for c in data["changes"]["leads"] if c["kind"] == "leads.assignment"]
    assert {c["subject"] for c in changed} == {f"lead:{email}" for email in EMEA}
    for change in changed:
        assert change["current"]["outcome"]["team"] == "bdr-emea"
        assert change["candidate"]["outcome"]["team"] == "bdr-na"
        assert change["candidate"]["outcome"]["owner"]["rep"] == "nia"
    teams = data["load"]["team"]
    assert teams["bdr-emea"] == {"before": len(EMEA), "after": 0}
    assert teams["bdr-na"] == {"before": 1, "after": 1 + len(EMEA)}
    assert data["load"]["rep"]["nia"]["after"] >= 1 + len(EMEA)

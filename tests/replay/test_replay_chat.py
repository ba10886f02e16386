"""`handoff events export` then `handoff replay`: a day of chat traffic, live rules and a candidate.

The day is lived by the hub as `handoff serve` assembles it, over a real
socket: reps go online, chats arrive, some reps join in time and some do
not (the AI takes over after 30 s, Q4). The day is exported, replayed
under the same rules (every decision comes out as it did live) and under a
candidate that sends German chats to the partner desk (Q3d): exactly those
move, with the load per rep and pool before and after.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from chat_day import CHATS, ROUTING, live_day, write_configs
from click.testing import CliRunner
from sqlalchemy import select

from handoff.cli import cli
from handoff.store import Decision


def run(*args: str) -> Any:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture
async def day(tmp_path: Path, loopback: Any) -> tuple[Path, Path, Path, list[Decision]]:
    live, candidate = write_configs(tmp_path)
    store = await live_day(live, loopback)
    with store.sessions() as session:
        decisions = list(session.scalars(select(Decision).order_by(Decision.id)))
    store.dispose()
    events = tmp_path / "events.jsonl"
    run(
        "events",
        "export",
        "--config",
        str(live),
        "--since",
        "2026-01-05",
        "--until",
        "2026-01-06",
        "--output",
        str(events),
    )
    return live, candidate, events, decisions


def replay_json(*args: str) -> dict[str, Any]:
    report: dict[str, Any] = json.loads(run("replay", *args, "--json").stdout)
    return report


def test_q3_q4_an_exported_day_replays_to_the_decisions_taken_live(
    day: tuple[Path, Path, Path, list[Decision]],
) -> None:
    live, _candidate, events, decisions = day
    kinds = [d.kind for d in decisions]
    assert kinds.count("routing") == len(CHATS)
    assert kinds.count("routing.ai_takeover") == sum(1 for *_, joins in CHATS if not joins)
    lines = [json.loads(line) for line in events.read_text().splitlines()]
    assert lines[0]["kind"] == "header"
    assert lines[0]["version"] == 1
    assert lines[-1] == {"kind": "clock", "at": "2026-01-06T00:00:00+00:00"}
    chat_lines = [x for x in lines if x.get("type") == "hub.chat_request"]
    assert len(chat_lines) == len(CHATS)
    # What the worker read when it decided is in the file: the presence of the time.
    assert chat_lines[0]["context"]["chat"]["routing"]["routing"]["presence"] == {
        "ana": "online",
        "ben": "online",
        "cy": "online",
    }

    report = replay_json(str(events), "--config", str(live))
    assert report["events"] == len(lines) - 2
    replayed = [(d["kind"], d["subject"], d["outcome"]) for d in report["decisions"]]
    assert replayed == [(d.kind, f"{d.subject_type}:{d.subject_id}", d.outcome) for d in decisions]
    assert report["current"]["errors"] == []


def test_q3d_a_candidate_moving_german_chats_moves_exactly_those(
    day: tuple[Path, Path, Path, list[Decision]],
) -> None:
    live, candidate, events, _decisions = day
    report = replay_json(str(events), "--config", str(live), "--candidate", str(candidate))
    german = {f"conversation:c-{n}" for n, (_, lang, _) in enumerate(CHATS) if lang == "de"}
    routing = [c for c in report["changes"]["chat"] if c["kind"] == "routing"]
    moved = {c["subject"] for c in routing if c["candidate"]["outcome"]["pool"] != "sales"}
    assert moved == german
    for change in routing:
        assert change["change"] == "changed"
        assert change["current"]["outcome"]["pool"] == "sales"
        if change["subject"] in german:
            assert change["candidate"]["outcome"]["rep"] == "cy"
            assert change["candidate"]["outcome"]["pool"] == "partners"
            assert change["candidate"]["rule_ids"] == ["Q3d", "Q4"]
        else:  # the sales round robin turns without the German chats: another rep of it
            assert change["candidate"]["outcome"]["pool"] == "sales"
            assert change["differences"] == [
                f"rep: {change['current']['outcome']['rep']} -> "
                f"{change['candidate']['outcome']['rep']}",
                f"rep_name: {change['current']['outcome']['rep_name']} -> "
                f"{change['candidate']['outcome']['rep_name']}",
            ]
    # The AI took over the chats nobody joined, from another rep now: the German one from Cy.
    takeovers = {
        c["subject"]: c for c in report["changes"]["chat"] if c["kind"] == "routing.ai_takeover"
    }
    unjoined = {f"conversation:c-{n}" for n, (*_, joins) in enumerate(CHATS) if not joins}
    assert set(takeovers) <= unjoined
    assert takeovers["conversation:c-3"]["candidate"]["outcome"]["from"] == "cy"
    pools = report["load"]["pool"]
    assert pools["partners"] == {"before": 0, "after": len(german)}
    assert pools["sales"] == {"before": len(CHATS), "after": len(CHATS) - len(german)}
    reps = report["load"]["rep"]
    assert reps["cy"]["after"] == len(german) + reps["cy"]["before"]
    assert reps["ana"]["after"] + reps["ben"]["after"] == (
        reps["ana"]["before"] + reps["ben"]["before"] - len(german)
    )
    # The candidate's own cursors: the five English chats go Ben, Ana, Ben, Ben, Ana (2:1).
    assert (reps["ana"]["after"], reps["ben"]["after"]) == (2, 3)
    assert report["candidate"]["errors"] == []


def test_replay_text_report_and_the_same_rules_change_nothing(
    day: tuple[Path, Path, Path, list[Decision]], tmp_path: Path
) -> None:
    live, candidate, events, _ = day
    same = tmp_path / "same.toml"
    same.write_text(ROUTING.replace("{german}", "team:sales"))
    text = run("replay", str(events), "--config", str(live), "--candidate", str(same)).stdout
    assert "no decision would change" in text
    assert "(+" not in text
    assert "(-" not in text
    text = run("replay", str(events), "--config", str(live), "--candidate", str(candidate)).stdout
    assert "decision(s) would change" in text
    assert "line " in text
    assert "routing conversation:c-1: rep: " in text
    assert "-> cy" in text
    assert "pool: sales -> partners" in text
    assert "partners" in text
    assert "(+4)" in text


def test_replay_errors_name_the_file_line_and_field(tmp_path: Path) -> None:
    live, _candidate = write_configs(tmp_path)
    events = tmp_path / "events.jsonl"
    events.write_text('{"kind": "event", "at": "2026-01-05T08:00:00Z", "payload": {}}\n')
    result = CliRunner().invoke(cli, ["replay", str(events), "--config", str(live)])
    assert result.exit_code != 0
    assert "events.jsonl:1: source: required" in str(result.exception)
    events.write_text('{"kind": "header", "format": "handoff.events", "version": 9}\n')
    result = CliRunner().invoke(cli, ["replay", str(events), "--config", str(live)])
    assert "version: this handoff reads version 1" in str(result.exception)
    bad = tmp_path / "bad.toml"
    bad.write_text('[routing]\nreps = [{ id = "a" }]\n')
    result = CliRunner().invoke(
        cli, ["replay", str(events), "--config", str(live), "--candidate", str(bad)]
    )
    assert "bad.toml: routing.reps[0].name" in str(result.exception)
    hub_table = tmp_path / "hub.toml"
    hub_table.write_text("[connectors.salesforce]\nenabled = true\n")
    result = CliRunner().invoke(
        cli, ["replay", str(events), "--config", str(live), "--candidate", str(hub_table)]
    )
    assert "a candidate holds flow tables only" in str(result.exception)

"""`handoff replay EVENTS.jsonl --rules CANDIDATE.toml`: recorded traffic, two rule sets (Q3).

The current rules are the GitLab playbook; the candidate moves the EMEA geo
pool to a new team. Only the visitors the EMEA pool took move.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from handoff.chat.playbooks import playbook_path
from handoff.chat.routing.config import load_routing
from handoff.chat.routing.replay import read_events, replay
from handoff.cli import cli

HUMANS_ONLINE = dict.fromkeys(
    (
        "bdr-avery",
        "bdr-jonas",
        "pubsec-morgan",
        "pubsec-riley",
        "sdr-taylor",
        "sdr-jordan",
        "sdr-camille",
        "sdr-lukas",
        "sdr-amelie",
        "sdr-haruto",
        "sdr-olivia",
        "emea-nora",
    ),
    "online",
)
HUMAN = {"request": {"human": True}, "experience": {"id": "en-site-ai", "mode": "ai_first"}}


def line(visitor_id: str, minute: int, **context: Any) -> dict[str, Any]:
    """One recorded request (Monday 16:00 UTC + minute), everybody online."""
    return {
        "now": f"2026-01-05T16:{minute:02d}:00Z",
        "visitor": {"id": visitor_id},
        **HUMAN,
        **context,
        "availability": {"statuses": HUMANS_ONLINE},
    }


EVENTS = [
    line("v-emea-1", 0, account={"geo": "EMEA"}),  # Q3e EMEA pool: moves
    line("v-amer-1", 1, account={"geo": "AMER"}),  # Q3e AMER pool: stays
    line(  # Q3c, the BDR is online: stays
        "v-aw",
        2,
        account={
            "geo": "EMEA",
            "status": "Actively Working",
            "bdr_assigned_id": "005Hd0000000203AAA",
        },
    ),
    line("v-emea-2", 3, visitor={"id": "v-emea-2", "geo": "EMEA"}),  # Q3e by visitor geo: moves
    line("v-pub", 4, account={"sector": "US Public Sector", "geo": "AMER"}),  # Q3b: stays
    line("v-de", 5, visitor={"id": "v-de", "page_url": "https://x.example/de-de/"}),  # Q3d: stays
    line("v-emea-3", 6, account={"geo": "EMEA"}),  # moves
]


def candidate_text() -> str:
    """The playbook with EMEA's geo pool handed to a new team of one (emea-partners)."""
    text = playbook_path().read_text(encoding="utf-8")
    old = 'name = "sdr-emea"\ngeo = "EMEA"'
    assert old in text
    text = text.replace(old, 'name = "sdr-emea"')
    new_team = (
        '[[routing.teams]]\nname = "emea-partners"\ngeo = "EMEA"\nmembers = ["emea-nora"]\n\n'
        '[[routing.reps]]\nid = "emea-nora"\nname = "Nora (EMEA partner desk)"\n'
        'timezone = "Europe/Dublin"\n\n'
    )
    return text.replace("# --- Rules,", new_team + "# --- Rules,", 1)


def write(tmp_path: Path, candidate: str) -> tuple[Path, Path, Path]:
    config = tmp_path / "handoff.toml"
    config.write_text(f'[routing]\ninclude = "{playbook_path().as_posix()}"\n')
    rules = tmp_path / "candidate.toml"
    rules.write_text(candidate)
    events = tmp_path / "events.jsonl"
    events.write_text("\n".join(json.dumps(e) for e in EVENTS) + "\n")
    return config, rules, events


def invoke(tmp_path: Path, candidate: str, *extra: str) -> Any:
    config, rules, events = write(tmp_path, candidate)
    args = ["replay", str(events), "--rules", str(rules), "--config", str(config), *extra]
    return CliRunner().invoke(cli, args)


def test_q3e_replay_candidate_moving_emea_pool_moves_exactly_those_visitors(
    tmp_path: Path,
) -> None:
    result = invoke(tmp_path, candidate_text(), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["requests"] == len(EVENTS)
    moved = {m["visitor"]: m for m in report["moved"]}
    assert set(moved) == {"v-emea-1", "v-emea-2", "v-emea-3"}
    for item in moved.values():
        assert item["from"]["pool"] == "sdr-emea"
        assert item["from"]["rep"] in {"sdr-camille", "sdr-lukas"}
        assert item["to"] == {
            "rep": "emea-nora",
            "pool": "emea-partners",
            "rule": "everyone-else",
            "rule_ids": ["Q3e", "Q4"],
        }
    pools = report["load"]["pools"]
    assert pools["sdr-emea"] == {"before": 3, "after": 0}
    assert pools["emea-partners"] == {"before": 0, "after": 3}
    assert pools["sdr-amer"] == {"before": 1, "after": 1}
    reps = report["load"]["reps"]
    assert reps["emea-nora"] == {"before": 0, "after": 3}
    # Round robin over Camille and Lukas before the change; Lukas keeps the German visitor.
    assert reps["sdr-camille"]["before"] + reps["sdr-lukas"]["before"] == 4
    assert reps["sdr-camille"]["after"] + reps["sdr-lukas"]["after"] == 1
    assert reps["bdr-jonas"] == {"before": 1, "after": 1}


def test_q3_replay_identical_rules_show_no_change(tmp_path: Path) -> None:
    result = invoke(tmp_path, playbook_path().read_text(encoding="utf-8"))
    assert result.exit_code == 0, result.output
    assert "7 recorded chat requests replayed" in result.output
    assert "no visitor would go elsewhere" in result.output
    assert "(+" not in result.output
    assert "(-" not in result.output


def test_replay_text_report_names_from_and_to_with_rules(tmp_path: Path) -> None:
    result = invoke(tmp_path, candidate_text())
    assert result.exit_code == 0, result.output
    assert "3 would go elsewhere:" in result.output
    assert "-> emea-nora (rule everyone-else Q3e,Q4, pool emea-partners)" in result.output
    assert "sdr-emea" in result.output
    assert "(-3)" in result.output


def test_replay_daily_caps_count_the_replayed_decisions(tmp_path: Path) -> None:
    """Q3: a cap reached during the replay skips the rep, as it would have live."""
    base = load_routing({"include": str(playbook_path())})
    capped = load_routing(
        {
            "include": str(playbook_path()),
            "reps": [{"id": "x-solo", "name": "Solo", "teams": ["solo"], "daily_cap": 2}],
            "teams": [{"name": "solo"}],
            "rules": [],
        }
    )
    capped = capped.model_copy(
        update={"rules": [r.model_copy(update={"target": "team:solo"}) for r in capped.rules[-1:]]}
    )
    events = tmp_path / "e.jsonl"
    events.write_text(
        "\n".join(
            json.dumps(
                line(f"v{i}", i, availability={})
                | {"availability": {"statuses": {"x-solo": "online"}}}
            )
            for i in range(3)
        )
    )
    report = replay(read_events(events), base, capped)
    assert report.reps_after["x-solo"] == 2  # the third is over the cap
    # Nobody else is online: the third request waits unrouted under both rule sets.
    assert report.reps_after["(unrouted)"] == 1
    assert [m["visitor"] for m in report.moved] == ["v0", "v1"]


def test_replay_errors_name_the_line(tmp_path: Path) -> None:
    config, rules, events = write(tmp_path, candidate_text())
    events.write_text(json.dumps({"visitor": {"id": "v"}}) + "\n")
    args = ["replay", str(events), "--rules", str(rules), "--config", str(config)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code != 0
    assert "events.jsonl:1: now: required" in result.output
    bad = tmp_path / "bad.toml"
    bad.write_text('[routing]\nreps = [{ id = "a" }]\n')
    args = ["replay", str(events), "--rules", str(bad), "--config", str(config)]
    result = CliRunner().invoke(cli, args)
    assert "routing.reps[0].name" in result.output
